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
     * The gate inputs a traced run recorded for one MoE layer ({@code ./dsv32 logits --trace FILE --trace-hidden}:
     * {@code seq{b}.step{k}.layer{i}.moe.input}, spec/TRACE_FORMAT.md): sequence b's tokens are its steps' rows in
     * order; every sequence is cut to the shortest one's length, so that each contributes T tokens, and every step
     * of the simulation routes this same batch (the loop then shows how the bias update alone rebalances a fixed
     * set of real tokens). Refused, naming the file and layer, when the trace holds no such tensor or its width is not
     * {@code hidden}.
     */
    static HiddenBatches recorded(java.nio.file.Path trace, int layer, int hidden) throws java.io.IOException {
        java.util.TreeMap<Integer, java.util.TreeMap<Integer, double[][]>> bySeq = new java.util.TreeMap<>();
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("seq(\\d+)\\.step(\\d+)\\.layer" + layer + "\\.moe\\.input");
        try (org.dsv32.spec.io.SafetensorsFile f = org.dsv32.spec.io.SafetensorsFile.open(trace)) {
            for (String n : f.names()) {
                java.util.regex.Matcher m = name.matcher(n);
                if (!m.matches()) continue;
                long[] shape = f.info(n).shape();
                if (shape.length != 2 || shape[1] != hidden) {
                    throw new IllegalArgumentException(trace + ": " + n + " has shape " + java.util.Arrays.toString(shape) + ", the gate's input is [T][" + hidden + "]");
                }
                double[] flat = f.tensor(n).toDoubles();
                double[][] rows = new double[(int) shape[0]][];
                for (int r = 0; r < rows.length; r++) rows[r] = java.util.Arrays.copyOfRange(flat, r * hidden, (r + 1) * hidden);
                bySeq.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new java.util.TreeMap<>()).put(Integer.parseInt(m.group(2)), rows);
            }
        }
        if (bySeq.isEmpty()) {
            throw new IllegalArgumentException(trace + ": no layer" + layer + ".moe.input tensor (record it with ./dsv32 logits --trace FILE --trace-hidden; layer "
                    + layer + " must be an MoE layer)");
        }
        java.util.List<java.util.List<double[]>> seqs = new java.util.ArrayList<>();
        for (var steps : bySeq.values()) {
            java.util.List<double[]> tokens = new java.util.ArrayList<>();
            for (double[][] rows : steps.values()) tokens.addAll(java.util.Arrays.asList(rows));
            seqs.add(tokens);
        }
        int t = seqs.stream().mapToInt(java.util.List::size).min().orElseThrow(), b = seqs.size();
        double[][] batch = new double[b * t][];
        for (int s = 0; s < b; s++) for (int i = 0; i < t; i++) batch[s * t + i] = seqs.get(s).get(i);
        return new HiddenBatches() {
            @Override
            public double[][] batch(int step) {
                double[][] copy = new double[batch.length][];
                for (int i = 0; i < batch.length; i++) copy[i] = batch[i].clone();
                return copy;
            }

            @Override public int sequences() { return b; }

            @Override public int tokensPerSequence() { return t; }

            @Override
            public String describe() {
                return String.format(java.util.Locale.ROOT, "the gate inputs of layer %d recorded in %s: %d sequences x %d tokens, the same batch every step",
                        layer, trace, b, t);
            }
        };
    }

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
