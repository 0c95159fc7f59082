package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every committed PTX file assembles with ptxas for sm_90 and sm_90a (H100/H200): ptxas checks each instruction,
 * operand type and the declared PTX ISA version, so this is the strongest check of the kernels possible without a
 * GPU. Skipped without ptxas.
 */
class CudaPtxAssemblesTest {
    @Test
    void everyPtxFileAssemblesForHopper(@TempDir Path tmp) throws Exception {
        Optional<Path> ptxas = CudaToolchain.find("ptxas");
        Assumptions.assumeTrue(ptxas.isPresent(), "ptxas not found (PATH, $CUDA_HOME/bin, /usr/local/cuda/bin): cannot assemble the PTX");
        List<Path> files = CudaToolchain.committedPtx();
        assertFalse(files.isEmpty(), "no committed PTX");
        List<String> failures = new ArrayList<>();
        for (Path f : files) {
            for (String arch : List.of("sm_90", "sm_90a")) {
                CudaToolchain.Result r = CudaToolchain.run(tmp, 300, ptxas.get().toString(), "-arch=" + arch,
                        "-o", tmp.resolve("out.cubin").toString(), f.toString());
                if (r.exit() != 0) failures.add(f.getFileName() + " for " + arch + ":\n" + r.output());
            }
        }
        if (!failures.isEmpty()) fail("ptxas rejected:\n" + String.join("\n", failures));
    }
}
