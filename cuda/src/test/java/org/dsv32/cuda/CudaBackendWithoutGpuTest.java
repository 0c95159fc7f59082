package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ServiceLoader;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** What the backend promises on every machine, and what it does without a usable GPU (CI, this project's machines). */
class CudaBackendWithoutGpuTest {
    private final CudaBackend backend = new CudaBackend();

    @Test
    void isFoundByTheServiceLoader() {
        boolean found = false;
        for (Backend b : ServiceLoader.load(Backend.class)) found |= b.name().equals("cuda");
        assertTrue(found, "META-INF/services does not register the cuda backend");
    }

    @Test
    void everyOperationIsEitherOnTheGpuOrDelegatedToSimd() {
        for (Class<? extends Operation> op : OperationCatalog.ALL) {
            boolean gpu = CudaBackend.ON_GPU.contains(op);
            assertEquals(gpu ? java.util.Optional.empty() : java.util.Optional.of("simd"), backend.delegateOf(op),
                    OperationCatalog.label(op));
        }
    }

    @Test
    void withoutAGpuItSaysWhyAndOffersNothing() {
        Availability a = backend.availability();
        Assumptions.assumeFalse(a.available(), "a GPU is available here; the GPU tests cover this machine");
        assertFalse(a.reason().isBlank(), "an unavailable backend must say why");
        assertTrue(a.toString().startsWith("unavailable: "), a.toString());
        OpContext ctx = new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8);
        for (Class<? extends Operation> op : OperationCatalog.ALL) {
            assertTrue(backend.operation(op, ctx).isEmpty(), OperationCatalog.label(op) + " offered without a GPU");
        }
        assertTrue(backend.device().isEmpty());
        assertEquals("operations not probed", OperationCatalog.describeCoverage(backend));
    }

    @Test
    void theProbeNeverThrowsAndIsStable() {
        Availability first = CudaProbe.probe();
        assertEquals(first, CudaProbe.probe());
        if (!first.available()) assertFalse(first.reason().isBlank());
    }
}
