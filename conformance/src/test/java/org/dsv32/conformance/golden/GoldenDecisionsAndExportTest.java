package org.dsv32.conformance.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decision replay (a different top-k choice within the score tolerance is judged a near tie, and the candidate is
 * then re-run with the golden choice forced) and files shaped as a PyTorch export would be (other dtypes, other
 * tensor order, explicit gates).
 */
class GoldenDecisionsAndExportTest {
    static final Backend REFERENCE = new ReferenceBackend();
    static final String MLA = "mla_attention-exact-ue8m0-prefill-then-decode";
    static final String MOE = "moe-exact-ue8m0-tokens";
    static final String ROPE = "rope-exact-ue8m0-interleaved";

    static Path shipped;

    @BeforeAll
    static void extract() throws IOException { shipped = GoldenSource.extractShipped(); }

    @AfterAll
    static void clean() { GoldenSource.deleteTree(shipped); }

    /** The reference with an indexer that selects the worst attendable keys instead of the best. */
    static Backend worstKeys() {
        return new ReferenceBackend() {
            {
                register(IndexerOp.class, (ctx, self) -> {
                    IndexerOp ok = new org.dsv32.reference.ReferenceIndexer(ctx, self);
                    return (x, q, start, w, cache) -> {
                        IndexerResult r = ok.select(x, q, start, w, cache);
                        int[][] sel = new int[r.selected().length][];
                        for (int t = 0; t < sel.length; t++) sel[t] = lowest(r.scores().rowArray(t), r.selected()[t].length, start + t + 1);
                        return new IndexerResult(r.scores(), sel);
                    };
                });
            }
        };
    }

    /** The reference with a gate that routes to the weakest experts of the kept groups (weights by the right formula). */
    static Backend weakestExperts() {
        return new ReferenceBackend() {
            {
                register(MoeGateOp.class, (ctx, self) -> {
                    MoeGateOp ok = new org.dsv32.reference.ReferenceMoeGate(ctx, self);
                    return (x, w) -> {
                        Routing r = ok.route(x, w);
                        int tokens = r.experts().length, k = r.experts()[0].length;
                        int[][] experts = new int[tokens][];
                        double[][] weights = new double[tokens][];
                        for (int t = 0; t < tokens; t++) {
                            experts[t] = lowest(r.selectionScores()[t], k, r.selectionScores()[t].length);
                            double sum = 0;
                            for (int e : experts[t]) sum += r.scores()[t][e];
                            weights[t] = new double[k];
                            for (int i = 0; i < k; i++) weights[t][i] = r.scores()[t][experts[t][i]] / sum * ctx.config().routedScalingFactor();
                        }
                        return new Routing(experts, weights, r.scores(), r.selectionScores(), r.groupScores(), r.groups());
                    };
                });
            }
        };
    }

    /** The k finite entries of the smallest value among the first {@code n}. */
    static int[] lowest(double[] s, int k, int n) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < Math.min(n, s.length); i++) if (Double.isFinite(s[i])) idx.add(i);
        idx.sort((a, b) -> Double.compare(s[a], s[b]));
        return idx.subList(0, k).stream().mapToInt(Integer::intValue).toArray();
    }

    /** Copies one shipped case into dir with its tolerance replaced, and seals the directory. */
    static Path withTolerance(Path dir, String name, String tolerance) throws IOException {
        GoldenTestFiles.subset(shipped, dir, List.of(name));
        GoldenTestFiles.rewrite(dir.resolve(name + GoldenFormat.EXTENSION), t -> t, m -> {
            m.put(GoldenFormat.TOLERANCE, tolerance);
            return m;
        });
        GoldenSealer.seal(dir);
        return dir;
    }

    static GoldenOutcome only(GoldenVerifier.Report r) {
        assertEquals(1, r.outcomes().size());
        return r.outcomes().getFirst();
    }

    @Test
    void wrongSelectionIsAViolationUnderTheHarnessGates(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, List.of(MLA, MOE));
        GoldenVerifier.Report r = GoldenVerifier.verify(dir, worstKeys(), o -> {});
        GoldenOutcome mla = r.outcomes().stream().filter(o -> o.name().equals(MLA)).findFirst().orElseThrow();
        assertEquals(GoldenStatus.FAIL, mla.status());
        assertTrue(mla.detail().contains("decision violation"), mla.detail());
        GoldenOutcome moe = only(GoldenVerifier.verify(withTolerance(dir.resolve("moe"), MOE, "tight"), weakestExperts(), o -> {}));
        assertEquals(GoldenStatus.FAIL, moe.status());
        assertTrue(moe.detail().contains("decision violation"), moe.detail());
    }

    @Test
    void selectionWithinTheScoreToleranceIsReplayedAndPasses(@TempDir Path dir) throws Exception {
        // a score tolerance so wide that every selection is a near tie: only the replay can make these pass
        double mlaGate = only(GoldenVerifier.verify(shipped.resolve(MLA + GoldenFormat.EXTENSION), REFERENCE, o -> {})).tolerance().calcDiff();
        GoldenOutcome mla = only(GoldenVerifier.verify(withTolerance(dir.resolve("mla"), MLA,
                String.format(Locale.ROOT, "{\"calc_diff\": %s, \"score_rel\": 1e9}", mlaGate)), worstKeys(), o -> {}));
        assertEquals(GoldenStatus.PASS, mla.status(), mla.detail());
        assertTrue(mla.result().decisions().nearTie() > 0, "the worst keys differ from the best");
        assertEquals("custom", mla.tier());

        double moeGate = only(GoldenVerifier.verify(shipped.resolve(MOE + GoldenFormat.EXTENSION), REFERENCE, o -> {})).tolerance().calcDiff();
        GoldenOutcome moe = only(GoldenVerifier.verify(withTolerance(dir.resolve("moe"), MOE,
                String.format(Locale.ROOT, "{\"calc_diff\": %s, \"score_rel\": 1e9}", moeGate)), weakestExperts(), o -> {}));
        assertEquals(GoldenStatus.PASS, moe.status(), moe.detail());
        assertTrue(moe.result().decisions().nearTie() > 0);
    }

    @Test
    void pytorchStyleExportWithOtherDtypesAndOrderVerifies(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, List.of(ROPE));
        Path f = dir.resolve(ROPE + GoldenFormat.EXTENSION);
        // float32 outputs, int64 positions, tensors in another order, an explicit gate: what a torch export gives
        GoldenTestFiles.rewrite(f, t -> t.name().equals("expected.y") ? GoldenTestFiles.toF32(t)
                : t.name().equals("input.positions") ? GoldenTestFiles.toI64(t) : t, m -> {
            m.put(GoldenFormat.TOLERANCE, "{\"calc_diff\": 1e-12, \"max_err_inf\": 1e-6}");
            m.put(GoldenFormat.SEED, "exported");
            return m;
        });
        reverseTensorOrder(f);
        GoldenSealer.seal(dir);
        GoldenOutcome o = only(GoldenVerifier.verify(dir, REFERENCE, x -> {}));
        assertEquals(GoldenStatus.PASS, o.status(), o.detail());
        assertEquals("custom", o.tier());

        // the same file with a zero gate fails: float32 rounding of the expected values is visible
        GoldenTestFiles.rewrite(f, t -> t, m -> {
            m.put(GoldenFormat.TOLERANCE, "{\"calc_diff\": 0}");
            return m;
        });
        GoldenSealer.seal(dir);
        assertEquals(GoldenStatus.FAIL, only(GoldenVerifier.verify(dir, REFERENCE, x -> {})).status());
    }

    @Test
    void sealIsIndependentOfTensorOrderButNotOfContent(@TempDir Path dir) throws Exception {
        GoldenTestFiles.subset(shipped, dir, List.of(ROPE));
        Path f = dir.resolve(ROPE + GoldenFormat.EXTENSION);
        String before = GoldenSeal.ofFile(f);
        reverseTensorOrder(f);
        assertTrue(!before.equals(GoldenSeal.ofFile(f)), "the file's bytes changed");
        assertEquals(GoldenStatus.PASS, only(GoldenVerifier.verify(f, REFERENCE, x -> {})).status(), "but its seal still holds");
    }

    @Test
    void sealCoversEveryTensorByteAndMetadataValue() {
        TensorData a = TensorData.ofDoubles("expected.y", new double[] {1, 2, 3}, 3);
        TensorData b = TensorData.ofBytes("w", DType.F8_E4M3, new byte[] {1, 2}, 1, 2);
        java.util.Map<String, String> m = new java.util.HashMap<>(java.util.Map.of("operation", "linear", "mode", "fp8"));
        String s = GoldenSeal.of(List.of(a, b), m);
        assertEquals(s, GoldenSeal.of(List.of(b, a), m), "order of tensors does not matter");
        m.put(GoldenFormat.CONTENT_SHA256, "anything");
        assertEquals(s, GoldenSeal.of(List.of(a, b), m), "the seal itself is left out");
        m.put("mode", "exact");
        assertTrue(!s.equals(GoldenSeal.of(List.of(a, b), m)), "metadata values count");
        m.put("mode", "fp8");
        assertTrue(!s.equals(GoldenSeal.of(List.of(a, TensorData.ofBytes("w", DType.F8_E4M3, new byte[] {1, 3}, 1, 2)), m)), "bytes count");
        assertTrue(!s.equals(GoldenSeal.of(List.of(a, TensorData.ofBytes("w", DType.U8, new byte[] {1, 2}, 1, 2)), m)), "dtypes count");
        assertTrue(!s.equals(GoldenSeal.of(List.of(a, TensorData.ofBytes("w", DType.F8_E4M3, new byte[] {1, 2}, 2, 1)), m)), "shapes count");
        assertTrue(!s.equals(GoldenSeal.of(List.of(a, TensorData.ofBytes("v", DType.F8_E4M3, new byte[] {1, 2}, 1, 2)), m)), "names count");
    }

    private static void reverseTensorOrder(Path f) throws IOException {
        List<TensorData> all = new ArrayList<>();
        java.util.Map<String, String> meta;
        try (org.dsv32.spec.io.SafetensorsFile s = org.dsv32.spec.io.SafetensorsFile.open(f)) {
            for (String n : s.names()) {
                TensorData t = s.tensor(n);
                all.add(new TensorData(n, t.dtype(), t.shape(), java.lang.foreign.MemorySegment.ofArray(t.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))));
            }
            meta = new java.util.LinkedHashMap<>(s.metadata());
        }
        Collections.reverse(all);
        org.dsv32.spec.io.SafetensorsWriter.write(f, all, meta);
        assertEquals(Arrays.asList(all.stream().map(TensorData::name).toArray()), Arrays.asList(namesOf(f)));
    }

    private static Object[] namesOf(Path f) throws IOException {
        try (org.dsv32.spec.io.SafetensorsFile s = org.dsv32.spec.io.SafetensorsFile.open(f)) {
            return s.names().toArray();
        }
    }
}
