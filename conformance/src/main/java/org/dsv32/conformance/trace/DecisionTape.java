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
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
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
 * fails the case.
 *
 * <p>Armed {@linkplain #arm(CaseEval, String, ModelConfig, double, Tolerance, boolean) on the candidate's router input}
 * (the bf16 tier), a routing is judged where it is made: against the reference's gate evaluated on the router input
 * the CANDIDATE's gate received (its post-attention norm output, recorded beside the routing), with the gate's own
 * score tolerance; that input is compared norm-wise with the reference's own under the case's tolerance. In bf16 the
 * two inputs differ by the flipped bf16 stores of the whole attention above (spec/TOLERANCES.md §5b), a difference of
 * the value gate's kind that a router score tolerance of fp32 size cannot admit and a widened one would admit any
 * near-tie; judged on the candidate's input, the routing's remaining difference is the router's own fp32 rounding.
 * The reference still goes on with its own values (the candidate's experts, weighted from its own scores): no value
 * of the candidate's is adopted. One case at a time; not thread-safe.
 */
public final class DecisionTape {
    private final Deque<int[][]> selections = new ArrayDeque<>();
    private final Deque<Routing> routings = new ArrayDeque<>();
    private final Deque<TensorF64> gateInputs = new ArrayDeque<>();
    private boolean onCandidateInput;
    private TensorF64 referenceGateInput;
    private int routedOnCandidateInput;
    private boolean recording;
    private CaseEval ev;
    private String at = "";
    private ModelConfig config;
    private double indexerScoreRel;
    private Tolerance gateTolerance;
    private int replayedSelections, replayedRoutings;

    /** Starts recording the candidate's decisions of one step; {@code ev} will receive the judgements of its replay. */
    public void arm(CaseEval ev, String at, ModelConfig config, double indexerScoreRel, Tolerance gateTolerance) {
        arm(ev, at, config, indexerScoreRel, gateTolerance, false);
    }

    /**
     * {@link #arm(CaseEval, String, ModelConfig, double, Tolerance)}, with each routing judged on the candidate's own
     * router input when {@code onCandidateInput} (see the class comment), on the reference's otherwise.
     */
    public void arm(CaseEval ev, String at, ModelConfig config, double indexerScoreRel, Tolerance gateTolerance, boolean onCandidateInput) {
        selections.clear();
        routings.clear();
        gateInputs.clear();
        this.onCandidateInput = onCandidateInput;
        this.referenceGateInput = null;
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
        gateInputs.clear();
        referenceGateInput = null;
    }

    /** How many indexer selections and routings were forced on the reference so far (for reports and tests). */
    public int replayedSelections() { return replayedSelections; }

    public int replayedRoutings() { return replayedRoutings; }

    /** How many of {@link #replayedRoutings} were judged on the candidate's router input. */
    public int routedOnCandidateInput() { return routedOnCandidateInput; }

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

            @Override public void gateInput(int layer, TensorF64 x) {
                if (recording && onCandidateInput) gateInputs.addLast(x.copy());
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

            @Override public void gateInput(int layer, TensorF64 x) { referenceGateInput = x.copy(); }

            @Override public Routing routing(int layer, Routing own, MoeWeights w, MoeGateOp gate) {
                if (ev == null || !onCandidateInput) return routing(layer, own, w);
                TensorF64 mine = referenceGateInput, theirs = gateInputs.pollFirst();
                referenceGateInput = null;
                String where = at + " layer " + layer;
                if (theirs == null || mine == null || theirs.rows() != mine.rows() || theirs.cols() != mine.cols()) {
                    ev.fail(where + ": the candidate's router input " + shape(theirs) + " does not match the reference's " + shape(mine)
                            + "; its routing is judged on the reference's input");
                    return routing(layer, own, w);
                }
                ev.compare(where + " router input (the candidate's, on which its routing is judged)", theirs, mine);
                Routing forced = routings.pollFirst();
                if (forced == null) {
                    ev.fail(where + ": the candidate made no routing where the reference's run routes");
                    return own;
                }
                Routing onTheirs = gate.route(theirs.copy(), w);
                if (RoutingJudge.judge(ev, where + " routing (reference gate on the candidate's router input)", config, w, forced, onTheirs, gateTolerance) == null) {
                    return own; // not replayable: the case has failed
                }
                replayedRoutings++;
                routedOnCandidateInput++;
                return RoutingJudge.replay(config, forced, own);
            }
        };
    }

    private static String shape(TensorF64 t) { return t == null ? "(none)" : "[" + t.rows() + "][" + t.cols() + "]"; }
}
