package org.dsv32.conformance.golden;

import java.util.Arrays;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.reference.ReferenceIndexer;
import org.dsv32.reference.ReferenceMoeGate;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;

/**
 * The reference backend, recording how clear-cut every top-k decision made through it is: the gap between the k-th
 * and the (k+1)-th score, relative to the largest |score| of the row. Block, model and MTP expose no decisions a
 * candidate could be replayed with, so their golden cases must contain no near tie: the generator runs them through
 * this recorder and draws other inputs until every gap is at least {@link #MIN_GAP}. That is three orders of
 * magnitude above the score noise of an fp32 backend (about 1e-5 relative here) and far below typical gaps, and it
 * is a fixed number, so the shipped files do not change when the harness's tolerance formulas do. Not thread-safe.
 */
public final class DecisionMargins extends ReferenceBackend {
    /** Smallest relative gap a decision inside a block/model/MTP case may have. */
    static final double MIN_GAP = 0.01;

    private double smallest = Double.POSITIVE_INFINITY;
    private int decisions;

    public DecisionMargins() {
        register(IndexerOp.class, (ctx, self) -> {
            IndexerOp inner = new ReferenceIndexer(ctx, self);
            return (x, q, start, w, cache) -> {
                IndexerResult r = inner.select(x, q, start, w, cache);
                for (int t = 0; t < r.selected().length; t++) note(r.scores().rowArray(t), r.selected()[t].length);
                return r;
            };
        });
        register(MoeGateOp.class, (ctx, self) -> {
            MoeGateOp inner = new ReferenceMoeGate(ctx, self);
            return (x, w) -> {
                Routing r = inner.route(x, w);
                for (int t = 0; t < r.experts().length; t++) {
                    note(r.groupScores()[t], r.groups()[t].length);
                    note(r.selectionScores()[t], r.experts()[t].length);
                }
                return r;
            };
        });
    }

    /** The smallest relative gap seen (infinite when no decision had a runner-up). */
    public double smallestGap() { return smallest; }

    /** How many decisions had a runner-up. */
    public int decisions() { return decisions; }

    public boolean clear() { return smallest >= MIN_GAP; }

    /** One decision: the top {@code k} of the finite {@code scores}. */
    private void note(double[] scores, int k) {
        double[] s = Arrays.stream(scores).filter(Double::isFinite).toArray();
        if (s.length <= k || k == 0) return;
        Arrays.sort(s);
        double scale = 0;
        for (double v : s) scale = Math.max(scale, Math.abs(v));
        decisions++;
        smallest = Math.min(smallest, (s[s.length - k] - s[s.length - k - 1]) / Math.max(scale, Double.MIN_NORMAL));
    }
}
