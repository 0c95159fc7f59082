package org.dsv32.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Finding the CUDA toolkit's programs and the module's files, for the tests that need no GPU. */
final class CudaToolchain {
    private CudaToolchain() {}

    /** The cuda module directory (surefire runs in it; {@code basedir} is set by Maven). */
    static Path moduleDir() {
        Path p = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        if (Files.exists(p.resolve("build-ptx.sh"))) return p;
        Path q = Path.of("cuda").toAbsolutePath();
        if (Files.exists(q.resolve("build-ptx.sh"))) return q;
        throw new IllegalStateException("cannot find the cuda module directory (no build-ptx.sh in " + p + ")");
    }

    static Path committedPtxDir() { return moduleDir().resolve("src/main/resources/ptx"); }

    /** The committed PTX files, sorted by name. */
    static List<Path> committedPtx() throws IOException {
        try (Stream<Path> s = Files.list(committedPtxDir())) {
            return s.filter(p -> p.toString().endsWith(".ptx")).sorted().toList();
        }
    }

    /** The program on the PATH, else in $CUDA_HOME/bin, else in /usr/local/cuda/bin. */
    static Optional<Path> find(String program) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        String home = System.getenv("CUDA_HOME");
        if (home != null) dirs.add(home + "/bin");
        dirs.add("/usr/local/cuda/bin");
        for (String d : dirs) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, program);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    record Result(int exit, String output) {}

    /** Runs a command (stdout and stderr together), failing after {@code timeoutSeconds}. */
    static Result run(Path dir, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
