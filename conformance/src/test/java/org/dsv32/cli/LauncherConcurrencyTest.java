package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher {@code ./dsv32} started several times at once: the CLI jar is built once, and every launcher runs a
 * complete jar. Each test runs the real script in a copy of the repository's skeleton (the script,
 * {@code scripts/find-jdk.sh}, a pom and one main source) with {@code DSV32_BUILD_CMD} standing in for Maven: a
 * shell command that counts its runs and writes a tiny jar ({@link FakeCliMain}) in two halves with a pause between
 * them. A launcher that skipped the lock would build again; one that ran the jar while it was being written would
 * fail on a corrupt jar.
 */
class LauncherConcurrencyTest {
    /** The fake build: counts its runs, writes the first half of the jar, marks that, pauses, writes the rest. */
    private static final String FAKE_BUILD = """
            echo run >> "$DSV32_TEST_BUILDS"
            head -c "$DSV32_TEST_HALF" "$DSV32_TEST_JAR" > "$1"
            : > "$DSV32_TEST_WRITING"
            sleep 1
            tail -c +"$((DSV32_TEST_HALF + 1))" "$DSV32_TEST_JAR" >> "$1"
            """;

    @TempDir Path tree;
    private Path jar, newJar, builds, writing;

    @BeforeEach
    void skeleton() throws IOException {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path launcher = tree.resolve("dsv32");
        Files.copy(repo.resolve("dsv32"), launcher);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(tree.resolve("scripts"));
        Files.copy(repo.resolve("scripts/find-jdk.sh"), tree.resolve("scripts/find-jdk.sh"));
        Files.writeString(tree.resolve("pom.xml"), "<project/>\n");
        Path source = tree.resolve("conformance/src/main/java/Placeholder.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "class Placeholder {}\n");
        Files.createDirectories(tree.resolve("conformance/target"));
        jar = tree.resolve("conformance/target/dsv32-cli.jar");
        newJar = Files.write(tree.resolve("new.jar"), fakeJar("new"));
        builds = tree.resolve("builds.log");
        writing = tree.resolve("writing");
    }

    @Test
    void threeLaunchersOnAStaleJarBuildItOnceAndAllRunTheNewJar() throws Exception {
        Files.write(jar, fakeJar("old"));
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(3600)));
        List<Process> launchers = new ArrayList<>();
        for (int i = 0; i < 3; i++) launchers.add(launch(FAKE_BUILD, i));
        for (int i = 0; i < 3; i++) assertRanNewJar(launchers.get(i), i);
        assertEquals(1, buildCount(), "launchers started together on a stale jar must build it once");
        assertNoTemporaryFiles();
    }

    @Test
    void launchersStartedDuringABuildNeverRunAHalfWrittenJar() throws Exception {
        Process first = launch(FAKE_BUILD, 0);
        awaitFile(writing, first);
        Process second = launch(FAKE_BUILD, 1), third = launch(FAKE_BUILD, 2);
        assertRanNewJar(first, 0);
        assertRanNewJar(second, 1);
        assertRanNewJar(third, 2);
        assertEquals(1, buildCount(), "launchers started during the build must wait for it, not build again");
        assertNoTemporaryFiles();
    }

    @Test
    void aFailedBuildSaysSoAndLeavesTheOldJarAndNoTemporaryFiles() throws Exception {
        byte[] old = fakeJar("old");
        Files.write(jar, old);
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(3600)));
        Process p = launch("head -c 10 \"$DSV32_TEST_JAR\" > \"$1\"; echo 'compiler says no' >&2; exit 3", 0);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher did not finish");
        String err = Files.readString(tree.resolve("err0.txt"));
        assertEquals(1, p.exitValue(), err);
        assertTrue(err.contains("compiler says no") && err.contains("dsv32: build failed"), err);
        assertArrayEquals(old, Files.readAllBytes(jar), "a failed build must not touch the jar");
        assertNoTemporaryFiles();
    }

    /** Starts the launcher copy with {@code info <i>} and the given build command; output goes to out{i}/err{i}. */
    private Process launch(String buildCommand, int i) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(tree.resolve("dsv32").toString(), "info", String.valueOf(i))
                .directory(tree.toFile())
                .redirectOutput(tree.resolve("out" + i + ".txt").toFile())
                .redirectError(tree.resolve("err" + i + ".txt").toFile());
        pb.environment().remove("DSV32_JAVA_OPTS");
        pb.environment().put("DSV32_BUILD_CMD", buildCommand);
        pb.environment().put("DSV32_TEST_BUILDS", builds.toString());
        pb.environment().put("DSV32_TEST_JAR", newJar.toString());
        pb.environment().put("DSV32_TEST_HALF", String.valueOf(Files.size(newJar) / 2));
        pb.environment().put("DSV32_TEST_WRITING", writing.toString());
        return pb.start();
    }

    private void assertRanNewJar(Process p, int i) throws Exception {
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "launcher " + i + " did not finish");
        String out = Files.readString(tree.resolve("out" + i + ".txt"));
        String err = Files.readString(tree.resolve("err" + i + ".txt"));
        assertEquals(0, p.exitValue(), "launcher " + i + " failed:\n" + err);
        assertEquals("fake-cli new info " + i, out.strip(), "launcher " + i + " ran another jar; stderr:\n" + err);
    }

    private int buildCount() throws IOException {
        return Files.exists(builds) ? Files.readAllLines(builds).size() : 0;
    }

    private void assertNoTemporaryFiles() throws IOException {
        try (Stream<Path> s = Files.list(jar.getParent())) {
            List<String> left = s.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith("dsv32-cli.jar.")).toList();
            assertEquals(List.of(), left, "temporary files left beside the jar");
        }
    }

    /** Waits (polling) until the fake build has begun writing, or fails if the launcher ended before that. */
    private static void awaitFile(Path f, Process launcher) throws InterruptedException {
        for (int i = 0; i < 6000 && !Files.exists(f); i++) {
            if (!launcher.isAlive()) throw new AssertionError("the first launcher ended before its build began writing");
            Thread.sleep(20);
        }
        assertTrue(Files.exists(f), "the fake build never began writing");
    }

    /** A runnable jar whose main class is {@link FakeCliMain}, carrying {@code label}. */
    static byte[] fakeJar(String label) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeCliMain.class.getName());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
            String cls = FakeCliMain.class.getName().replace('.', '/') + ".class";
            out.putNextEntry(new JarEntry(cls));
            try (InputStream in = FakeCliMain.class.getResourceAsStream("/" + cls)) {
                in.transferTo(out);
            }
            out.putNextEntry(new JarEntry(FakeCliMain.LABEL_ENTRY));
            out.write(label.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}
