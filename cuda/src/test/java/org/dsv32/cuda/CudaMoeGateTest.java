package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.MoeWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The GPU router against the definition of spec/SEMANTICS.md §9 in float64, on a small configuration. Needs a GPU. */
class CudaMoeGateTest {
    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    static final int E = 32, G = 8, KEEP = 3, K = 4, D = 64;

    /** 32 experts in 8 groups of 4, 3 groups kept, top-4, scaling 2.5. */
    static ModelConfig config() {
        ModelConfig c = ModelConfig.deepseekV32();
        return c.toBuilder()
                .hiddenSize(D)
                .nRoutedExperts(E).numExpertsPerTok(K).nGroup(G).topkGroup(KEEP).nSharedExperts(1)
                .scoringFunc("sigmoid").topkMethod("noaux_tc").normTopkProb(true).routedScalingFactor(2.5)
                .build();
    }

    static MoeWeights weights(float[] router, float[] bias) {
        return new MoeWeights(DenseWeight.ofFloats("gate.weight", router, E, D),
                DenseWeight.ofFloats("gate.e_score_correction_bias", bias, 1, E), java.util.List.of(), null);
    }

    static int[] top(double[] v, int k) {
        return IntStream.range(0, v.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -v[i]).thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void routingMatchesTheDefinition() {
        Random rnd = new Random(21);
        float[] router = new float[E * D], bias = new float[E];
        for (int i = 0; i < router.length; i++) router[i] = (float) (0.2 * rnd.nextGaussian());
        for (int i = 0; i < E; i++) bias[i] = (float) (0.1 * rnd.nextGaussian());
        TensorF64 x = GpuTestSupport.floats(rnd, 5, D, 1.0);
        Routing r = GpuTestSupport.op(MoeGateOp.class, config()).route(x, weights(router, bias));
        for (int t = 0; t < 5; t++) {
            double[] s = new double[E], b = new double[E];
            double sTol = 0; // the fp32 scores' bound: a D-long logit (gamma_D of sum |w x|) through the sigmoid,
                             // whose slope is at most 1/4, then expf (within 2 ulp), the sum and the quotient
            for (int e = 0; e < E; e++) {
                double logit = 0, abs = 0;
                for (int d = 0; d < D; d++) {
                    logit += router[e * D + d] * x.at(t, d);
                    abs += Math.abs(router[e * D + d] * x.at(t, d));
                }
                s[e] = 1 / (1 + Math.exp(-logit));
                b[e] = s[e] + bias[e];
                sTol = Math.max(sTol, KernelTolerances.fp32(D) * abs / 4 + KernelTolerances.fp32(6));
            }
            double bTol = sTol + KernelTolerances.fp32(1) * 2; // the bias add, on values below 2
            double[] gs = new double[G];
            for (int g = 0; g < G; g++) {
                double[] grp = Arrays.copyOfRange(b, g * 4, g * 4 + 4);
                int[] two = top(grp, 2);
                gs[g] = grp[two[0]] + grp[two[1]];
            }
            int[] kept = top(gs, KEEP);
            boolean[] keep = new boolean[G];
            for (int g : kept) keep[g] = true;
            for (int e = 0; e < E; e++) if (!keep[e / 4]) b[e] = Double.NEGATIVE_INFINITY;
            int[] experts = top(b, K);
            double sum = 0;
            for (int e : experts) sum += s[e];
            assertArrayEquals(kept, r.groups()[t], "kept groups of token " + t);
            assertArrayEquals(experts, r.experts()[t], "experts of token " + t);
            // s_i / sum s * 2.5: each s_i and the sum of K of them off by at most sTol each, then K + 2 fp32 roundings
            double wTol = 2.5 * ((K + 1) * sTol / sum + KernelTolerances.fp32(K + 2));
            for (int i = 0; i < K; i++) assertEquals(s[experts[i]] / sum * 2.5, r.weights()[t][i], wTol, "weight " + i);
            for (int e = 0; e < E; e++) {
                assertEquals(s[e], r.scores()[t][e], sTol);
                assertEquals(b[e], r.selectionScores()[t][e], bTol);   // -inf equals -inf exactly
            }
            for (int g = 0; g < G; g++) assertEquals(gs[g], r.groupScores()[t][g], 2 * bTol + KernelTolerances.fp32(1) * 4);
        }
    }

    @Test
    void tiesGoToTheLowerIndexAndDroppedGroupsAreMinusInfinity() {
        // A zero router gives s = 0.5 everywhere: with no bias every group and expert ties.
        Routing r = GpuTestSupport.op(MoeGateOp.class, config()).route(TensorF64.zeros(1, D), weights(new float[E * D], new float[E]));
        assertArrayEquals(new int[] {0, 1, 2}, r.groups()[0]);
        assertArrayEquals(new int[] {0, 1, 2, 3}, r.experts()[0]);
        // s = 1 / (1 + e^0) = 0.5 exactly; 0.5 / (K 0.5) * 2.5 in K + 2 fp32 roundings
        for (int i = 0; i < K; i++) assertEquals(2.5 / K, r.weights()[0][i], KernelTolerances.fp32(K + 2) * 2.5);
        assertEquals(Double.NEGATIVE_INFINITY, r.selectionScores()[0][E - 1]);
        assertEquals(1.0, r.groupScores()[0][G - 1], KernelTolerances.fp32(1));   // top-2 sum, not max
    }
}
