package org.dsv32.conformance.balance;

import java.util.SplittableRandom;
import org.dsv32.conformance.generate.RandomInputs;

/**
 * The hidden states a balancing simulation routes, one batch of B sequences of T tokens per step. Every run of a
 * comparison sees the same batches: batch i depends only on the seed and i.
 */
public interface HiddenBatches {
    /** Batch {@code step}: [B T][D], the sequences one after the other. */
    double[][] batch(int step);

    int sequences();

    int tokensPerSequence();

    /** What they are, for reports. */
    String describe();

    /**
     * Synthetic states x = z + skew · μ: z ~ N(0, I_D) per token, μ one fixed N(0, I_D) direction shared by every token.
     * The shared direction is what skews a router: expert i's logits are shifted by skew · (w_i · μ), a fixed offset
     * per expert (standard deviation skew for a synthetic router), so some experts are preferred by every token.
     */
    static HiddenBatches synthetic(int hidden, int sequences, int tokensPerSequence, double skew, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] mu = new double[hidden];
        for (int d = 0; d < hidden; d++) mu[d] = RandomInputs.gauss(rng);
        long base = rng.nextLong();
        return new HiddenBatches() {
            @Override
            public double[][] batch(int step) {
                SplittableRandom r = new SplittableRandom(base ^ (0x9E3779B97F4A7C15L * (step + 1)));
                double[][] x = new double[sequences * tokensPerSequence][hidden];
                for (double[] row : x) for (int d = 0; d < hidden; d++) row[d] = RandomInputs.gauss(r) + skew * mu[d];
                return x;
            }

            @Override public int sequences() { return sequences; }

            @Override public int tokensPerSequence() { return tokensPerSequence; }

            @Override
            public String describe() {
                return String.format(java.util.Locale.ROOT, "synthetic hidden states N(0, I) + %.3g mu (seed %d), %d sequences x %d tokens per step",
                        skew, seed, sequences, tokensPerSequence);
            }
        };
    }
}
