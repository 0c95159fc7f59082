package org.dsv32.spec.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output writer (through {@link SafetensorsWriter}, which every safetensors output uses, and directly): it
 * replaces only regular files, never a directory, device node, FIFO or symbolic link, and leaves no temporary file
 * after a failure or a JVM shutdown.
 */
class OutputFilesTest {
    @TempDir Path dir;

    static final List<TensorData> ONE = List.of(TensorData.ofFloats("x", new float[] {1, 2, 3}, 3));

    /** Files left in {@code d} whose name marks them as the writer's temporary files. */
    static List<Path> temporaries(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    static boolean run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void writesANewFileAndReplacesARegularOneKeepingItsPermissions() throws Exception {
        Path f = dir.resolve("sub/dir/out.safetensors");
        SafetensorsWriter.write(f, ONE, Map.of());
        assertTrue(Files.isRegularFile(f), "missing parent directories are created");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        SafetensorsWriter.write(f, List.of(TensorData.ofFloats("y", new float[] {4}, 1)), Map.of());
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(List.of("y"), st.names());
        }
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), "the replaced file's permissions carry over");
        assertEquals(List.of(), temporaries(f.getParent()));
    }

    @Test
    void refusesADirectoryAndLeavesIt() throws Exception {
        Path d = Files.createDirectory(dir.resolve("out.safetensors"));
        IOException e = assertThrows(IOException.class, () -> SafetensorsWriter.write(d, ONE, Map.of()));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        assertTrue(Files.isDirectory(d), "an empty directory is not replaced by the rename");
        assertEquals(List.of(), temporaries(dir));
    }

    @Test
    void refusesAFifoAndLeavesIt() throws Exception {
        Path fifo = dir.resolve("pipe");
        assumeTrue(run("mkfifo", fifo.toString()), "mkfifo is available");
        IOException e = assertThrows(IOException.class, () -> SafetensorsWriter.write(fifo, ONE, Map.of()));
        assertTrue(e.getMessage().contains("FIFO"), e.getMessage());
        assertTrue(e.getMessage().contains(fifo.toString()), "names the path: " + e.getMessage());
        assertFalse(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS), "still the FIFO");
        assertTrue(Files.exists(fifo, LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.of(), temporaries(dir));
    }

    @Test
    void refusesADeviceNodeLikeDevFullAndLeavesIt() throws Exception {
        Path dev = dir.resolve("full");
        // the same device as /dev/full, made here so that a regression cannot destroy the real one (needs root)
        assumeTrue(run("mknod", dev.toString(), "c", "1", "7"), "mknod works (root)");
        IOException e = assertThrows(IOException.class, () -> SafetensorsWriter.write(dev, ONE, Map.of()));
        assertTrue(e.getMessage().contains("character device"), e.getMessage());
        assertEquals("a character device", OutputFiles.kind(dev), "still the device node");
        assertThrows(IOException.class, () -> OutputFiles.writeString(dev, "x"));
        assertThrows(IOException.class, () -> OutputFiles.checkFile(Path.of("/dev/null")), "nor the real one");
        assertEquals(List.of(), temporaries(dir));
    }

    @Test
    void refusesASymbolicLinkAndLeavesTheLinkAndItsTarget() throws Exception {
        Path target = dir.resolve("real.safetensors");
        SafetensorsWriter.write(target, ONE, Map.of());
        byte[] before = Files.readAllBytes(target);
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), target);
        IOException e = assertThrows(IOException.class,
                () -> SafetensorsWriter.write(link, List.of(TensorData.ofFloats("y", new float[] {4}, 1)), Map.of()));
        assertTrue(e.getMessage().contains("symbolic link") && e.getMessage().contains(target.toString()), e.getMessage());
        assertTrue(Files.isSymbolicLink(link), "the link is not replaced by a file");
        assertArrayEquals(before, Files.readAllBytes(target), "nor written through");
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
        assertThrows(IOException.class, () -> OutputFiles.writeString(dangling, "x"));
        assertFalse(Files.exists(dir.resolve("nowhere")));
    }

    @Test
    void refusesAParentThatIsAFileAndANonWritableTargetBeforeWriting() throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        IOException e = assertThrows(IOException.class, () -> OutputFiles.checkFile(file.resolve("sub/out.json")));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
        assertThrows(IOException.class, () -> OutputFiles.checkDirectory(file));
        assertThrows(IOException.class, () -> OutputFiles.checkFile(dir), "a directory as a file target");
        OutputFiles.checkDirectory(dir.resolve("a/b/c")); // missing, under a writable directory: fine
        OutputFiles.checkFile(dir.resolve("a/b/c.json"));
        assertFalse(Files.exists(dir.resolve("a")), "checking creates nothing");
    }

    @Test
    void aFailingWriterLeavesNoTemporaryFileAndTheTargetUntouched() throws Exception {
        Path f = dir.resolve("out.safetensors");
        SafetensorsWriter.write(f, ONE, Map.of());
        byte[] before = Files.readAllBytes(f);
        MemorySegment closed;
        try (Arena a = Arena.ofConfined()) {
            closed = a.allocate(12);
        }
        TensorData gone = new TensorData("z", DType.F32, new long[] {3}, closed);
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(f, List.of(gone), Map.of()), "reading a freed tensor fails mid-write");
        assertArrayEquals(before, Files.readAllBytes(f));
        assertThrows(IOException.class, () -> OutputFiles.write(f, out -> {
            out.write(1);
            throw new IOException("disk full");
        }));
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of(), temporaries(dir));
        assertEquals(java.util.Set.of(), OutputFiles.inFlight());
    }

    @Test
    void theShutdownHookDeletesATemporaryFileBeingWritten() throws Exception {
        Path f = dir.resolve("logits.safetensors");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), HangingWriter.class.getName(), f.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null && !line.equals(HangingWriter.READY)) {
                // the child's other output, if any
            }
            assertEquals(HangingWriter.READY, line, "the child started writing");
            assertEquals(1, temporaries(dir).size(), "a temporary file is being written");
            p.destroy(); // SIGTERM, as Ctrl-C or a CI timeout would send: shutdown hooks run
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child exits");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(List.of(), temporaries(dir), "the shutdown hook deleted it");
        assertFalse(Files.exists(f), "and no half-written target appeared");
    }

    /** A child process: writes a safetensors file whose tensors never finish arriving. */
    public static final class HangingWriter {
        static final String READY = "writing";

        public static void main(String[] args) throws Exception {
            List<TensorData> tensors = new java.util.AbstractList<>() {
                int iterations;

                @Override public TensorData get(int i) { return ONE.get(i); }
                @Override public int size() { return 1; }

                @Override
                public java.util.Iterator<TensorData> iterator() {
                    // the first pass builds the header; the second is the write into the temporary file: hang there
                    if (++iterations == 2) {
                        System.out.println(READY);
                        System.out.flush();
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return super.iterator();
                }
            };
            SafetensorsWriter.write(Path.of(args[0]), tensors, Map.of());
        }
    }
}
