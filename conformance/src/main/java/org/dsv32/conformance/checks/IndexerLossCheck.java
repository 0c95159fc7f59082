package org.dsv32.conformance.checks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.Margin;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The lightning indexer's training loss (spec/SEMANTICS.md §8b): the loss, every KL_t, the target p, the scores I
 * and the four gradients compared with the reference, each per element in the unit its float32 error scales with
 * (spec/TOLERANCES.md, indexer_loss; the gradients cancel in q − p, so no relative bound exists); the gradient into
 * the main attention must be exactly 0 (the target is detached). Cases: the dense warm-up of a prefill, a chunk of
 * queries after cached keys, the sparse stage with the indexer's own top-k (early rows selecting masked future keys),
 * the sparse stage with every causal key selected, a sparse main attention with exact zeros in the target (0 · log 0),
 * a target equal to Softmax(I) (KL = 0, gradients 0), and the real indexer's 64 heads of 128 with 16 main heads.
 * Inputs are fp32 values with every q_h(t) · k(s) at least 10^-3 Σ_i |q_i k_i| away from the ReLU's kink, where a
 * gradient is discontinuous. The loss has no rounding point of its own: TIGHT in both modes.
 */
public final class IndexerLossCheck extends AbstractOperationCheck<IndexerLossOp, IndexerLossCheck.Case> {
    /** How far from the ReLU's kink every dot product is kept, relative to Σ_i |q_i k_i|. */
    public static final double KINK_MARGIN = 1e-3;
    /** The real-dims sparse stage's |S_t|: a fifth or less of the causal keys of the dense warm-up's queries. */
    static final int SPARSE_REAL_TOPK = 48;

    public record Case(String name, ModelConfig config, TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, int[][] selection)
            implements AbstractOperationCheck.Case {}

    public IndexerLossCheck() { super(IndexerLossOp.class); }

    @Override
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT); }

    @Override
    protected List<Case> cases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.small();
        SplittableRandom rng = new SplittableRandom(o.seedFor("indexer_loss", 0));
        List<Case> cases = new ArrayList<>();
        cases.add(dense("dense warm-up, a prefill of 7 tokens", cfg, rng, 7, 7, 4, 16, 3));
        cases.add(dense("dense warm-up, a chunk of 4 queries after 5 cached keys", cfg, rng, 4, 9, 4, 16, 2));
        Case base = dense("", cfg, rng, 8, 8, 4, 16, 3);
        cases.add(withSelection("sparse stage, the indexer's top-3 (early rows select masked keys)", base, topK(base, 3)));
        cases.add(withSelection("sparse stage selecting every causal key (equals the dense loss)", base, everyCausalKey(8, 8)));
        cases.add(withAttention("sparse main attention: exact zeros outside S_t (0 log 0)", base, topK(base, 3)));
        cases.add(matchedTarget("target equal to Softmax(I): KL 0, gradients 0", cfg, rng, 6, 6, 4, 16, 2));
        cases.add(dense("the real indexer: 64 heads x 128, 16 main heads, 8 queries after 4 keys", cfg, rng, 8, 12, 64, 128, 16));
        return cases;
    }

    /**
     * Real dims: the real indexer (64 heads of 128) under the real main attention's 128 heads. Every q_h(t) · k(s)
     * must stay off the ReLU's kink ({@link #KINK_MARGIN}), and the chance that a random head clears every key falls
     * as e^(-0.006 keys), so the key counts are a few hundred, not the 2048 a top-2048 needs: the dense warm-up over
     * a chunk of 8 queries after 248 cached keys (504 in the full run), the sparse stage on the same inputs with the
     * indexer's top-48 (S_t leaves out four fifths of the causal keys, nine tenths in the full run: the share a
     * top-2048 of 10K to 20K keys leaves out), and in the full run the sparse stage of 16 queries over 80 keys with the
     * indexer's own top-64 (early rows select masked keys) and with every causal key, exact zeros in the target, and
     * a target equal to Softmax(I).
     */
    @Override
    protected List<Case> realCases(CheckOptions o) {
        ModelConfig cfg = ConformanceConfigs.real();
        int heads = cfg.indexNHeads(), d = cfg.indexHeadDim(), main = cfg.numAttentionHeads();
        int keys = o.quick() ? 256 : 512, queries = 8;
        SplittableRandom rng = new SplittableRandom(o.seedFor("indexer_loss", 1000));
        List<Case> cases = new ArrayList<>();
        Case warmUp = dense("dense warm-up: 8 queries after " + (keys - queries) + " cached keys, 64 heads x 128, 128 main heads", cfg, rng,
                queries, keys, heads, d, main);
        cases.add(warmUp);
        // the sparse stage over the same inputs: S_t excludes most of the causal keys (at least 201 of 249), as top-2048
        // of a long context does, so a loss that still runs over every key is far off
        cases.add(withSelection("sparse stage, the indexer's top-" + SPARSE_REAL_TOPK + " of " + (keys - queries + 1) + "+ causal keys",
                warmUp, topK(warmUp, SPARSE_REAL_TOPK)));
        if (!o.quick()) {
            Case base = dense("", cfg, rng, 16, 16 + 64, heads, d, main);
            cases.add(withSelection("sparse stage, the indexer's top-64 (early rows select masked keys)", base, topK(base, 64)));
            cases.add(withSelection("sparse stage selecting every causal key", base, everyCausalKey(16, 16 + 64)));
            cases.add(withAttention("sparse main attention: exact zeros outside S_t (0 log 0)", base, topK(base, 64)));
        }
        cases.add(matchedTarget("target equal to Softmax(I): KL 0, gradients 0", cfg, rng, 4, 64, heads, d, main));
        return cases;
    }

    /** A dense case: fp32 q, k (off the ReLU's kinks), w, and per main head a softmax over the causal keys. */
    public static Case dense(String name, ModelConfig cfg, SplittableRandom rng, int queries, int keys, int heads, int d, int mainHeads) {
        TensorF64 k = RandomInputs.gaussian(rng, 1, keys, d);
        TensorF64 q = queriesOffKinks(rng, k, queries, heads);
        TensorF64 w = RandomInputs.gaussian(rng, 1 / Math.sqrt(heads) * 4, queries, heads);
        return new Case(name, cfg, attention(rng, queries, mainHeads, keys, null), q, k, w, null);
    }

    /** q [T][H][d] with every q_h(t) · k(s) at least {@link #KINK_MARGIN} Σ_i |q_i k_i| from 0 (a head is redrawn until it is). */
    public static TensorF64 queriesOffKinks(SplittableRandom rng, TensorF64 k, int queries, int heads) {
        int d = k.cols(), keys = k.rows();
        TensorF64 q = TensorF64.zeros(queries, heads, d);
        for (int t = 0; t < queries; t++) {
            for (int h = 0; h < heads; h++) {
                boolean clear;
                do {
                    double[] v = new double[d];
                    for (int i = 0; i < d; i++) v[i] = (float) RandomInputs.gauss(rng);
                    clear = true;
                    for (int s = 0; s < keys && clear; s++) {
                        double z = 0, abs = 0;
                        for (int i = 0; i < d; i++) { z += v[i] * k.at(s, i); abs += Math.abs(v[i] * k.at(s, i)); }
                        clear = Math.abs(z) >= KINK_MARGIN * abs;
                    }
                    for (int i = 0; i < d; i++) q.set(v[i], t, h, i);
                } while (!clear);
            }
        }
        return q;
    }

    /**
     * Main-attention probabilities [T][H_a][S]: per head the softmax of N(0, 2²) logits over the causal keys (or over
     * the selected causal keys when {@code selection} is given, the sparse stage's attention), fp32, 0 elsewhere.
     */
    public static TensorF64 attention(SplittableRandom rng, int queries, int mainHeads, int keys, int[][] selection) {
        TensorF64 a = TensorF64.zeros(queries, mainHeads, keys);
        for (int t = 0; t < queries; t++) {
            int pos = IndexerLossOp.position(t, queries, keys);
            boolean[] on = new boolean[keys];
            if (selection == null) Arrays.fill(on, 0, pos + 1, true);
            else for (int s : selection[t]) on[s] = s <= pos;
            for (int h = 0; h < mainHeads; h++) {
                double[] e = new double[keys];
                double sum = 0;
                for (int s = 0; s < keys; s++) if (on[s]) sum += e[s] = Math.exp(2 * RandomInputs.gauss(rng));
                for (int s = 0; s < keys; s++) a.set((float) (e[s] / sum), t, h, s);
            }
        }
        return a;
    }

    /** Each query's top-k keys by the reference formula's index scores (causal keys first, then masked ones by index). */
    public static int[][] topK(Case c, int k) {
        int queries = c.q().dim(0), heads = c.q().dim(1), d = c.q().dim(2), keys = c.k().rows();
        int[][] sel = new int[queries][];
        for (int t = 0; t < queries; t++) {
            int pos = IndexerLossOp.position(t, queries, keys);
            double[] score = new double[keys];
            for (int s = 0; s < keys; s++) {
                if (s > pos) { score[s] = Double.NEGATIVE_INFINITY; continue; }
                for (int h = 0; h < heads; h++) {
                    double z = 0;
                    for (int i = 0; i < d; i++) z += c.q().get(t, h, i) * c.k().at(s, i);
                    score[s] += c.w().at(t, h) * Math.max(z, 0);
                }
            }
            Integer[] order = new Integer[keys];
            for (int s = 0; s < keys; s++) order[s] = s;
            Arrays.sort(order, (x, y) -> score[x] != score[y] ? Double.compare(score[y], score[x]) : Integer.compare(x, y));
            sel[t] = new int[Math.min(k, keys)];
            for (int j = 0; j < sel[t].length; j++) sel[t][j] = order[j];
        }
        return sel;
    }

    /** S_t = 0 .. pos(t) for every query. */
    public static int[][] everyCausalKey(int queries, int keys) {
        int[][] sel = new int[queries][];
        for (int t = 0; t < queries; t++) {
            sel[t] = new int[IndexerLossOp.position(t, queries, keys) + 1];
            for (int s = 0; s < sel[t].length; s++) sel[t][s] = sel[t].length - 1 - s; // any order
        }
        return sel;
    }

    private static Case withSelection(String name, Case c, int[][] selection) {
        return new Case(name, c.config(), c.attention(), c.q(), c.k(), c.w(), selection);
    }

    private static Case withAttention(String name, Case c, int[][] selection) {
        SplittableRandom rng = new SplittableRandom(selection.length * 31L + c.k().rows());
        return new Case(name, c.config(), attention(rng, c.q().dim(0), c.attention().dim(1), c.k().rows(), selection), c.q(), c.k(), c.w(), selection);
    }

    /** A dense case whose attention is Softmax(I) over the causal keys on every main head: the target equals the model. */
    static Case matchedTarget(String name, ModelConfig cfg, SplittableRandom rng, int queries, int keys, int heads, int d, int mainHeads) {
        Case c = dense(name, cfg, rng, queries, keys, heads, d, mainHeads);
        TensorF64 a = TensorF64.zeros(queries, mainHeads, keys);
        double scale = 1 / Math.sqrt(d);
        for (int t = 0; t < queries; t++) {
            int pos = IndexerLossOp.position(t, queries, keys);
            double[] e = new double[pos + 1];
            double sum = 0;
            for (int s = 0; s <= pos; s++) {
                double score = 0;
                for (int h = 0; h < heads; h++) {
                    double z = 0;
                    for (int i = 0; i < d; i++) z += c.q().get(t, h, i) * c.k().at(s, i);
                    score += c.w().at(t, h) * scale * Math.max(z, 0);
                }
                sum += e[s] = Math.exp(score);
            }
            for (int h = 0; h < mainHeads; h++) for (int s = 0; s <= pos; s++) a.set((float) (e[s] / sum), t, h, s);
        }
        return new Case(name, cfg, a, c.q(), c.k(), c.w(), null);
    }

    @Override
    protected Tolerance toleranceOf(Case c, ModeTier mt) { return lossTolerance(c.attention(), c.q(), c.k()); }

    /** ε_L at the case's shape (the loss, KL_t and p). */
    public static Tolerance lossTolerance(TensorF64 attention, TensorF64 q, TensorF64 k) {
        return Tolerances.indexerLoss(q.dim(2), q.dim(1), attention.dim(1), k.rows(), q.dim(0));
    }

    @Override
    protected CaseResult runCase(Case c, IndexerLossOp cand, IndexerLossOp cand2, IndexerLossOp ref, ModeTier mt) {
        IndexerLossOp.Result expected = ref.compute(c.attention().copy(), c.q().copy(), c.k().copy(), c.w().copy(), copy(c.selection()));
        CaseEval ev = new CaseEval(c.name(), lossTolerance(c.attention(), c.q(), c.k()));
        TensorF64 a = c.attention().copy(), q = c.q().copy(), k = c.k().copy(), w = c.w().copy();
        int[][] sel = copy(c.selection());
        IndexerLossOp.Result y = cand.compute(a, q, k, w, sel);
        ev.requireUnchanged("attention", c.attention(), a);
        ev.requireUnchanged("q", c.q(), q);
        ev.requireUnchanged("k", c.k(), k);
        ev.requireUnchanged("w", c.w(), w);
        if (c.selection() != null && !Arrays.deepEquals(sel, c.selection())) ev.fail("selection: input modified by the candidate");
        IndexerLossOp.Result y2 = cand2.compute(c.attention().copy(), c.q().copy(), c.k().copy(), c.w().copy(), copy(c.selection()));
        ev.requireBitwise("loss (second run)", new double[] {y.loss()}, new double[] {y2.loss()});
        ev.requireDeterministic("query gradient", y.queryGradient(), y2.queryGradient());
        ev.requireDeterministic("key gradient", y.keyGradient(), y2.keyGradient());
        compare(ev, c.attention(), c.q(), c.k(), c.w(), y, expected);
        return ev.result();
    }

    private static int[][] copy(int[][] s) {
        if (s == null) return null;
        int[][] c = new int[s.length][];
        for (int i = 0; i < s.length; i++) c[i] = s[i].clone();
        return c;
    }

    /** The comparisons a result must pass against the expected one (shared with the golden cases and the properties). */
    public static void compare(CaseEval ev, TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, IndexerLossOp.Result y, IndexerLossOp.Result r) {
        int tokens = q.dim(0), heads = q.dim(1), d = q.dim(2), keys = k.rows(), mainHeads = attention.dim(1);
        if (!shaped(ev, "per-query KL", y.perQuery(), tokens) || !shaped(ev, "target", y.target(), tokens, keys)
                || !shaped(ev, "scores", y.scores(), tokens, keys) || !shaped(ev, "score gradient", y.scoreGradient(), tokens, keys)
                || !shaped(ev, "query gradient", y.queryGradient(), tokens, heads, d) || !shaped(ev, "key gradient", y.keyGradient(), keys, d)
                || !shaped(ev, "weight gradient", y.weightGradient(), tokens, heads)
                || !shaped(ev, "attention gradient", y.attentionGradient(), tokens, mainHeads, keys)) return;
        Units u = Units.of(attention, q, k, w, r);
        double epsI = Tolerances.indexerLossScores(d, heads).maxErrInf();
        double epsL = Tolerances.indexerLoss(d, heads, mainHeads, keys, tokens).maxErrInf();
        double epsG = Tolerances.indexerLossGradient(d, heads, mainHeads, keys, tokens).maxErrInf();
        double total = 0;
        for (double v : u.query) total += v;
        within(ev, "loss", new double[] {y.loss()}, new double[] {r.loss()}, new double[] {total}, epsL);
        within(ev, "per-query KL", y.perQuery().toArray(), r.perQuery().toArray(), u.query, epsL);
        within(ev, "target p", y.target().toArray(), r.target().toArray(), r.target().toArray(), epsL);
        within(ev, "scores I", y.scores().toArray(), r.scores().toArray(), u.score, epsI);
        within(ev, "score gradient", y.scoreGradient().toArray(), r.scoreGradient().toArray(), u.g, epsG);
        within(ev, "weight gradient", y.weightGradient().toArray(), r.weightGradient().toArray(), u.w, epsG);
        within(ev, "query gradient", y.queryGradient().toArray(), r.queryGradient().toArray(), u.q, epsG);
        within(ev, "key gradient", y.keyGradient().toArray(), r.keyGradient().toArray(), u.k, epsG);
        // the report's error statistics (calc_diff, max err) of the scores and the target, which do not cancel; the
        // gradients vanish where the target matches (relative statistics would be meaningless): the gates are the ones above
        Tolerance statisticsOnly = new Tolerance(Double.POSITIVE_INFINITY, Double.NaN, Double.NaN, "statistics only (gated per element)");
        ev.compare("scores I", y.scores(), r.scores(), statisticsOnly);
        ev.compare("target p", y.target(), r.target(), statisticsOnly);
        double[] leak = y.attentionGradient().toArray();
        for (int i = 0; i < leak.length; i++) {
            if (leak[i] != 0) {
                ev.fail(String.format(Locale.ROOT, "attention gradient: %.6g at query %d, main head %d, key %d — the target must be detached "
                        + "(no gradient into the main model)", leak[i], i / (mainHeads * keys), i / keys % mainHeads, i % keys));
                break;
            }
        }
    }

    private static boolean shaped(CaseEval ev, String what, TensorF64 t, int... shape) {
        if (t != null && Arrays.equals(t.shape(), shape)) return true;
        ev.fail(what + ": shape " + (t == null ? "null" : Arrays.toString(t.shape())) + ", expected " + Arrays.toString(shape));
        return false;
    }

    /** U_t of every query (spec/TOLERANCES.md, indexer_loss): the unit a KL_t's error is measured in, from the reference's result. */
    public static double[] queryUnits(TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, IndexerLossOp.Result r) {
        return Units.of(attention, q, k, w, r).query();
    }

    /** Fails unless |candidate − expected| <= eps · unit element by element, naming the worst element in units. */
    static void within(CaseEval ev, String what, double[] candidate, double[] expected, double[] unit, double eps) {
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(candidate[i] - expected[i]);
            double ratio = err == 0 ? 0 : unit[i] == 0 || Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / unit[i];
            if (!(ratio <= worst)) { worst = ratio; at = i; }
        }
        if (!(worst <= eps)) {
            ev.fail(String.format(Locale.ROOT, "%s: element %d off by %.3g units > %.3g (got %.9g, expected %.9g)", what, at, worst, eps,
                    candidate[at], expected[at]), Margin.elementwise(worst, eps));
        }
    }

    /**
     * The units of spec/TOLERANCES.md (indexer_loss), from the inputs and the reference's result: M_{t,s} for the
     * scores, U_t per query, G_{t,s} for ∂L/∂I and the units of ∂L/∂w, ∂L/∂q and ∂L/∂k built from G.
     */
    record Units(double[] score, double[] query, double[] g, double[] w, double[] q, double[] k) {
        static Units of(TensorF64 attention, TensorF64 q, TensorF64 k, TensorF64 w, IndexerLossOp.Result r) {
            int tokens = q.dim(0), heads = q.dim(1), d = q.dim(2), keys = k.rows(), mainHeads = attention.dim(1);
            double c = 1 / Math.sqrt(d);
            double[] m = new double[tokens * keys], u = new double[tokens], g = new double[tokens * keys];
            double[] uw = new double[tokens * heads], uq = new double[tokens * heads * d], uk = new double[keys * d];
            double[][][] abs = new double[tokens][heads][keys];
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < heads; h++) {
                    for (int s = 0; s < keys; s++) {
                        double sum = 0;
                        for (int i = 0; i < d; i++) sum += Math.abs(q.get(t, h, i) * k.at(s, i));
                        abs[t][h][s] = sum;
                        m[t * keys + s] += c * Math.abs(w.at(t, h)) * sum;
                    }
                }
            }
            for (int t = 0; t < tokens; t++) {
                double sigma = 0, mass = 0, entropyish = 0;
                int pos = IndexerLossOp.position(t, tokens, keys);
                boolean[] inSet = new boolean[keys];
                for (int s = 0; s <= pos; s++) {
                    double p = r.target().at(t, s), gs = r.scoreGradient().at(t, s);
                    inSet[s] = p != 0 || gs != 0;
                }
                for (int s = 0; s < keys; s++) {
                    if (!inSet[s]) continue;
                    sigma = Math.max(sigma, m[t * keys + s]);
                    for (int a = 0; a < mainHeads; a++) mass += attention.get(t, a, s);
                }
                for (int s = 0; s < keys; s++) {
                    if (!inSet[s]) continue;
                    double p = r.target().at(t, s), qs = p + r.scoreGradient().at(t, s), logQ = Math.abs(Math.log(Math.max(qs, Double.MIN_NORMAL)));
                    entropyish += (p > 0 ? p * Math.abs(Math.log(p)) : 0) + p * logQ;
                    g[t * keys + s] = (qs + p) * (1 + sigma + logQ) + Math.abs(r.scoreGradient().at(t, s));
                }
                u[t] = 1 + sigma + entropyish + Math.abs(Math.log(mass)) + Math.abs(r.perQuery().getFlat(t));
                for (int h = 0; h < heads; h++) {
                    for (int s = 0; s < keys; s++) {
                        double gs = g[t * keys + s];
                        if (gs == 0) continue;
                        uw[t * heads + h] += c * gs * abs[t][h][s];
                        for (int i = 0; i < d; i++) {
                            uq[(t * heads + h) * d + i] += c * Math.abs(w.at(t, h)) * gs * Math.abs(k.at(s, i));
                            uk[s * d + i] += c * Math.abs(w.at(t, h)) * gs * Math.abs(q.get(t, h, i));
                        }
                    }
                }
            }
            return new Units(m, u, g, uw, uq, uk);
        }
    }
}
