package org.dsv32.conformance.golden;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import org.dsv32.spec.io.OutputFiles;

/**
 * Where the shipped golden set is: on the class path under {@code /golden/} (the golden-data module's resources, in
 * the CLI jar), and, when working inside the repository, in {@code golden-data/src/main/resources/golden}.
 */
public final class GoldenSource {
    private GoldenSource() {}

    /** The class-path folder of the shipped set. */
    public static final String RESOURCE_ROOT = "/golden/";
    /** The shipped set's folder relative to the repository root. */
    public static final String REPO_FOLDER = "golden-data/src/main/resources/golden";

    /**
     * How many cases a full set has: the shipped manifest's count, or empty when the class path has no readable
     * shipped manifest. (Generation writes the manifest last, so a directory without one is a partial set.)
     */
    public static java.util.OptionalInt fullSetCaseCount() {
        try (InputStream in = GoldenSource.class.getResourceAsStream(RESOURCE_ROOT + GoldenFormat.MANIFEST)) {
            if (in == null) return java.util.OptionalInt.empty();
            return java.util.OptionalInt.of(GoldenManifest.parse(in.readAllBytes(), "class path " + RESOURCE_ROOT).cases().size());
        } catch (IOException | GoldenException e) {
            return java.util.OptionalInt.empty();
        }
    }

    /** Whether the class path holds a shipped set. */
    public static boolean shippedAvailable() { return GoldenSource.class.getResource(RESOURCE_ROOT + GoldenFormat.MANIFEST) != null; }

    /**
     * Copies the shipped set from the class path into a new temporary directory (the caller deletes it with
     * {@link #deleteTree}): its manifest and every file the manifest lists that the class path has. A listed file
     * that is absent stays absent, so verification reports it.
     */
    public static Path extractShipped() throws IOException {
        byte[] manifest;
        try (InputStream in = GoldenSource.class.getResourceAsStream(RESOURCE_ROOT + GoldenFormat.MANIFEST)) {
            if (in == null) throw new IOException("no shipped golden set on the class path (" + RESOURCE_ROOT + GoldenFormat.MANIFEST + ")");
            manifest = in.readAllBytes();
        }
        Path dir = Files.createTempDirectory("dsv32-golden-");
        OutputFiles.writeBytes(dir.resolve(GoldenFormat.MANIFEST), manifest);
        GoldenManifest m;
        try {
            m = GoldenManifest.parse(manifest, "class path " + RESOURCE_ROOT + GoldenFormat.MANIFEST);
        } catch (GoldenException e) {
            return dir; // verification reports the manifest itself
        }
        for (GoldenManifest.FileEntry w : m.weights()) copy(w.file(), dir);
        for (GoldenManifest.Entry c : m.cases()) copy(c.file(), dir);
        return dir;
    }

    private static void copy(String relative, Path dir) throws IOException {
        if (relative.contains("..") || relative.startsWith("/")) return;
        try (InputStream in = GoldenSource.class.getResourceAsStream(RESOURCE_ROOT + relative)) {
            if (in == null) return;
            OutputFiles.write(dir.resolve(relative), in::transferTo);
        }
    }

    /** The repository's golden folder, if {@code from} or one of its parents is the dsv32 repository root. */
    public static Optional<Path> repoFolder(Path from) {
        for (Path p = from.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("golden-data/pom.xml")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return Optional.of(p.resolve(REPO_FOLDER));
            }
        }
        return Optional.empty();
    }

    /** Deletes a directory tree (best effort). */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing a run for
        }
    }
}
