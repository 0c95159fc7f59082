package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.checks.IndexerLossCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The indexer loss of every backend against the reference, and its mathematics on every backend (the reference
 * included): the reference's four gradients are the derivatives of its loss (central finite differences in float64,
 * inputs kept off the ReLU's kinks); KL_t ≥ 2 TV(p_t, q_t)² (Pinsker: it vanishes only when Softmax(I) equals the
 * target) and is 0, with a 0 gradient, when the target is Softmax(I); the sparse loss over every causal key is the
 * dense loss; relabelling the main attention's heads or the indexer's heads changes nothing. Approximate comparisons
 * use the derived float32 bounds (spec/TOLERANCES.md, indexer_loss).
 */
class IndexerLossProperties extends OperationProperties<IndexerLossCheck> {
    IndexerLossProperties() { super(new IndexerLossCheck()); }

    private static IndexerLossCheck.Case generated(long seed, int queries, int cached, int heads, int d, int mainHeads, int topK) {
        SplittableRandom rng = new SplittableRandom(seed);
        IndexerLossCheck.Case c = IndexerLossCheck.dense("generated", ConformanceConfigs.small(), rng, queries, queries + cached, heads, d, mainHeads);
        if (topK == 0) return c;
        int[][] sel = IndexerLossCheck.topK(c, topK);
        TensorF64 attention = rng.nextBoolean() ? c.attention() : IndexerLossCheck.attention(rng, queries, mainHeads, queries + cached, sel);
        return new IndexerLossCheck.Case("generated (sparse, top-" + topK + ")", c.config(), attention, c.q(), c.k(), c.w(), sel);
    }

    private static List<Backend> everyBackend() {
        List<Backend> all = new ArrayList<>(candidates(IndexerLossOp.class));
        all.add(reference());
        return all;
    }

    private static IndexerLossOp op(Backend b) {
        return b.require(IndexerLossOp.class, new OpContext(ConformanceConfigs.small(), PrecisionMode.EXACT));
    }

    private static IndexerLossOp.Result on(Backend b, IndexerLossCheck.Case c) {
        return op(b).compute(c.attention(), c.q(), c.k(), c.w(), c.selection());
    }

    /** Fails unless {@code got} passes the check's comparisons against {@code want} (units from {@code want}). */
    private static void assertMatches(String who, IndexerLossCheck.Case c, IndexerLossOp.Result got, IndexerLossOp.Result want) {
        CaseEval ev = new CaseEval(who, IndexerLossCheck.lossTolerance(c.attention(), c.q(), c.k()));
        IndexerLossCheck.compare(ev, c.attention(), c.q(), c.k(), c.w(), got, want);
        assertTrue(!ev.failed(), () -> who + ": " + ev.result().failures());
    }

    @Property(tries = 25, seed = "151")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 6) int queries, @ForAll @IntRange(min = 0, max = 5) int cached,
                                @ForAll @IntRange(min = 1, max = 8) int heads, @ForAll @IntRange(min = 1, max = 32) int d,
                                @ForAll @IntRange(min = 1, max = 4) int mainHeads, @ForAll @IntRange(min = 0, max = 4) int topK,
                                @ForAll long seed, @ForAll @IntRange(min = 0, max = 1) int comparison) {
        assertConforms(check, generated(seed, queries, cached, heads, d, mainHeads, topK), modeTier(check, comparison));
    }

    /**
     * The reference's ∂L/∂q, ∂L/∂k and ∂L/∂w against central differences of its own loss, the selection held fixed.
     * The step h keeps every perturbed q · k on the side of 0 it started on (at most a quarter of the smallest |z|
     * over the largest |q|, |k| element), so no difference straddles a ReLU kink. Truncation is estimated from two
     * steps (h and h/2: it shrinks by 4, so |fd(h) − fd(h/2)| bounds fd(h/2)'s), rounding by γ_n (1 + |L|) / h.
     */
    @Property(tries = 20, seed = "152")
    void gradientsAreTheDerivativesOfTheLoss(@ForAll @IntRange(min = 1, max = 3) int queries, @ForAll @IntRange(min = 0, max = 2) int cached,
                                             @ForAll @IntRange(min = 1, max = 3) int heads, @ForAll @IntRange(min = 1, max = 4) int d,
                                             @ForAll @IntRange(min = 1, max = 3) int mainHeads, @ForAll @IntRange(min = 0, max = 2) int topK,
                                             @ForAll long seed) {
        IndexerLossCheck.Case c = generated(seed, queries, cached, heads, d, mainHeads, topK);
        IndexerLossOp ref = op(reference());
        IndexerLossOp.Result r = on(reference(), c);
        int keys = c.k().rows();
        double minZ = Double.POSITIVE_INFINITY, maxIn = 0;
        for (int t = 0; t < queries; t++) {
            for (int h = 0; h < heads; h++) {
                for (int s = 0; s < keys; s++) {
                    double z = 0;
                    for (int i = 0; i < d; i++) z += c.q().get(t, h, i) * c.k().at(s, i);
                    minZ = Math.min(minZ, Math.abs(z));
                }
            }
        }
        for (int i = 0; i < c.q().size(); i++) maxIn = Math.max(maxIn, Math.abs(c.q().getFlat(i)));
        for (int i = 0; i < c.k().size(); i++) maxIn = Math.max(maxIn, Math.abs(c.k().getFlat(i)));
        double h = Math.min(1e-3, minZ / (4 * maxIn));
        assertDerivatives("q", c.q(), r.queryGradient(), h, r.loss(), x -> ref.compute(c.attention(), x, c.k(), c.w(), c.selection()).loss());
        assertDerivatives("k", c.k(), r.keyGradient(), h, r.loss(), x -> ref.compute(c.attention(), c.q(), x, c.w(), c.selection()).loss());
        assertDerivatives("w", c.w(), r.weightGradient(), 1e-3, r.loss(), x -> ref.compute(c.attention(), c.q(), c.k(), x, c.selection()).loss());
    }

    private interface Loss { double of(TensorF64 x); }

    private static void assertDerivatives(String what, TensorF64 x, TensorF64 gradient, double h, double loss, Loss f) {
        double rounding = Tolerances.gamma(64L * x.size(), Tolerances.U_FP64) * (1 + Math.abs(loss)) / (h / 2);
        for (int i = 0; i < x.size(); i++) {
            double coarse = central(x, i, h, f), fine = central(x, i, h / 2, f), analytic = gradient.getFlat(i);
            int ii = i;
            assertEquals(fine, analytic, Math.abs(coarse - fine) + rounding,
                    () -> what + " element " + ii + ": analytic " + analytic + ", differences " + fine + " (h/2), " + coarse + " (h)");
        }
    }

    private static double central(TensorF64 x, int i, double h, Loss f) {
        TensorF64 plus = x.copy(), minus = x.copy();
        plus.setFlat(i, x.getFlat(i) + h);
        minus.setFlat(i, x.getFlat(i) - h);
        return (f.of(plus) - f.of(minus)) / (2 * h);
    }

    /** Pinsker's inequality KL ≥ 2 TV² holds on every backend within its loss bound: the loss vanishes only at the target. */
    @Property(tries = 20, seed = "153")
    void theDivergenceIsAtLeastPinskersBound(@ForAll @IntRange(min = 1, max = 6) int queries, @ForAll @IntRange(min = 0, max = 4) int cached,
                                             @ForAll @IntRange(min = 1, max = 6) int heads, @ForAll @IntRange(min = 1, max = 16) int d,
                                             @ForAll @IntRange(min = 1, max = 4) int mainHeads, @ForAll @IntRange(min = 0, max = 3) int topK,
                                             @ForAll long seed) {
        IndexerLossCheck.Case c = generated(seed, queries, cached, heads, d, mainHeads, topK);
        IndexerLossOp.Result r = on(reference(), c);
        double eps = IndexerLossCheck.lossTolerance(c.attention(), c.q(), c.k()).maxErrInf();
        double[] units = IndexerLossCheck.queryUnits(c.attention(), c.q(), c.k(), c.w(), r);
        for (Backend be : everyBackend()) {
            IndexerLossOp.Result y = on(be, c);
            for (int t = 0; t < queries; t++) {
                double tv = 0; // Σ_s |q − p| / 2 = Σ_s |g| / 2
                for (int s = 0; s < c.k().rows(); s++) tv += Math.abs(r.scoreGradient().at(t, s)) / 2;
                // the exact KL is >= 2 TV^2; a backend's is within eps U_t of it (the reference's own error is below that too)
                double kl = y.perQuery().getFlat(t), slack = eps * units[t];
                assertTrue(kl >= 2 * tv * tv - slack, be.name() + ": query " + t + " KL " + kl + " < 2 TV^2 = " + 2 * tv * tv);
            }
        }
    }

    /** A target equal to Softmax(I) (float64, every main head) gives KL 0 and a 0 gradient, to float64 rounding, in the reference. */
    @Property(tries = 15, seed = "154")
    void theLossVanishesWhenTheTargetIsTheIndexersDistribution(@ForAll @IntRange(min = 1, max = 6) int queries,
                                                              @ForAll @IntRange(min = 0, max = 4) int cached,
                                                              @ForAll @IntRange(min = 1, max = 6) int heads, @ForAll @IntRange(min = 1, max = 16) int d,
                                                              @ForAll @IntRange(min = 1, max = 4) int mainHeads, @ForAll long seed) {
        IndexerLossCheck.Case c = generated(seed, queries, cached, heads, d, mainHeads, 0);
        int keys = c.k().rows();
        TensorF64 a = TensorF64.zeros(queries, mainHeads, keys);
        IndexerLossOp.Result first = on(reference(), c);
        for (int t = 0; t < queries; t++) {
            int pos = IndexerLossOp.position(t, queries, keys);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int s = 0; s <= pos; s++) max = Math.max(max, first.scores().at(t, s));
            for (int s = 0; s <= pos; s++) sum += Math.exp(first.scores().at(t, s) - max);
            for (int m = 0; m < mainHeads; m++) for (int s = 0; s <= pos; s++) a.set(Math.exp(first.scores().at(t, s) - max) / sum, t, m, s);
        }
        IndexerLossOp.Result r = op(reference()).compute(a, c.q(), c.k(), c.w(), null);
        // the float32 derivation of spec/TOLERANCES.md with u = 2^-53: the exact KL and q − p are 0, so what remains is
        // the rounding, |KL_t| <= eps U_t and |g_s| <= eps (q_s + p_s)(1 + sigma_t + |log q_s|) <= 2 eps (U_t + |log q_s|),
        // eps = 2 gamma_{d+H+1} + 4 gamma_{H_a} + 5 gamma_{n+2} + 6u (the float32 eps_L's terms, without gamma_T)
        double u = Tolerances.U_FP64, eps = 2 * Tolerances.gamma(d + heads + 1, u) + 4 * Tolerances.gamma(mainHeads, u)
                + 5 * Tolerances.gamma(keys + 2, u) + 6 * u;
        double[] units = IndexerLossCheck.queryUnits(a, c.q(), c.k(), c.w(), r);
        for (int t = 0; t < queries; t++) {
            assertEquals(0, r.perQuery().getFlat(t), eps * units[t], "KL of query " + t);
            for (int s = 0; s <= IndexerLossOp.position(t, queries, keys); s++) {
                double logQ = Math.abs(Math.log(r.target().at(t, s) + r.scoreGradient().at(t, s)));
                assertEquals(0, r.scoreGradient().at(t, s), 2 * eps * (units[t] + logQ), "dL/dI of query " + t + ", key " + s);
            }
        }
    }

    @Property(tries = 20, seed = "155")
    void theSparseLossOverEveryCausalKeyIsTheDenseLoss(@ForAll @IntRange(min = 1, max = 6) int queries, @ForAll @IntRange(min = 0, max = 4) int cached,
                                                       @ForAll @IntRange(min = 1, max = 6) int heads, @ForAll @IntRange(min = 1, max = 16) int d,
                                                       @ForAll @IntRange(min = 1, max = 4) int mainHeads, @ForAll long seed) {
        IndexerLossCheck.Case c = generated(seed, queries, cached, heads, d, mainHeads, 0);
        int[][] every = IndexerLossCheck.everyCausalKey(queries, c.k().rows());
        for (Backend be : everyBackend()) {
            IndexerLossOp.Result dense = on(be, c);
            IndexerLossOp.Result sparse = op(be).compute(c.attention(), c.q(), c.k(), c.w(), every);
            assertMatches(be.name() + " (sparse over every causal key vs dense)", c, sparse, dense);
        }
    }

    @Property(tries = 15, seed = "156")
    void relabellingTheHeadsChangesNothing(@ForAll @IntRange(min = 1, max = 5) int queries, @ForAll @IntRange(min = 0, max = 4) int cached,
                                           @ForAll @IntRange(min = 2, max = 8) int heads, @ForAll @IntRange(min = 1, max = 16) int d,
                                           @ForAll @IntRange(min = 2, max = 5) int mainHeads, @ForAll @IntRange(min = 0, max = 3) int topK,
                                           @ForAll long seed) {
        IndexerLossCheck.Case c = generated(seed, queries, cached, heads, d, mainHeads, topK);
        SplittableRandom rng = new SplittableRandom(~seed);
        int[] ph = permutation(rng, heads), pa = permutation(rng, mainHeads);
        int keys = c.k().rows();
        TensorF64 q = TensorF64.zeros(queries, heads, d), w = TensorF64.zeros(queries, heads), a = TensorF64.zeros(queries, mainHeads, keys);
        for (int t = 0; t < queries; t++) {
            for (int h = 0; h < heads; h++) {
                w.put(t, ph[h], c.w().at(t, h));
                for (int i = 0; i < d; i++) q.set(c.q().get(t, h, i), t, ph[h], i);
            }
            for (int m = 0; m < mainHeads; m++) for (int s = 0; s < keys; s++) a.set(c.attention().get(t, m, s), t, pa[m], s);
        }
        IndexerLossCheck.Case permuted = new IndexerLossCheck.Case("heads relabelled", c.config(), a, q, c.k(), w, c.selection());
        for (Backend be : everyBackend()) {
            IndexerLossOp.Result r = on(be, c), p = on(be, permuted);
            TensorF64 dq = TensorF64.zeros(queries, heads, d), dw = TensorF64.zeros(queries, heads);
            for (int t = 0; t < queries; t++) {
                for (int h = 0; h < heads; h++) {
                    dw.put(t, h, p.weightGradient().at(t, ph[h]));
                    for (int i = 0; i < d; i++) dq.set(p.queryGradient().get(t, ph[h], i), t, h, i);
                }
            }
            IndexerLossOp.Result back = new IndexerLossOp.Result(p.loss(), p.perQuery(), p.target(), p.scores(), p.scoreGradient(), dq,
                    p.keyGradient(), dw, TensorF64.zeros(queries, mainHeads, keys));
            assertMatches(be.name() + " (heads relabelled back)", c, back, r);
        }
    }

    private static int[] permutation(SplittableRandom rng, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = rng.nextInt(i + 1), t = p[i]; p[i] = p[j]; p[j] = t; }
        return p;
    }

    @Property(tries = 5, seed = "157")
    void refusesWhatTheContractDoesNotDefine(@ForAll long seed) {
        IndexerLossCheck.Case c = generated(seed, 3, 1, 2, 4, 2, 0);
        int keys = c.k().rows();
        for (Backend be : everyBackend()) {
            IndexerLossOp op = op(be);
            assertRefused(() -> op.compute(c.attention(), c.q(), c.k(), c.w(), new int[][] {{0}, {1, 1}, {2}}), "twice");
            assertRefused(() -> op.compute(c.attention(), c.q(), c.k(), c.w(), new int[][] {{0}, {keys}, {2}}), "outside [0, " + keys + ")");
            assertRefused(() -> op.compute(c.attention(), c.q(), c.k(), c.w(), new int[][] {{3}, {1}, {2}}), "selects no causal key");
            assertRefused(() -> op.compute(c.attention(), c.q(), c.k(), c.w(), new int[][] {{0}, {1}}), "2 selection rows for 3 queries");
            TensorF64 negative = c.attention().copy();
            negative.set(-0.25, 0, 0, 0);
            assertRefused(() -> op.compute(negative, c.q(), c.k(), c.w(), null), "must be finite and >= 0");
            TensorF64 none = c.attention().copy();
            for (int m = 0; m < 2; m++) for (int s = 0; s < keys; s++) none.set(0, 1, m, s);
            assertRefused(() -> op.compute(none, c.q(), c.k(), c.w(), null), "query 1 has no attention mass");
            TensorF64 nan = c.q().copy();
            nan.setFlat(3, Double.NaN);
            assertRefused(() -> op.compute(c.attention(), nan, c.k(), c.w(), null), "q element 3 is NaN");
            assertRefused(() -> op.compute(c.attention(), c.q(), TensorF64.zeros(2, 4), c.w(), null), "keys >= 3 queries");
        }
    }

    private static void assertRefused(Runnable call, String says) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }
}
