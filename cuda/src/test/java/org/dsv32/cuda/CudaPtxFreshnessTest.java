package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed PTX is what cuda/build-ptx.sh makes from the committed CUDA sources: regenerated here when nvcc
 * is available and compared byte for byte. Skipped (with the reason) without nvcc, or when the local nvcc is not
 * the release that made the committed files (another release writes other, equally valid, PTX).
 */
class CudaPtxFreshnessTest {
    private static final Pattern RELEASE = Pattern.compile("Cuda compilation tools, (release [0-9.]+, V[0-9.]+)");

    @Test
    void committedPtxMatchesTheSources(@TempDir Path out) throws Exception {
        Optional<Path> nvcc = CudaToolchain.find("nvcc");
        Assumptions.assumeTrue(nvcc.isPresent(), "nvcc not found (PATH, $CUDA_HOME/bin, /usr/local/cuda/bin): cannot regenerate the PTX");
        List<Path> committed = CudaToolchain.committedPtx();
        assertFalse(committed.isEmpty(), "no committed PTX in " + CudaToolchain.committedPtxDir());

        String local = release(CudaToolchain.run(out, 60, nvcc.get().toString(), "--version").output());
        String made = release(Files.readString(committed.get(0)));
        Assumptions.assumeTrue(local.equals(made), "the committed PTX was made by nvcc " + made + ", this machine has "
                + local + "; regenerate with cuda/build-ptx.sh to compare");

        Path dir = CudaToolchain.moduleDir();
        CudaToolchain.Result r = CudaToolchain.run(dir, 600, "bash", dir.resolve("build-ptx.sh").toString(), out.toString());
        assertEquals(0, r.exit(), () -> "build-ptx.sh failed:\n" + r.output());

        List<String> stale = new ArrayList<>();
        for (Path p : committed) {
            Path fresh = out.resolve(p.getFileName());
            if (!Files.exists(fresh) || Files.mismatch(p, fresh) != -1) stale.add(p.getFileName().toString());
        }
        try (var s = Files.list(out)) {
            s.filter(p -> p.toString().endsWith(".ptx"))
                    .filter(p -> !Files.exists(CudaToolchain.committedPtxDir().resolve(p.getFileName())))
                    .forEach(p -> stale.add(p.getFileName() + " (not committed)"));
        }
        if (!stale.isEmpty()) fail("stale committed PTX " + stale + ": run cuda/build-ptx.sh and commit src/main/resources/ptx");
    }

    private static String release(String text) {
        Matcher m = RELEASE.matcher(text);
        return m.find() ? m.group(1) : "unknown";
    }
}
