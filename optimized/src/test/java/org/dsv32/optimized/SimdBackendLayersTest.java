package org.dsv32.optimized;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Weight;
import org.junit.jupiter.api.Test;

/** The simd backend as a whole: every operation its own, composites use what the backend registers, weight copies. */
class SimdBackendLayersTest {
    @Test
    void everyOperationIsImplementedWithoutDelegation() {
        assertEquals(OperationCatalog.ALL.size() + "/" + OperationCatalog.ALL.size() + " operations",
                OperationCatalog.describeCoverage(new SimdBackend()));
    }

    /** A backend that is simd except for one re-registered operation, as a mutant or a delegating backend would be. */
    static final class SimdWithReferenceNorm extends RegistryBackend {
        private final SimdBackend simd = new SimdBackend();
        private final Backend reference = new ReferenceBackend();

        SimdWithReferenceNorm() {
            for (var op : OperationCatalog.ALL) delegateComposedAll(op);
            delegate(RmsNormOp.class, reference);
        }

        private <T extends org.dsv32.spec.ops.Operation> void delegateComposedAll(Class<T> op) { delegateComposed(op, simd); }

        @Override public String name() { return "simd+reference-norm"; }

        @Override public String description() { return "test"; }

        @Override public org.dsv32.spec.backend.Availability availability() { return org.dsv32.spec.backend.Availability.yes(); }
    }

    @Test
    void compositesUseTheOperationsTheBackendRegisters() {
        // a norm taken from elsewhere must reach the model through the contract path: the logits then follow the
        // reference norm's float64 results rounded to fp32, close to simd's own but not bitwise equal
        int[] tokens = SimdModelTest.tokens(6, 11);
        var w = SimdLayerFixtures.tiny().weights();
        OpContext ctx = SimdLayerFixtures.context(PrecisionMode.EXACT);
        TensorF64 own = SimdLayerFixtures.SIMD.require(ModelOp.class, ctx).open(w).forward(tokens);
        TensorF64 mixed = new SimdWithReferenceNorm().require(ModelOp.class, ctx).open(w).forward(tokens);
        double cd = Metrics.calcDiff(own.toArray(), mixed.toArray());
        assertTrue(cd <= KernelTolerances.EXACT_ROW_CALC_DIFF, "calc_diff " + cd);
        assertTrue(!java.util.Arrays.equals(own.toArray(), mixed.toArray()), "the re-registered norm was not used");
    }

    @Test
    void weightCopiesAreKeyedByIdentity() {
        float[] v = new float[64];
        Random rnd = new Random(5);
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        DenseWeight a = DenseWeight.ofFloats("norm", v, 1, 64);
        float[] first = SimdWeightCache.vector(a, 64);
        assertSame(first, SimdWeightCache.vector(a, 64), "the second lookup returns the copy");
        for (int i = 0; i < v.length; i++) assertEquals(v[i], first[i]);
        // an equal record over other bytes (a new checkpoint mapped at the same address would be one) gets its own copy
        MemorySegment seg = a.data();
        byte[] other = seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        other[0] ^= 1;
        MemorySegment.copy(MemorySegment.ofArray(other), 0, seg, 0, other.length);
        Weight b = new DenseWeight("norm", seg, a.dtype(), 1, 64);
        assertEquals(a, b, "records over the same segment are equal");
        float[] second = SimdWeightCache.vector(b, 64);
        assertNotSame(first, second);
        assertEquals(((DenseWeight) b).getFloat(0), second[0]);
    }

    @Test
    void theLmHeadIsADenseProductInFp8Mode() {
        // the tiny head is bf16: in fp8 mode simd's linear must not act_quant it (equal to exact mode's bits)
        var w = SimdLayerFixtures.tiny().weights();
        TensorF64 x = SimdLayerFixtures.activation(new Random(3), 2, w.lmHead().cols());
        TensorF64 fp8 = SimdLayerFixtures.SIMD.require(LinearOp.class, SimdLayerFixtures.context(PrecisionMode.FP8)).apply(x, w.lmHead());
        TensorF64 exact = SimdLayerFixtures.SIMD.require(LinearOp.class, SimdLayerFixtures.context(PrecisionMode.EXACT)).apply(x, w.lmHead());
        assertTrue(w.lmHead() instanceof DenseWeight);
        assertEquals(java.util.Arrays.toString(exact.toArray()), java.util.Arrays.toString(fp8.toArray()));
    }
}
