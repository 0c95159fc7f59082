package org.dsv32.conformance.parity;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dsv32.conformance.checks.IndexerCheck;
import org.dsv32.conformance.trace.Decisions;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.MoeWeights;

/**
 * Counts, per step, the decisions of a run that another correct implementation could have taken differently: a
 * top-k whose k-th best candidate is within the score tolerance of the best one left out (an exact tie when they are
 * equal). Indexer rows (scores of the visible keys), kept groups (group scores, tolerance doubled) and experts
 * (selection scores) are counted; what it sees, it changes nothing.
 */
public final class NearTies implements Decisions {
    /** The near-tie decisions of one step: how many, and how many of them exact ties. */
    public record Count(int nearTies, int exactTies) {
        Count plus(boolean exact) { return new Count(nearTies + 1, exactTies + (exact ? 1 : 0)); }
    }

    private final double indexerScoreRel, gateScoreRel;
    private final Map<String, Count> perStep = new LinkedHashMap<>();
    private String step;

    public NearTies(ModelConfig config, PrecisionMode mode) {
        this.indexerScoreRel = Tolerances.indexer(config, mode, Tier.TIGHT, config.maxPositionEmbeddings()).scoreRel();
        this.gateScoreRel = Tolerances.moeGate(config).scoreRel();
    }

    @Override
    public void at(int sequence, int step) {
        this.step = "seq" + sequence + ".step" + step;
        perStep.putIfAbsent(this.step, new Count(0, 0));
    }

    @Override
    public IndexerResult indexer(int layer, IndexerResult own, int startPos, int topk) {
        for (int q = 0; q < own.selected().length; q++) {
            double[] row = java.util.Arrays.copyOf(own.scores().rowArray(q), startPos + q + 1);
            note(row, own.selected()[q], indexerScoreRel * IndexerCheck.scale(row));
        }
        return own;
    }

    @Override
    public Routing routing(int layer, Routing own, MoeWeights w) {
        for (int t = 0; t < own.experts().length; t++) {
            double[] b = own.selectionScores()[t];
            note(own.groupScores()[t], own.groups()[t], 2 * gateScoreRel * IndexerCheck.scale(b));
            note(b, own.experts()[t], gateScoreRel * IndexerCheck.scale(b));
        }
        return own;
    }

    /** The near-tie decisions counted so far, by step ({@code seq{b}.step{k}}). */
    public Map<String, Count> perStep() { return Map.copyOf(perStep); }

    /** Counts {@code chosen} as a near-tie when a candidate left out scores within {@code tau} of the worst chosen one. */
    private void note(double[] scores, int[] chosen, double tau) {
        if (chosen.length == 0 || chosen.length >= scores.length) return;
        boolean[] in = new boolean[scores.length];
        double worst = Double.POSITIVE_INFINITY, bestOut = Double.NEGATIVE_INFINITY;
        for (int i : chosen) { in[i] = true; worst = Math.min(worst, scores[i]); }
        for (int i = 0; i < scores.length; i++) if (!in[i]) bestOut = Math.max(bestOut, scores[i]);
        if (Double.isInfinite(bestOut) && bestOut < 0) return; // nothing else could have been chosen
        if (worst - bestOut <= tau) perStep.put(step, perStep.get(step).plus(worst == bestOut));
    }
}
