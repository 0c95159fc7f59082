package org.dsv32.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Tolerances;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The whole reference model on the tiny checkpoint: decode equals prefill, MTP semantics. */
class ReferenceModelTest {
    @TempDir static Path dir;
    static CheckpointLoader ckpt;
    static final Backend REF = new ReferenceBackend();
    /** Longer than the tiny config's index_topk (8), so the indexer's selection really restricts attention. */
    static final int[] TOKENS = tokens(20, 7);

    @BeforeAll
    static void writeCheckpoint() throws IOException {
        TinyCheckpointWriter.write(dir, ModelPresets.tiny(), 1234, TinyCheckpointWriter.Variant.UE8M0);
        ckpt = CheckpointLoader.open(dir);
        assertTrue(ckpt.config().indexTopk() < TOKENS.length, "the test sequence must be longer than index_topk");
    }

    @AfterAll
    static void close() { ckpt.close(); }

    static int[] tokens(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(ModelPresets.tiny().vocabSize());
        return t;
    }

    /**
     * The reference's logits against another float64 evaluation of the same model (decode steps against a prefill,
     * two chunks against one): every block's reductions (q_a, q_b, kv_a, kv_b, the logits, the sum over the
     * selected keys, W_uv, o_proj, the FFN's gate/up and down, the sum over experts), the softmax's amplification and
     * the LM head, relative to the logits' scale. {@code blocks} counts the MTP block too when it takes part.
     */
    static double float64Model(ModelConfig c, int blocks) {
        java.util.List<Integer> k = new java.util.ArrayList<>();
        for (int i = 0; i < blocks; i++) {
            boolean moe = c.isMoeLayer(i);
            k.addAll(java.util.List.of(c.hiddenSize(), c.qLoraRank(), c.hiddenSize(), c.kvLoraRank(), c.kvCacheWidth(),
                    c.indexTopk(), c.kvLoraRank(), c.numAttentionHeads() * c.vHeadDim(), c.hiddenSize(),
                    moe ? c.moeIntermediateSize() : c.intermediateSize(), moe ? c.numExpertsPerTok() + c.nSharedExperts() : 1));
        }
        k.add(2 * c.hiddenSize()); // the MTP's eh_proj, or (as a bound) the LM head
        return KernelTolerances.float64Chain(k.stream().mapToInt(Integer::intValue).toArray()) * Math.sqrt(2) * Tolerances.MLA_LOGIT_RMS;
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    ModelSession session(PrecisionMode mode) {
        return REF.require(ModelOp.class, new OpContext(ckpt.config(), mode)).open(ckpt.weights());
    }

    @ParameterizedTest
    @EnumSource(value = PrecisionMode.class, names = {"EXACT", "FP8"}) // bf16: prefill and decode round at different points (§5c B8/B9)
    void decodeStepByStepEqualsPrefill(PrecisionMode mode) {
        TensorF64 prefill = session(mode).forward(TOKENS);
        ModelSession s = session(mode);
        for (int t = 0; t < TOKENS.length; t++) {
            TensorF64 step = s.forward(new int[] {TOKENS[t]});
            double[] a = step.rowArray(0), b = prefill.rowArray(t);
            double eps = float64Model(ckpt.config(), ckpt.config().numHiddenLayers());
            assertTrue(Metrics.calcDiff(a, b) <= Tolerances.calcDiffOf(eps) + KernelTolerances.calcDiffEvaluation(a.length), "token " + t + ": calc_diff " + Metrics.calcDiff(a, b));
            assertTrue(Metrics.maxAbs(a, b) <= eps * maxAbs(b), "token " + t + ": max abs " + Metrics.maxAbs(a, b));
        }
        assertEquals(TOKENS.length, s.position());
    }

    @Test
    void prefillInTwoChunksEqualsOnePrefill() {
        TensorF64 whole = session(PrecisionMode.EXACT).forward(TOKENS);
        ModelSession s = session(PrecisionMode.EXACT);
        int half = 11;
        s.forward(java.util.Arrays.copyOfRange(TOKENS, 0, half));
        TensorF64 rest = s.forward(java.util.Arrays.copyOfRange(TOKENS, half, TOKENS.length));
        for (int t = half; t < TOKENS.length; t++) {
            double eps = float64Model(ckpt.config(), ckpt.config().numHiddenLayers());
            assertTrue(Metrics.maxAbs(rest.rowArray(t - half), whole.rowArray(t)) <= eps * maxAbs(whole.rowArray(t)), "token " + t);
        }
    }

    @Test
    void logitsAreFiniteAndNotDegenerate() {
        TensorF64 logits = session(PrecisionMode.FP8).forward(TOKENS);
        for (int i = 0; i < logits.size(); i++) assertTrue(Double.isFinite(logits.getFlat(i)));
        // The argmax must vary across positions: a constant prediction would mean the inputs are ignored.
        java.util.Set<Integer> argmaxes = new java.util.HashSet<>();
        for (int t = 0; t < logits.rows(); t++) argmaxes.add(Metrics.argmax(logits.rowArray(t)));
        assertTrue(argmaxes.size() > 1, "every position predicts the same token");
    }

    @Test
    void fp8AndExactModesAreCloseButNotEqual() {
        TensorF64 exact = session(PrecisionMode.EXACT).forward(TOKENS);
        TensorF64 fp8 = session(PrecisionMode.FP8).forward(TOKENS);
        double d = Metrics.calcDiff(fp8.toArray(), exact.toArray());
        assertTrue(d > 0, "fp8 mode must round somewhere");
        // Every FP8 linear input carries E4M3's relative rounding (unit roundoff 2^-4, ~2^-5 RMS), so each of the
        // model's ~10 chained projections adds a calc_diff of order (2^-5)^2 / 2 ~ 5e-4; near-tied indexer and
        // expert choices may also flip. A correlation below 0.95 (calc_diff > 0.05) would mean a real bug.
        assertTrue(d < 0.05, "fp8 mode drifted from exact: calc_diff " + d);
    }

    // ---- MTP ----

    TensorF64 mtpLogits(Backend backend, int startPos, int n) {
        OpContext ctx = new OpContext(ckpt.config(), PrecisionMode.EXACT);
        ModelSession s = backend.require(ModelOp.class, ctx).open(ckpt.weights());
        if (startPos > 0) s.forward(java.util.Arrays.copyOfRange(TOKENS, 0, startPos));
        s.forward(java.util.Arrays.copyOfRange(TOKENS, startPos, startPos + n));
        int[] next = java.util.Arrays.copyOfRange(TOKENS, startPos + 1, startPos + n + 1);
        LayerCache cache = new LayerCache();
        if (startPos > 0) {
            // The MTP block's cache must hold the earlier positions: replay them in one call.
            ModelSession warm = backend.require(ModelOp.class, ctx).open(ckpt.weights());
            warm.forward(java.util.Arrays.copyOfRange(TOKENS, 0, startPos));
            backend.require(MtpOp.class, ctx).forward(warm.lastHidden(), java.util.Arrays.copyOfRange(TOKENS, 1, startPos + 1),
                    0, ckpt.weights(), 0, cache);
        }
        return backend.require(MtpOp.class, ctx).forward(s.lastHidden(), next, startPos, ckpt.weights(), 0, cache);
    }

    @Test
    void mtpIncrementalEqualsOneShot() {
        TensorF64 all = mtpLogits(REF, 0, 12);
        TensorF64 tail = mtpLogits(REF, 6, 6);
        double eps = float64Model(ckpt.config(), ckpt.config().numHiddenLayers() + 1);
        for (int t = 0; t < 6; t++) assertTrue(Metrics.maxAbs(tail.rowArray(t), all.rowArray(6 + t)) <= eps * maxAbs(all.rowArray(6 + t)), "row " + t);
    }

    @Test
    void mtpConcatOrderMatters() {
        Backend swapped = new ReferenceBackend() {{
            register(MtpOp.class, (c, self) -> new ReferenceMtp(c, self) {
                @Override protected TensorF64 concat(TensorF64 first, TensorF64 second, int d) { return super.concat(second, first, d); }
            });
        }};
        double d = Metrics.calcDiff(mtpLogits(swapped, 0, 8).toArray(), mtpLogits(REF, 0, 8).toArray());
        double gate = Tolerances.calcDiffOf(float64Model(ckpt.config(), ckpt.config().numHiddenLayers() + 1))
                + KernelTolerances.calcDiffEvaluation(ckpt.config().vocabSize());
        assertTrue(d > gate, "swapping [emb ; hidden] must change the MTP logits beyond float64 noise, calc_diff " + d);
    }

    @Test
    void mtpEmbeddingIsZeroedOnlyAtPositionZero() {
        Backend notZeroed = new ReferenceBackend() {{
            register(MtpOp.class, (c, self) -> new ReferenceMtp(c, self) {
                @Override protected void zeroEmbeddingAtPositionZero(TensorF64 e, int startPos) {}
            });
        }};
        TensorF64 a = mtpLogits(REF, 0, 8), b = mtpLogits(notZeroed, 0, 8);
        double eps = float64Model(ckpt.config(), ckpt.config().numHiddenLayers() + 1);
        assertTrue(Metrics.maxAbs(a.rowArray(0), b.rowArray(0)) > eps * maxAbs(a.rowArray(0)), "row at position 0 must see a zero embedding");
    }

    // ---- loader ----

    @Test
    void loaderNamesAMissingTensor(@TempDir Path other) throws IOException {
        TinyCheckpointWriter.write(other, ModelPresets.tiny(), 5, TinyCheckpointWriter.Variant.UE8M0);
        String dropped = "model.layers.1.self_attn.kv_b_proj.weight_scale_inv";
        Path file = other.resolve("model.safetensors");
        java.util.List<org.dsv32.spec.io.TensorData> kept = new java.util.ArrayList<>();
        try (var f = org.dsv32.spec.io.SafetensorsFile.open(file)) {
            for (String n : f.names()) {
                if (n.equals(dropped)) continue;
                var t = f.tensor(n);
                kept.add(new org.dsv32.spec.io.TensorData(n, t.dtype(), t.shape(),
                        java.lang.foreign.MemorySegment.ofArray(t.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))));
            }
        }
        org.dsv32.spec.io.SafetensorsWriter.write(file, kept, java.util.Map.of());
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> CheckpointLoader.open(other).close());
        assertTrue(e.getMessage().contains(dropped), e.getMessage());
    }

    @Test
    void loaderKeepsWeightsMapped() {
        var w = ckpt.weights().layers().get(1).attention().kvA();
        assertTrue(w instanceof org.dsv32.spec.weights.Fp8BlockWeight f && f.codes().isMapped(), "FP8 weights must stay memory-mapped");
        assertArrayEquals(new int[] {ckpt.config().kvCacheWidth(), ckpt.config().hiddenSize()}, new int[] {w.rows(), w.cols()});
    }
}
