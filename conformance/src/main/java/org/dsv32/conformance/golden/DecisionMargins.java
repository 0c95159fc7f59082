package org.dsv32.conformance.golden;

import java.util.Arrays;
import org.dsv32.conformance.Tier;
import org.dsv32.conformance.Tolerances;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.reference.ReferenceIndexer;
import org.dsv32.reference.ReferenceMoeGate;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;

/**
 * The reference backend, recording how clear-cut every top-k decision made through it is. Block, model and MTP
 * expose no decisions a candidate could be replayed with, so their golden cases must not contain near ties: the
 * generator runs them through this recorder and draws again when the smallest margin — the gap between the k-th
 * and the (k+1)-th score, relative to the row's score scale — is not at least {@link #SAFETY} times the harness's
 * score tolerance of that decision. Not thread-safe.
 */
final class DecisionMargins extends ReferenceBackend {
    /** How many score tolerances a decision of a block/model/MTP case must clear. */
    static final double SAFETY = 1;

    private final ModelConfig config;
    private final PrecisionMode mode;
    private final long maxPosition;
    private double worst = Double.POSITIVE_INFINITY;
    private int decisions;

    DecisionMargins(ModelConfig config, PrecisionMode mode, long maxPosition) {
        this.config = config;
        this.mode = mode;
        this.maxPosition = maxPosition;
        register(IndexerOp.class, (ctx, self) -> {
            IndexerOp inner = new ReferenceIndexer(ctx, self);
            return (x, q, start, w, cache) -> {
                IndexerResult r = inner.select(x, q, start, w, cache);
                for (int t = 0; t < r.selected().length; t++) indexer(r.scores().rowArray(t), r.selected()[t].length);
                return r;
            };
        });
        register(MoeGateOp.class, (ctx, self) -> {
            MoeGateOp inner = new ReferenceMoeGate(ctx, self);
            return (x, w) -> {
                Routing r = inner.route(x, w);
                for (int t = 0; t < r.experts().length; t++) gate(r, t);
                return r;
            };
        });
    }

    @Override public String name() { return "reference"; }

    /** The smallest margin seen, in units of its decision's score tolerance (infinite when no decision was close). */
    double worstInTolerances() { return worst; }

    /** How many decisions had a runner-up. */
    int decisions() { return decisions; }

    boolean clear() { return worst >= SAFETY; }

    private void indexer(double[] scores, int k) {
        double tau = Tolerances.indexer(config, mode, Tier.TIGHT, maxPosition).scoreRel();
        note(scores, k, tau);
    }

    private void gate(Routing r, int t) {
        double tau = Tolerances.moeGate(config).scoreRel();
        note(r.groupScores()[t], r.groups()[t].length, tau);
        note(r.selectionScores()[t], r.experts()[t].length, tau);
    }

    private void note(double[] scores, int k, double tau) {
        double[] s = Arrays.stream(scores).filter(Double::isFinite).toArray();
        if (s.length <= k || k == 0) return;
        Arrays.sort(s);
        double scale = 0;
        for (double v : s) scale = Math.max(scale, Math.abs(v));
        double gap = s[s.length - k] - s[s.length - k - 1];
        decisions++;
        worst = Math.min(worst, gap / (Math.max(scale, 1e-300) * tau));
    }
}
