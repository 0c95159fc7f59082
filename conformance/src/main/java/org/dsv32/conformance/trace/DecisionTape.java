package org.dsv32.conformance.trace;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.conformance.checks.IndexerCheck;
import org.dsv32.conformance.checks.RoutingJudge;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.weights.MoeWeights;

/**
 * The in-memory form of record-and-replay for one check: {@link #recorder()} (behind the candidate's
 * {@link TracingBackend}) keeps every indexer selection and MoE routing the candidate makes while {@link #arm armed};
 * {@link #replayer()} (behind the reference's) forces them, in the same order, on the reference run that follows,
 * judging each against the reference's OWN scores as {@link DecisionReplay} does for a trace file: the selection by
 * {@link SelectionCheck} with τ = scoreRel × the score scale, the routing by {@link RoutingJudge} (whose replayed
 * weights are the reference's formula on the candidate's experts). Every judgement goes into the case's
 * {@link CaseEval}, so a decision outside the score tolerance fails the case with its margin, and what remains
 * between the outputs is rounding only. A decision the reference makes that the candidate did not (or the reverse)
 * fails the case. One case at a time; not thread-safe.
 */
public final class DecisionTape {
    private final Deque<int[][]> selections = new ArrayDeque<>();
    private final Deque<Routing> routings = new ArrayDeque<>();
    private boolean recording;
    private CaseEval ev;
    private String at = "";
    private ModelConfig config;
    private double indexerScoreRel;
    private Tolerance gateTolerance;
    private int replayedSelections, replayedRoutings;

    /** Starts recording the candidate's decisions of one step; {@code ev} will receive the judgements of its replay. */
    public void arm(CaseEval ev, String at, ModelConfig config, double indexerScoreRel, Tolerance gateTolerance) {
        selections.clear();
        routings.clear();
        this.ev = ev;
        this.at = at;
        this.config = config;
        this.indexerScoreRel = indexerScoreRel;
        this.gateTolerance = gateTolerance;
        this.recording = true;
    }

    /** Stops recording (the candidate's second run, for determinism, must not add decisions). */
    public void disarm() { recording = false; }

    /** After the reference's replay: every recorded decision must have been forced. */
    public void finish() {
        if (ev != null && (!selections.isEmpty() || !routings.isEmpty())) {
            ev.fail(at + ": the candidate made " + selections.size() + " indexer selection(s) and " + routings.size()
                    + " routing(s) the reference's run did not ask for");
        }
        selections.clear();
        routings.clear();
    }

    /** How many indexer selections and routings were forced on the reference so far (for reports and tests). */
    public int replayedSelections() { return replayedSelections; }

    public int replayedRoutings() { return replayedRoutings; }

    /** What the candidate's {@link TracingBackend} passes its decisions to. */
    public Decisions recorder() {
        return new Decisions() {
            @Override public void at(int sequence, int step) {}

            @Override public IndexerResult indexer(int layer, IndexerResult own, int startPos, int topk) {
                if (recording) {
                    int[][] copy = new int[own.selected().length][];
                    for (int q = 0; q < copy.length; q++) copy[q] = own.selected()[q] == null ? null : own.selected()[q].clone();
                    selections.addLast(copy);
                }
                return own;
            }

            @Override public Routing routing(int layer, Routing own, MoeWeights w) {
                if (recording) routings.addLast(own);
                return own;
            }
        };
    }

    /** What the reference's {@link TracingBackend} passes its decisions to: each replaced by the candidate's. */
    public Decisions replayer() {
        return new Decisions() {
            @Override public void at(int sequence, int step) {}

            @Override public IndexerResult indexer(int layer, IndexerResult own, int startPos, int topk) {
                if (ev == null) return own;
                int[][] forced = selections.pollFirst();
                if (forced == null || forced.length != own.selected().length) {
                    ev.fail(at + " layer " + layer + ": the candidate's indexer selected for "
                            + (forced == null ? "no" : forced.length) + " queries, the reference's run " + own.selected().length);
                    return own;
                }
                int[][] use = new int[forced.length][];
                for (int q = 0; q < forced.length; q++) {
                    int pos = startPos + q;
                    double[] row = own.scores().rowArray(q);
                    double[] scores = Arrays.copyOf(row, Math.min(row.length, pos + 1)); // the keys query pos can see
                    double tau = indexerScoreRel * IndexerCheck.scale(scores);
                    SelectionCheck.Outcome o = SelectionCheck.check(scores, own.selected()[q], forced[q], own.selected()[q].length, tau);
                    ev.decision(at + " layer " + layer + " query " + pos, o);
                    boolean valid = forced[q] != null && Arrays.stream(forced[q]).allMatch(s -> s >= 0 && s <= pos);
                    use[q] = valid ? forced[q] : own.selected()[q]; // a malformed choice has failed the case; go on with the reference's
                }
                replayedSelections++;
                return new IndexerResult(own.scores(), use);
            }

            @Override public Routing routing(int layer, Routing own, MoeWeights w) {
                if (ev == null) return own;
                Routing forced = routings.pollFirst();
                if (forced == null) {
                    ev.fail(at + " layer " + layer + ": the candidate made no routing where the reference's run routes");
                    return own;
                }
                Routing replay = RoutingJudge.judge(ev, at + " layer " + layer + " routing", config, w, forced, own, gateTolerance);
                if (replay == null) return own; // not replayable: the case has failed
                replayedRoutings++;
                return replay;
            }
        };
    }
}
