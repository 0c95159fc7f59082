package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.checks.Fp8BackwardCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * The FP8 backward GEMMs of every backend against the reference, and their mathematics on every backend (the
 * reference included): exact mode is the float64 product; Dgrad is Fprop through the same weight blocks read
 * transposed; Wgrad is Fprop of the transposes where X's 128x1 scales coincide with 128x128 block scales; and the
 * quantisation runs along the stated axis, so a power of two on one token of dY (Dgrad) or one channel of dY
 * (Wgrad) comes out exactly on that row of the result and nowhere else.
 */
class Fp8BackwardProperties extends OperationProperties<Fp8BackwardCheck> {
    Fp8BackwardProperties() { super(new Fp8BackwardCheck()); }

    private static List<Backend> everyBackend() {
        List<Backend> all = new ArrayList<>(candidates(Fp8BackwardOp.class));
        all.add(reference());
        return all;
    }

    private static ModelConfig config(boolean plain) { return plain ? ConformanceConfigs.smallPlainScales() : ConformanceConfigs.small(); }

    private static <T extends org.dsv32.spec.ops.Operation> T op(Backend b, Class<T> type, boolean plain, PrecisionMode mode) {
        return b.require(type, new OpContext(config(plain), mode));
    }

    @Property(tries = 24, seed = "151")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 140) int m, @ForAll @IntRange(min = 1, max = 300) int n,
                                @ForAll @IntRange(min = 1, max = 200) int k, @ForAll boolean wgrad, @ForAll boolean plain,
                                @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int comparison) {
        SplittableRandom rng = new SplittableRandom(seed);
        ModelConfig cfg = config(plain);
        TensorF64 dy = Fp8BackwardCheck.tokens(rng, m, n);
        Fp8BackwardCheck.Case c = wgrad ? Fp8BackwardCheck.Case.wgrad("generated", cfg, dy, Fp8BackwardCheck.tokens(rng, m, k))
                : Fp8BackwardCheck.Case.dgrad("generated", cfg, dy, Fp8BackwardCheck.weight(rng, "test.generated.weight", n, k, cfg.activationScaleFormat()));
        assertConforms(check, c, modeTier(check, comparison));
    }

    @Property(tries = 12, seed = "152")
    void exactModeIsTheFloat64Product(@ForAll @IntRange(min = 1, max = 40) int m, @ForAll @IntRange(min = 1, max = 300) int n,
                                      @ForAll @IntRange(min = 1, max = 150) int k, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        TensorF64 dy = Fp8BackwardCheck.tokens(rng, m, n), x = Fp8BackwardCheck.tokens(rng, m, k);
        Fp8BlockWeight w = Fp8BackwardCheck.weight(rng, "test.generated.weight", n, k, ScaleFormat.UE8M0);
        for (Backend b : everyBackend()) {
            Fp8BackwardOp op = op(b, Fp8BackwardOp.class, false, PrecisionMode.EXACT);
            TensorF64 dx = op.dgrad(dy, w), dw = op.wgrad(dy, x);
            // reference: two float64 orders of one sum; simd: its fp32 blocked GEMM bound, both relative to sum |a b|
            double rel = b == reference() ? KernelTolerances.float64Reordered(Math.max(n, m)) : KernelTolerances.gemm("simd", Math.max(n, m), 128);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < k; j++) {
                    double s = 0, t = 0;
                    for (int c = 0; c < n; c++) { s += dy.at(i, c) * w.get(c, j); t += Math.abs(dy.at(i, c) * w.get(c, j)); }
                    assertEquals(s, dx.at(i, j), rel * t, b.name() + " dgrad dX[" + i + "][" + j + "]");
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    double s = 0, t = 0;
                    for (int r = 0; r < m; r++) { s += dy.at(r, i) * x.at(r, j); t += Math.abs(dy.at(r, i) * x.at(r, j)); }
                    assertEquals(s, dw.at(i, j), rel * t, b.name() + " wgrad dW[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Property(tries = 10, seed = "153")
    void dgradIsFpropThroughTheSameBlocksReadTransposed(@ForAll @IntRange(min = 1, max = 20) int m, @ForAll @IntRange(min = 1, max = 3) int nBlocks,
                                                       @ForAll @IntRange(min = 1, max = 300) int k, @ForAll boolean plain, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int n = 128 * nBlocks; // Fprop's act_quant needs whole 128-column tiles
        TensorF64 dy = Fp8BackwardCheck.tokens(rng, m, n);
        Fp8BlockWeight w = Fp8BackwardCheck.weight(rng, "test.generated.weight", n, k, config(plain).activationScaleFormat());
        Fp8BlockWeight wt = transpose(w);
        for (Backend b : everyBackend()) {
            TensorF64 dx = op(b, Fp8BackwardOp.class, plain, PrecisionMode.FP8).dgrad(dy, w);
            TensorF64 y = op(b, LinearOp.class, plain, PrecisionMode.FP8).apply(dy, wt);
            for (int i = 0; i < dx.size(); i++) assertEquals(y.getFlat(i), dx.getFlat(i), 0.0, b.name() + " dX element " + i);
        }
    }

    @Property(tries = 8, seed = "154")
    void wgradIsFpropOfTheTransposesWhereTheScalesCoincide(@ForAll @IntRange(min = 1, max = 2) int mBlocks, @ForAll @IntRange(min = 1, max = 40) int n,
                                                          @ForAll @IntRange(min = 1, max = 2) int kBlocks, @ForAll boolean plain, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int m = 128 * mBlocks, k = 128 * kBlocks;
        TensorF64 dy = Fp8BackwardCheck.tokens(rng, m, n);
        // X with one pinned element per channel and 128-token block, larger than the rest of its 128x128 block: every
        // 128x1 tile of a block then has the same amax, hence the same scale as the block's
        TensorF64 x = RandomInputs.gaussian(rng, 1, m, k);
        for (int rb = 0; rb < mBlocks; rb++) {
            double pin = Math.scalb(8.0, rng.nextInt(9) - 4);
            for (int r = rb * 128; r < rb * 128 + 128; r++) for (int c = 0; c < k; c++) x.put(r, c, x.at(r, c) * pin / 8);
            for (int c = 0; c < k; c++) x.put(rb * 128 + rng.nextInt(128), c, (rng.nextBoolean() ? 1 : -1) * pin);
        }
        for (Backend b : everyBackend()) {
            ActQuantOp aq = op(b, ActQuantOp.class, plain, PrecisionMode.FP8);
            Fp8BlockWeight wx = blockWeight(aq.quantize(transposeOf(x), config(plain).activationScaleFormat()));
            TensorF64 dw = op(b, Fp8BackwardOp.class, plain, PrecisionMode.FP8).wgrad(dy, x);
            TensorF64 y = op(b, LinearOp.class, plain, PrecisionMode.FP8).apply(transposeOf(dy), wx);
            for (int i = 0; i < dw.size(); i++) assertEquals(y.getFlat(i), dw.getFlat(i), 0.0, b.name() + " dW element " + i);
        }
    }

    @Property(tries = 10, seed = "155")
    void aPowerOfTwoOnOneTokenOrChannelScalesOnlyItsRow(@ForAll @IntRange(min = 2, max = 150) int m, @ForAll @IntRange(min = 1, max = 260) int n,
                                                       @ForAll @IntRange(min = 1, max = 130) int k, @ForAll @IntRange(min = -6, max = 6) int e,
                                                       @ForAll boolean plain, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        TensorF64 dy = RandomInputs.gaussian(rng, 1, m, n), x = RandomInputs.gaussian(rng, 1, m, k);
        Fp8BlockWeight w = Fp8BackwardCheck.weight(rng, "test.generated.weight", n, k, config(plain).activationScaleFormat());
        int token = rng.nextInt(m), channel = rng.nextInt(n);
        TensorF64 tokenScaled = dy.copy(), channelScaled = dy.copy();
        for (int c = 0; c < n; c++) tokenScaled.put(token, c, Math.scalb(dy.at(token, c), e));
        for (int r = 0; r < m; r++) channelScaled.put(r, channel, Math.scalb(dy.at(r, channel), e));
        for (Backend b : everyBackend()) {
            Fp8BackwardOp op = op(b, Fp8BackwardOp.class, plain, PrecisionMode.FP8);
            TensorF64 dx = op.dgrad(dy, w), dx2 = op.dgrad(tokenScaled, w);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < k; j++) {
                    assertEquals(i == token ? Math.scalb(dx.at(i, j), e) : dx.at(i, j), dx2.at(i, j), 0.0, b.name() + " dgrad dX[" + i + "][" + j + "]");
                }
            }
            TensorF64 dw = op.wgrad(dy, x), dw2 = op.wgrad(channelScaled, x);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    assertEquals(i == channel ? Math.scalb(dw.at(i, j), e) : dw.at(i, j), dw2.at(i, j), 0.0, b.name() + " wgrad dW[" + i + "][" + j + "]");
                }
            }
        }
    }

    // ---- helpers

    private static TensorF64 transposeOf(TensorF64 a) {
        TensorF64 t = TensorF64.zeros(a.cols(), a.rows());
        for (int r = 0; r < a.rows(); r++) for (int c = 0; c < a.cols(); c++) t.put(c, r, a.at(r, c));
        return t;
    }

    /** W^T [K][N]: the same codes, and each 128x128 block's scale at the transposed block position. */
    private static Fp8BlockWeight transpose(Fp8BlockWeight w) {
        int n = w.rows(), k = w.cols();
        byte[] codes = new byte[n * k];
        for (int r = 0; r < n; r++) for (int c = 0; c < k; c++) codes[c * n + r] = w.code(r, c);
        float[] s = new float[w.scaleRows() * w.scaleCols()];
        for (int i = 0; i < w.scaleRows(); i++) for (int j = 0; j < w.scaleCols(); j++) s[j * w.scaleRows() + i] = w.scale(i, j);
        return Fp8BlockWeight.of(w.name() + "^T", java.lang.foreign.MemorySegment.ofArray(codes), floats(s), k, n);
    }

    /** act_quant of X^T [K][M] as a 128x128-block weight: asserts each block's 128 row tiles share one scale. */
    private static Fp8BlockWeight blockWeight(QuantizedActivation q) {
        int rows = q.rows(), cols = q.cols(), sr = (rows + 127) / 128, sc = q.tilesPerRow();
        float[] s = new float[sr * sc];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < sc; t++) {
                if (r % 128 == 0) s[(r / 128) * sc + t] = q.scale(r, t);
                assertTrue(q.scale(r, t) == s[(r / 128) * sc + t], "the pinned amax gives every tile of a block one scale");
            }
        }
        return Fp8BlockWeight.of("test.x_transposed", java.lang.foreign.MemorySegment.ofArray(q.codes().clone()), floats(s), rows, cols);
    }

    private static java.lang.foreign.MemorySegment floats(float[] f) {
        java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(new byte[4 * f.length]);
        java.lang.foreign.ValueLayout.OfFloat l = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < f.length; i++) seg.set(l, 4L * i, f[i]);
        return seg;
    }

}
