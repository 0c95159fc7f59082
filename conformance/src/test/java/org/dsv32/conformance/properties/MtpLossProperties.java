package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.checks.MtpLossCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.ops.MtpLoss;
import org.dsv32.spec.ops.MtpLossOp;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The MTP objective of every backend against the reference, and its mathematics on every backend (the reference
 * included): module 1's terms are the negative log-likelihoods of the MTP operation's own logits, fed position by
 * position (the objective is the function serving runs), and the main terms those of the model's logits; λ scales
 * L_MTP linearly and nothing else; relabelling the vocabulary (embedding rows, head rows and the tokens alike)
 * changes no loss.
 */
class MtpLossProperties extends OperationProperties<MtpLossCheck> {
    MtpLossProperties() { super(new MtpLossCheck()); }

    private static final ModelConfig D1 = ConformanceConfigs.small().withIndexTopk(4);

    private static List<Backend> everyBackend() {
        List<Backend> all = new ArrayList<>(candidates(MtpLossOp.class));
        all.add(reference());
        return all;
    }

    private static ModelConfig config(int modules) { return D1.toBuilder().numNextnPredictLayers(modules).build(); }

    private static int[] tokens(SplittableRandom rng, ModelConfig c, int t) { return rng.ints(t, 0, c.vocabSize()).toArray(); }

    /** The per-position gate of the tolerance model, doubled: both sides are computations within it of the exact value. */
    private static double positionBound(ModelConfig c, int t, int modules, MtpLoss r, double nll) {
        return 2 * Tolerances.mtpLoss(c, PrecisionMode.EXACT, Tier.TIGHT, t, Math.min(c.indexTopk(), t), modules, 1,
                r.maxLogitNorm(), r.maxLogitRange(), 1, nll).maxErrInf() * Math.abs(nll);
    }

    @Property(tries = 3, seed = "114")
    void conformsToTheReference(@ForAll @IntRange(min = 1, max = 2) int modules, @ForAll @IntRange(min = 0, max = 4) int extra,
                                @ForAll @DoubleRange(min = 0, max = 1) double lambda, @ForAll long seed,
                                @ForAll @IntRange(min = 0, max = 1) int comparison) {
        ModelConfig c = config(modules);
        SplittableRandom rng = new SplittableRandom(seed);
        ModelWeights w = RandomWeights.model(rng, c, c.activationScaleFormat());
        assertConforms(check, new MtpLossCheck.Case("generated", c, w, tokens(rng, c, modules + 2 + extra), lambda), modeTier(check, comparison));
    }

    @Property(tries = 3, seed = "114")
    void moduleOneIsTheNllOfTheMtpOperationPositionByPosition(@ForAll @IntRange(min = 3, max = 7) int t, @ForAll long seed) {
        ModelConfig c = D1;
        SplittableRandom rng = new SplittableRandom(seed);
        ModelWeights w = RandomWeights.model(rng, c, c.activationScaleFormat());
        int[] tokens = tokens(rng, c, t);
        for (Backend b : everyBackend()) {
            OpContext ctx = new OpContext(c, PrecisionMode.EXACT);
            MtpLoss loss = b.require(MtpLossOp.class, ctx).loss(tokens.clone(), w, 0.3);
            ModelSession main = b.require(ModelOp.class, ctx).open(w);
            TensorF64 logits = main.forward(tokens.clone());
            TensorF64 hidden = main.lastHidden();
            for (int i = 0; i < t - 1; i++) {
                double want = -logSoftmax(logits.rowArray(i), tokens[i + 1]);
                assertEquals(want, loss.nll()[0][i], positionBound(c, t, 0, loss, want), b.name() + ": main NLL at position " + i);
            }
            MtpOp mtp = b.require(MtpOp.class, ctx);
            LayerCache cache = new LayerCache();
            for (int i = 0; i < t - 2; i++) { // one decode step per position, the way serving feeds the module
                TensorF64 h = TensorF64.zeros(1, hidden.cols());
                for (int k = 0; k < hidden.cols(); k++) h.put(0, k, hidden.at(i, k));
                TensorF64 z = mtp.forward(h, new int[] {tokens[i + 1]}, i, w, 0, cache);
                double want = -logSoftmax(z.rowArray(0), tokens[i + 2]);
                assertEquals(want, loss.nll()[1][i], positionBound(c, t, 1, loss, want), b.name() + ": module 1 NLL at position " + i);
            }
            assertEquals(mean(loss.nll()[1]), loss.moduleLosses()[0], Tolerances.gamma(t + 1, Tolerances.U_FP32) * loss.moduleLosses()[0], b.name());
        }
    }

    @Property(tries = 3, seed = "114")
    void lambdaScalesTheMtpLossLinearlyAndNothingElse(@ForAll @IntRange(min = 1, max = 2) int modules, @ForAll @DoubleRange(min = 0, max = 4) double lambda,
                                                     @ForAll long seed) {
        ModelConfig c = config(modules);
        SplittableRandom rng = new SplittableRandom(seed);
        ModelWeights w = RandomWeights.model(rng, c, c.activationScaleFormat());
        int[] tokens = tokens(rng, c, modules + 4);
        for (Backend b : everyBackend()) {
            MtpLossOp op = b.require(MtpLossOp.class, new OpContext(c, PrecisionMode.EXACT));
            MtpLoss one = op.loss(tokens.clone(), w, 1), scaled = op.loss(tokens.clone(), w, lambda);
            assertEquals(one.mainLoss(), scaled.mainLoss(), 0, b.name() + ": lambda changed the main loss");
            assertArrayEquals(one.moduleLosses(), scaled.moduleLosses(), 0, b.name() + ": lambda changed an L^k");
            // three roundings each side: lambda / D, the product with the sum, the sum itself at most D + 1 (fp32 at worst)
            assertEquals(lambda * one.mtpLoss(), scaled.mtpLoss(), Tolerances.gamma(2 * modules + 6, Tolerances.U_FP32) * lambda * one.mtpLoss(), b.name());
            double sum = 0;
            for (double l : one.moduleLosses()) sum += l;
            assertEquals(sum / modules, one.mtpLoss(), Tolerances.gamma(2 * modules + 4, Tolerances.U_FP32) * sum, b.name() + ": L_MTP(1) is the mean of the L^k");
        }
    }

    @Property(tries = 3, seed = "114")
    void relabellingTheVocabularyChangesNoLoss(@ForAll long seed) {
        ModelConfig c = D1;
        SplittableRandom rng = new SplittableRandom(seed);
        ModelWeights w = RandomWeights.model(rng, c, c.activationScaleFormat());
        int v = c.vocabSize();
        int[] perm = permutation(rng, v);
        ModelWeights pw = permuted(w, perm);
        int[] tokens = tokens(rng, c, 6), mapped = Arrays.stream(tokens).map(t -> perm[t]).toArray();
        for (Backend b : everyBackend()) {
            MtpLossOp op = b.require(MtpLossOp.class, new OpContext(c, PrecisionMode.EXACT));
            MtpLoss a = op.loss(tokens.clone(), w, 0.3), p = op.loss(mapped, pw, 0.3);
            for (int k = 0; k < a.nll().length; k++) {
                for (int i = 0; i < a.nll()[k].length; i++) {
                    double want = a.nll()[k][i];
                    assertEquals(want, p.nll()[k][i], positionBound(c, tokens.length, k, a, want), b.name() + ": depth " + k + " position " + i);
                }
            }
            assertTrue(Math.abs(a.mtpLoss() - p.mtpLoss()) <= positionBound(c, tokens.length, 1, a, a.mtpLoss()), b.name() + ": L_MTP");
        }
    }

    private static int[] permutation(SplittableRandom rng, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), x = p[i];
            p[i] = p[j];
            p[j] = x;
        }
        return p;
    }

    /** The model with its vocabulary relabelled by {@code perm}: embedding row and head row v move to perm[v]. */
    private static ModelWeights permuted(ModelWeights w, int[] perm) {
        List<MtpWeights> mtp = new ArrayList<>();
        for (MtpWeights m : w.mtp()) {
            mtp.add(new MtpWeights(m.enorm(), m.hnorm(), m.ehProj(), m.block(), m.headNorm(), m.head() == null ? null : rows(m.head(), perm)));
        }
        return new ModelWeights(w.config(), rows(w.embedding(), perm), w.layers(), w.finalNorm(), rows(w.lmHead(), perm), mtp);
    }

    private static Weight rows(Weight x, int[] perm) {
        int r = x.rows(), cols = x.cols();
        float[] out = new float[r * cols];
        for (int i = 0; i < r; i++) for (int j = 0; j < cols; j++) out[perm[i] * cols + j] = (float) x.get(i, j); // bf16 values: exact in fp32
        return DenseWeight.ofFloats(x.name(), out, r, cols);
    }

    private static double logSoftmax(double[] z, int target) {
        double max = Double.NEGATIVE_INFINITY, s = 0;
        for (double x : z) max = Math.max(max, x);
        for (double x : z) s += Math.exp(x - max);
        return z[target] - max - Math.log(s);
    }

    private static double mean(double[] v) { return Arrays.stream(v).sum() / v.length; }
}
