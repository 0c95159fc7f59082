package org.dsv32.conformance.calibrate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.dsv32.conformance.ErrorStats;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.MtpLoss;
import org.dsv32.spec.ops.MtpLossOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Accumulator;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Predictive;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.ScaleFormat;
import org.dsv32.spec.weights.Weight;

/**
 * The empirical validation of the predictive gates (spec/TOLERANCES.md §10): over many seeds at each shape, the
 * error of a candidate (the simd backend) against the float64 reference, and of the tensor-core emulation
 * ({@link TensorCoreGemm}) against its exact product, as percentiles beside the gate and the rigorous bound. Each
 * measurement is one compared tensor per seed; a correct candidate sits under the gate (the gate holds except with
 * probability {@link org.dsv32.spec.tolerance.Predictive#P_CHECK} per tensor). {@link #plan} lists the rows with
 * their bounds and no measurement, which is what a test compares with the table in spec/TOLERANCES.md.
 */
public final class Calibration {
    /** The modes calibrated for every operation; the bf16 tier (TOLERANCES.md §5b) for the mlp and the MoE layer. */
    private static final PrecisionMode[] MODES = {PrecisionMode.EXACT, PrecisionMode.FP8};

    private Calibration() {}

    /** One measured row: the per-seed metric's p50, p99 and max, the gate and the rigorous bound it is judged by. */
    public record Row(String operation, String shape, String comparison, String metric, int samples, double p50, double p99, double max,
                      double gate, double rigorous) {
        /** Whether every sample sits under the gate. */
        public boolean within() { return max <= gate; }
    }

    /** Which shapes: the 671B reduction lengths ({@code real}) or the conformance harness's small ones; {@code seeds} per shape. */
    public record Plan(boolean real, int seeds) {}

    private static final int[] REAL_K = {7168, 1536, 512, 2048, 18432, 16384};
    private static final int[] SMALL_K = {128, 256, 384};
    private static final int OUT = 256, TOKENS = 2;
    /** Distinct expert weight sets of the MoE rows (the 671B layer's 256 experts reuse them, as the benchmark does). */
    private static final int MOE_DISTINCT_EXPERTS = 4;

    /** The rows of a plan with their bounds, unmeasured (samples 0, NaN percentiles). */
    public static List<Row> plan(Plan p) {
        List<Row> rows = new ArrayList<>();
        new Runner(null, null, p, null, false).all(rows);
        return rows;
    }

    /** Measures every row of the plan, the candidate against the reference; {@code progress} gets one line per row. */
    public static List<Row> run(Backend candidate, Backend reference, Plan p, Consumer<String> progress) {
        List<Row> rows = new ArrayList<>();
        new Runner(candidate, reference, p, progress, true).all(rows);
        return rows;
    }

    /** The rows as the Markdown table of spec/TOLERANCES.md §10. */
    public static String markdown(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| operation | shape | comparison | metric | seeds | p50 | p99 | max | gate | max / gate | rigorous |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append("| ").append(r.operation()).append(" | ").append(r.shape()).append(" | ").append(r.comparison()).append(" | ")
                    .append(r.metric()).append(" | ").append(r.samples()).append(" | ").append(sci(r.p50())).append(" | ").append(sci(r.p99()))
                    .append(" | ").append(sci(r.max())).append(" | ").append(sci(r.gate())).append(" | ")
                    .append(r.gate() > 0 ? String.format(Locale.ROOT, "%.2g", r.max() / r.gate()) : "—").append(" | ")
                    .append(sci(r.rigorous())).append(" |\n");
        }
        return sb.toString();
    }

    /** The bound columns of a table row (operation, shape, comparison, metric, gate, rigorous), for the doc test. */
    public static String boundsKey(Row r) {
        return String.join(" | ", r.operation(), r.shape(), r.comparison(), r.metric(), sci(r.gate()), sci(r.rigorous()));
    }

    static String sci(double v) {
        if (Double.isNaN(v)) return "—";
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.2e", v);
    }

    /** The percentile q of sorted samples (nearest rank). */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[(int) Math.ceil(q * (sorted.length - 1))];
    }

    /** One sample: a metric's value. */
    private interface Sample { double measure(long seed); }

    private static final class Runner {
        private final Backend cand, ref;
        private final Plan plan;
        private final Consumer<String> progress;
        private final boolean measure;
        private final ModelConfig real = ModelConfig.deepseekV32();

        Runner(Backend cand, Backend ref, Plan plan, Consumer<String> progress, boolean measure) {
            this.cand = cand;
            this.ref = ref;
            this.plan = plan;
            this.progress = progress;
            this.measure = measure;
        }

        void all(List<Row> rows) {
            int[] ks = plan.real() ? REAL_K : SMALL_K;
            for (int k : ks) {
                for (var mt : List.of(new Object[] {PrecisionMode.EXACT, Tier.TIGHT}, new Object[] {PrecisionMode.FP8, Tier.TIGHT},
                        new Object[] {PrecisionMode.FP8, Tier.LOOSE})) {
                    PrecisionMode m = (PrecisionMode) mt[0];
                    Tier t = (Tier) mt[1];
                    Tolerance tol = Tolerances.linear(k, true, m, t);
                    rows.add(row("linear", "K=" + k, label(m, t), "calc_diff", tol.calcDiff(), tol.rigorous().calcDiff(),
                            seed -> linear(seed, k, m, t)));
                }
            }
            int dgradN = plan.real() ? 7168 : 256, wgradM = plan.real() ? 4096 : 256;
            for (PrecisionMode m : MODES) {
                Tolerance d = Tolerances.fp8Dgrad(dgradN, true, m, Tier.TIGHT);
                rows.add(row("fp8_backward dgrad", "N=" + dgradN, label(m, Tier.TIGHT), "calc_diff", d.calcDiff(), d.rigorous().calcDiff(),
                        seed -> dgrad(seed, dgradN, m)));
                Tolerance w = Tolerances.fp8Wgrad(wgradM, m, Tier.TIGHT);
                rows.add(row("fp8_backward wgrad", "M=" + wgradM, label(m, Tier.TIGHT), "calc_diff", w.calcDiff(), w.rigorous().calcDiff(),
                        seed -> wgrad(seed, wgradM, m)));
            }
            int d = plan.real() ? real.hiddenSize() : 256;
            Tolerance rn = Tolerances.rmsNorm(d, false);
            rows.add(row("rms_norm", "D=" + d, "any/tight", "max err", rn.maxErrInf(), rn.rigorous().maxErrInf(), seed -> rmsNorm(seed, d)));
            Tolerance h = Tolerances.hadamard(128);
            rows.add(row("hadamard", "n=128", "any/tight", "calc_diff", h.calcDiff(), h.rigorous().calcDiff(), seed -> hadamard(seed)));
            int inter = plan.real() ? real.moeIntermediateSize() : 384;
            for (var mt : List.of(new Object[] {PrecisionMode.EXACT, Tier.TIGHT}, new Object[] {PrecisionMode.FP8, Tier.TIGHT},
                    new Object[] {PrecisionMode.FP8, Tier.LOOSE})) {
                PrecisionMode m = (PrecisionMode) mt[0];
                Tier t = (Tier) mt[1];
                Tolerance tol = Tolerances.mlp(d, inter, m, t);
                rows.add(row("mlp", "D=" + d + ", I=" + inter, label(m, t), "calc_diff", tol.calcDiff(), tol.rigorous().calcDiff(),
                        seed -> mlp(seed, d, inter, m, t)));
            }
            // the bf16 tier (TOLERANCES.md §5b): its predictive gate as MlpCheck computes it, the worst-saturation bound as context
            Tolerance mlpBf16 = org.dsv32.conformance.checks.MlpCheck.tolerance(d, inter, org.dsv32.conformance.ModeTier.BF16_TIGHT);
            rows.add(row("mlp", "D=" + d + ", I=" + inter, label(PrecisionMode.BF16, Tier.TIGHT), "calc_diff", mlpBf16.calcDiff(),
                    mlpBf16.rigorous().calcDiff(), seed -> mlp(seed, d, inter, PrecisionMode.BF16, Tier.TIGHT)));
            ModelConfig mc = plan.real() ? real : org.dsv32.conformance.generate.ConformanceConfigs.small();
            int distinct = Math.min(mc.nRoutedExperts(), MOE_DISTINCT_EXPERTS);
            String moeShape = "D=" + mc.hiddenSize() + ", I=" + mc.moeIntermediateSize() + ", " + mc.nRoutedExperts() + " experts ("
                    + distinct + " distinct), top-" + mc.numExpertsPerTok();
            List<Object[]> moeModes = MOE_MODES;
            for (int i = 0; i < moeModes.size(); i++) {
                PrecisionMode m = (PrecisionMode) moeModes.get(i)[0];
                Tier t = (Tier) moeModes.get(i)[1];
                Tolerance tol = m == PrecisionMode.BF16 ? org.dsv32.conformance.checks.MoeCheck.tolerance(mc, org.dsv32.conformance.ModeTier.BF16_TIGHT) : Tolerances.moe(mc, m, t);
                int which = i;
                rows.add(row("moe (experts replayed)", moeShape, label(m, t), "calc_diff", tol.calcDiff(), tol.rigorous().calcDiff(),
                        seed -> moeMemo.computeIfAbsent(seed, k -> moe(seed, mc, distinct))[which]));
            }
            ModelConfig ic = plan.real() ? real : org.dsv32.conformance.generate.ConformanceConfigs.small();
            int tokens = plan.real() ? 32 : 16;
            for (PrecisionMode m : MODES) {
                Tolerance tol = Tolerances.indexer(ic, m, Tier.TIGHT, tokens);
                String shape = "D=" + ic.hiddenSize() + ", H=" + ic.indexNHeads() + "x" + ic.indexHeadDim() + ", T=" + tokens;
                rows.add(row("indexer scores", shape, label(m, Tier.TIGHT), "calc_diff", tol.calcDiff(), tol.rigorous().calcDiff(),
                        seed -> indexer(seed, ic, tokens, m, false)));
                rows.add(row("indexer scores", shape, label(m, Tier.TIGHT), "score err / row max (rows of >= 9 keys)", tol.scoreRel() / 2, tol.rigorous().scoreRel(),
                        seed -> indexer(seed, ic, tokens, m, true)));
            }
            ModelConfig lc = mtpLossConfig(plan.real());
            int lt = plan.real() ? 4 : 9;
            String lossShape = "V=" + lc.vocabSize() + ", D=" + lc.numNextnPredictLayers() + " modules, T=" + lt + (plan.real() ? ", one model" : "");
            // exact mode only: in fp8 TIGHT the chain has E4M3 code flips and the rigorous bound gates (TOLERANCES.md §10.6)
            rows.add(row("mtp_loss (main, L^k, L_MTP, NLLs)", lossShape, label(PrecisionMode.EXACT, Tier.TIGHT), "err / predicted RMS",
                    Predictive.elementFactor(), Double.NaN, seed -> mtpLoss(seed, lc, lt, PrecisionMode.EXACT)));
            for (int k : ks) {
                double gate = KernelTolerances.tensorCore(k, 128);
                rows.add(row("fp8 GEMM, tensor-core emulation", "K=" + k, "vs exact product", "err / T", gate,
                        KernelTolerances.fp8GemmBlocked(k, 128, Accumulator.TENSOR_CORE_FP8), seed -> tensorCore(seed, k, false)));
                Tolerance tol = ScopedValue.where(Accumulator.FP8_GEMM, Accumulator.TENSOR_CORE_FP8)
                        .call(() -> Tolerances.linear(k, true, PrecisionMode.FP8, Tier.TIGHT));
                rows.add(row("fp8 GEMM, tensor-core emulation", "K=" + k, "fp8/tight", "calc_diff", tol.calcDiff(), tol.rigorous().calcDiff(),
                        seed -> tensorCore(seed, k, true)));
            }
        }

        private static String label(PrecisionMode m, Tier t) { return m.label() + "/" + t.label(); }

        private Row row(String op, String shape, String comparison, String metric, double gate, double rigorous, Sample s) {
            if (!measure) return new Row(op, shape, comparison, metric, 0, Double.NaN, Double.NaN, Double.NaN, gate, rigorous);
            double[] v = new double[plan.seeds()];
            for (int i = 0; i < v.length; i++) v[i] = s.measure(seedOf(op + shape, i));
            Arrays.sort(v);
            Row r = new Row(op, shape, comparison, metric, v.length, percentile(v, 0.5), percentile(v, 0.99), v[v.length - 1], gate, rigorous);
            if (progress != null) {
                progress.accept(String.format(Locale.ROOT, "%-32s %-22s %-12s %-20s p50 %.2e  p99 %.2e  max %.2e  gate %.2e  %s", op, shape,
                        comparison, metric, r.p50(), r.p99(), r.max(), gate, r.within() ? "ok" : "ABOVE THE GATE"));
            }
            return r;
        }

        /** The seeds of a row: by operation and shape, so that the comparisons of one shape measure the same inputs. */
        private static long seedOf(String key, int i) { return 0x5eedL * 31 + key.hashCode() * 1_000_003L + i; }

        /** The MoE rows' comparisons, in the order of {@link #moe}'s results; bf16 is the tier of TOLERANCES.md §5b. */
        private static final List<Object[]> MOE_MODES = List.of(new Object[] {PrecisionMode.EXACT, Tier.TIGHT},
                new Object[] {PrecisionMode.FP8, Tier.TIGHT}, new Object[] {PrecisionMode.FP8, Tier.LOOSE}, new Object[] {PrecisionMode.BF16, Tier.TIGHT});

        private final java.util.Map<Long, double[]> moeMemo = new java.util.HashMap<>();

        /**
         * One MoE layer's output for 4 tokens in the four comparisons (exact/tight, fp8/tight, fp8/loose, bf16/tight), the reference
         * replaying the candidate's routing: every one of the configuration's experts is addressable, their weights
         * {@code distinct} sets repeated (as the benchmark does), so the 671B layer fits in memory.
         */
        private double[] moe(long seed, ModelConfig c, int distinct) {
            SplittableRandom rng = new SplittableRandom(seed);
            String p = "calibrate.moe.";
            int d = c.hiddenSize();
            Weight router = RandomWeights.bf16(rng, p + "gate.weight", c.nRoutedExperts(), d, 0, 1 / Math.sqrt(d));
            Weight bias = RandomWeights.fp32(rng, p + "gate.e_score_correction_bias", 1, c.nRoutedExperts(), 0, 0.01);
            List<MlpWeights> sets = new ArrayList<>();
            for (int e = 0; e < distinct; e++) sets.add(RandomWeights.mlp(rng, p + "experts." + e, d, c.moeIntermediateSize(), c.activationScaleFormat()));
            List<MlpWeights> experts = new ArrayList<>();
            for (int e = 0; e < c.nRoutedExperts(); e++) experts.add(sets.get(e % distinct));
            MlpWeights shared = RandomWeights.mlp(rng, p + "shared_experts", d, c.moeIntermediateSize() * Math.max(1, c.nSharedExperts()), c.activationScaleFormat());
            MoeWeights w = new MoeWeights(router, bias, experts, shared);
            TensorF64 x = RandomInputs.gaussian(rng, 1, 4, d);
            double[] out = new double[MOE_MODES.size()];
            int i = 0;
            for (var mt : MOE_MODES) {
                PrecisionMode m = (PrecisionMode) mt[0];
                PrecisionMode rm = mt[1] == Tier.LOOSE ? PrecisionMode.EXACT : m;
                MoeResult r = op(cand, MoeOp.class, c, m).forward(x.copy(), w, null);
                MoeResult e = op(ref, MoeOp.class, c, rm).forward(x.copy(), w, r.routing());
                out[i++] = ErrorStats.of(r.output().toArray(), e.output().toArray()).calcDiff();
            }
            return out;
        }

        private <T extends org.dsv32.spec.ops.Operation> T op(Backend b, Class<T> type, ModelConfig c, PrecisionMode m) {
            return b.require(type, new OpContext(c, m));
        }

        private double linear(long seed, int k, PrecisionMode m, Tier t) {
            SplittableRandom rng = new SplittableRandom(seed);
            Weight w = RandomWeights.fp8(rng, "calibrate.linear.weight", OUT, k, 1 / Math.sqrt(k), ScaleFormat.UE8M0);
            TensorF64 x = RandomInputs.gaussian(rng, 1, TOKENS, k);
            PrecisionMode rm = t == Tier.LOOSE ? PrecisionMode.EXACT : m;
            return ErrorStats.of(op(cand, LinearOp.class, real, m).apply(x.copy(), w).toArray(), op(ref, LinearOp.class, real, rm).apply(x.copy(), w).toArray()).calcDiff();
        }

        private double dgrad(long seed, int n, PrecisionMode m) {
            SplittableRandom rng = new SplittableRandom(seed);
            Weight w = RandomWeights.fp8(rng, "calibrate.dgrad.weight", n, OUT, 1 / Math.sqrt(n), ScaleFormat.UE8M0);
            TensorF64 dy = RandomInputs.gaussian(rng, 1, TOKENS, n);
            return ErrorStats.of(op(cand, Fp8BackwardOp.class, real, m).dgrad(dy.copy(), w).toArray(),
                    op(ref, Fp8BackwardOp.class, real, m).dgrad(dy.copy(), w).toArray()).calcDiff();
        }

        private double wgrad(long seed, int mTokens, PrecisionMode m) {
            SplittableRandom rng = new SplittableRandom(seed);
            TensorF64 dy = RandomInputs.gaussian(rng, 1, mTokens, 16);
            TensorF64 x = RandomInputs.gaussian(rng, 1, mTokens, 32);
            return ErrorStats.of(op(cand, Fp8BackwardOp.class, real, m).wgrad(dy.copy(), x.copy()).toArray(),
                    op(ref, Fp8BackwardOp.class, real, m).wgrad(dy.copy(), x.copy()).toArray()).calcDiff();
        }

        private double rmsNorm(long seed, int d) {
            SplittableRandom rng = new SplittableRandom(seed);
            Weight w = RandomWeights.normWeight(rng, "calibrate.norm.weight", d);
            TensorF64 x = RandomInputs.gaussian(rng, 1, 8, d);
            return ErrorStats.of(op(cand, RmsNormOp.class, real, PrecisionMode.EXACT).apply(x.copy(), w, 1e-6).toArray(),
                    op(ref, RmsNormOp.class, real, PrecisionMode.EXACT).apply(x.copy(), w, 1e-6).toArray()).maxErrInf();
        }

        private double hadamard(long seed) {
            TensorF64 x = RandomInputs.gaussian(new SplittableRandom(seed), 1, 64, 128);
            return ErrorStats.of(op(cand, HadamardOp.class, real, PrecisionMode.EXACT).apply(x.copy()).toArray(),
                    op(ref, HadamardOp.class, real, PrecisionMode.EXACT).apply(x.copy()).toArray()).calcDiff();
        }

        private double mlp(long seed, int d, int inter, PrecisionMode m, Tier t) {
            SplittableRandom rng = new SplittableRandom(seed);
            MlpWeights w = RandomWeights.mlp(rng, "calibrate.mlp", d, inter, ScaleFormat.UE8M0);
            TensorF64 x = RandomInputs.gaussian(rng, 1, TOKENS, d);
            PrecisionMode rm = t == Tier.LOOSE ? PrecisionMode.EXACT : m;
            return ErrorStats.of(op(cand, MlpOp.class, real, m).forward(x.copy(), w).toArray(), op(ref, MlpOp.class, real, rm).forward(x.copy(), w).toArray()).calcDiff();
        }

        private final java.util.Map<String, double[]> indexerMemo = new java.util.HashMap<>();

        /** Both indexer rows of a mode share their seeds (the row key has no metric), so one run per seed serves the two. */
        private double indexer(long seed, ModelConfig c, int tokens, PrecisionMode m, boolean perElement) {
            double[] both = indexerMemo.computeIfAbsent(m + ":" + seed, k -> indexerOnce(seed, c, tokens, m));
            return perElement ? both[1] : both[0];
        }

        /** The scores of {@code tokens} new tokens at position 0 (causal: finite entries only): calc_diff and the worst per-element error per row max. */
        private double[] indexerOnce(long seed, ModelConfig c, int tokens, PrecisionMode m) {
            SplittableRandom rng = new SplittableRandom(seed);
            IndexerWeights w = RandomWeights.indexer(rng, c, 0, c.activationScaleFormat());
            TensorF64 x = RandomInputs.gaussian(rng, 1, tokens, c.hiddenSize());
            TensorF64 q = RandomInputs.gaussian(rng, 1, tokens, c.qLoraRank());
            IndexerResult a = op(cand, IndexerOp.class, c, m).select(x.copy(), q.copy(), 0, w, new LayerCache());
            IndexerResult b = op(ref, IndexerOp.class, c, m).select(x.copy(), q.copy(), 0, w, new LayerCache());
            double[] sa = a.scores().toArray(), sb = b.scores().toArray();
            int cols = b.scores().cols();
            List<Double> xa = new ArrayList<>(), xb = new ArrayList<>();
            double worst = 0;
            for (int r = 0; r < b.scores().rows(); r++) {
                double scale = 0, err = 0;
                int keys = 0;
                for (int j = 0; j < cols; j++) {
                    double u = sa[r * cols + j], v = sb[r * cols + j];
                    if (!Double.isFinite(v)) continue;
                    xa.add(u);
                    xb.add(v);
                    scale = Math.max(scale, Math.abs(v));
                    err = Math.max(err, Math.abs(u - v));
                    keys++;
                }
                // a decision needs more keys than k >= 8: the score tolerance is judged on such rows (Predictive.ROW_MAX_FACTOR)
                if (scale > 0 && keys >= 9) worst = Math.max(worst, err / scale);
            }
            double cd = ErrorStats.of(xa.stream().mapToDouble(Double::doubleValue).toArray(), xb.stream().mapToDouble(Double::doubleValue).toArray()).calcDiff();
            return new double[] {cd, worst};
        }

        /** The model of the mtp_loss rows: the harness's small one, or the real-shape one of mtp_loss's real cases; D = 2. */
        private static ModelConfig mtpLossConfig(boolean real) {
            ModelConfig c = real ? org.dsv32.conformance.generate.ConformanceConfigs.realModel()
                    : org.dsv32.conformance.generate.ConformanceConfigs.small().withIndexTopk(4);
            return c.toBuilder().numNextnPredictLayers(2).build();
        }

        private ModelWeights realLossModel;

        /**
         * The MTP objective over {@code t} tokens with λ = 0.1: the largest error of any compared loss (main, each L^k,
         * L_MTP, every per-position NLL, as {@code MtpLossCheck} compares them) in units of its predicted RMS
         * ({@link Tolerances#mtpLossRms} at the reference's logit scale). Small dims draw a model per seed; real dims
         * build one model (module 2 sharing module 1's projection and block, as the real cases do) and the seeds draw
         * the tokens.
         */
        private double mtpLoss(long seed, ModelConfig c, int t, PrecisionMode m) {
            SplittableRandom rng = new SplittableRandom(seed);
            ModelWeights w;
            if (plan.real()) {
                if (realLossModel == null) {
                    ModelConfig one = org.dsv32.conformance.generate.ConformanceConfigs.realModel();
                    realLossModel = org.dsv32.conformance.generate.RealWeights.chainedModules(
                            org.dsv32.conformance.generate.RealWeights.sharedModel(one, 0x10557L), c, 2, 0x10558L);
                }
                w = realLossModel;
            } else {
                w = RandomWeights.model(rng, c, c.activationScaleFormat());
            }
            int[] tokens = new int[t];
            for (int i = 0; i < t; i++) tokens[i] = rng.nextInt(c.vocabSize());
            double lambda = 0.1;
            MtpLoss y = op(cand, MtpLossOp.class, c, m).loss(tokens.clone(), w, lambda);
            MtpLoss r = op(ref, MtpLossOp.class, c, m).loss(tokens.clone(), w, lambda);
            int d = c.numNextnPredictLayers(), keys = Math.min(c.indexTopk(), t);
            double norm = r.maxLogitNorm(), range = r.maxLogitRange();
            java.util.function.IntFunction<Double> logitsVar = k -> Tolerances.mtpLossLogitsVar(c, m, Tier.TIGHT, t, keys, k);
            double worst = Math.abs(y.mainLoss() - r.mainLoss()) / Tolerances.mtpLossRms(c.vocabSize(), d, logitsVar.apply(0), t - 1, norm, range, 1, r.mainLoss());
            for (int k = 1; k <= d; k++) {
                double lv = logitsVar.apply(k), l = r.moduleLosses()[k - 1];
                worst = Math.max(worst, Math.abs(y.moduleLosses()[k - 1] - l) / Tolerances.mtpLossRms(c.vocabSize(), d, lv, t - k - 1, norm, range, 1, l));
            }
            for (int k = 0; k <= d; k++) {
                double lv = logitsVar.apply(k);
                for (int i = 0; i < r.nll()[k].length; i++) {
                    double v = r.nll()[k][i];
                    worst = Math.max(worst, Math.abs(y.nll()[k][i] - v) / Tolerances.mtpLossRms(c.vocabSize(), d, lv, 1, norm, range, 1, v));
                }
            }
            return Math.max(worst, Math.abs(y.mtpLoss() - r.mtpLoss())
                    / Tolerances.mtpLossRms(c.vocabSize(), d, logitsVar.apply(d), t - 2, norm, range, lambda, r.mtpLoss()));
        }

        /**
         * The tensor-core emulation of an fp8 linear (ue8m0 scales, the reference's act_quant): the worst element's
         * error per T, or the output's calc_diff against the exact product of the same quantised operands.
         */
        private double tensorCore(long seed, int k, boolean calcDiff) {
            SplittableRandom rng = new SplittableRandom(seed);
            Fp8BlockWeight w = RandomWeights.fp8(rng, "calibrate.tc.weight", OUT, k, 1 / Math.sqrt(k), ScaleFormat.UE8M0);
            TensorF64 x = RandomInputs.gaussian(rng, 1, TOKENS, k);
            QuantizedActivation qa = op(ref, ActQuantOp.class, real, PrecisionMode.FP8).quantize(x, ScaleFormat.UE8M0);
            TensorF64 xq = qa.dequantize();
            double[] got = new double[TOKENS * OUT], exact = new double[got.length];
            double worst = 0;
            double[] wr = new double[k];
            for (int n = 0; n < OUT; n++) {
                for (int j = 0; j < k; j++) wr[j] = w.get(n, j);
                for (int t = 0; t < TOKENS; t++) {
                    TensorCoreGemm.Element e = TensorCoreGemm.dot(xq.rowArray(t), wr, 128, Accumulator.TENSOR_CORE_FP8);
                    got[t * OUT + n] = e.value();
                    exact[t * OUT + n] = e.exact();
                    if (e.absSum() > 0) worst = Math.max(worst, Math.abs(e.value() - e.exact()) / e.absSum());
                }
            }
            return calcDiff ? ErrorStats.of(got, exact).calcDiff() : worst;
        }
    }

}
