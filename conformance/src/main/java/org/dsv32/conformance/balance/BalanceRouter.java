package org.dsv32.conformance.balance;

import java.util.SplittableRandom;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeChecks;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;

/**
 * The MoE layer a balancing simulation starts from: its router W [N_r][D] and bias [N_r] (held in float64: the
 * simulation changes them) and the configuration whose routing rule (group limit, top-k) the gate applies.
 *
 * @param config the routing configuration (n_routed_experts, num_experts_per_tok, n_group, topk_group, hidden_size)
 * @param weight W, [N_r][D]
 * @param bias   e_score_correction_bias, [N_r]
 * @param source what it is, for reports ("checkpoint DIR layer 3", "synthetic, 16 experts")
 */
public record BalanceRouter(ModelConfig config, double[][] weight, double[] bias, String source) {
    public BalanceRouter {
        MoeChecks.checkGateConfig(config);
        if (weight.length != config.nRoutedExperts() || bias.length != config.nRoutedExperts()) {
            throw new IllegalArgumentException("router has " + weight.length + " rows and " + bias.length + " biases for " + config.nRoutedExperts() + " experts");
        }
    }

    public int experts() { return config.nRoutedExperts(); }

    public int hidden() { return config.hiddenSize(); }

    /** A layer's gate from a checkpoint: its router and bias (zeros when it has none), in float64. */
    public static BalanceRouter of(ModelConfig config, MoeWeights moe, String source) {
        Weight r = moe.router();
        MoeChecks.checkRouter(r, config.nRoutedExperts(), config.hiddenSize());
        MoeChecks.checkCorrectionBias(moe.correctionBias(), config.nRoutedExperts());
        double[][] w = new double[r.rows()][r.cols()];
        for (int e = 0; e < w.length; e++) for (int d = 0; d < w[e].length; d++) w[e][d] = r.get(e, d);
        double[] b = moe.correctionBias() == null ? new double[config.nRoutedExperts()] : moe.correctionBias().toDoubleArray();
        return new BalanceRouter(config, w, b, source);
    }

    /**
     * A random router: N_r rows of N(0, 1/D) (so a logit w·x of a unit-variance x has unit variance), bias 0, groups of
     * the small conformance configuration's shape.
     */
    public static BalanceRouter synthetic(int experts, int topK, int groups, int topkGroup, int hidden, long seed) {
        ModelConfig c = ConformanceConfigs.small().toBuilder().nRoutedExperts(experts).numExpertsPerTok(topK).nGroup(groups)
                .topkGroup(topkGroup).hiddenSize(hidden).build();
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] w = new double[experts][hidden];
        double std = 1 / Math.sqrt(hidden);
        for (double[] row : w) for (int d = 0; d < hidden; d++) row[d] = std * RandomInputs.gauss(rng);
        return new BalanceRouter(c, w, new double[experts], "synthetic router, " + experts + " experts (top-" + topK + ", "
                + groups + " groups, top-" + topkGroup + " groups), D = " + hidden);
    }
}
