package org.dsv32.conformance.trace;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.Decision;
import org.dsv32.conformance.DecisionCounts;
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.conformance.checks.IndexerCheck;
import org.dsv32.conformance.checks.RoutingJudge;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.SafetensorsException;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.weights.MoeWeights;

/**
 * Forces a trace's decisions (spec/TRACE_FORMAT.md) on a run: every indexer selection and every MoE routing of the
 * trace replaces the backend's own, and each is judged against the backend's OWN scores — AGREE (the same set), an
 * exact TIE (what differs scores exactly as the k-th best), NEAR_TIE (within the derived score tolerance of
 * spec/TOLERANCES.md) or VIOLATION (a forced key or expert loses by more than rounding explains: a semantic
 * difference). A selected key the query cannot see (DeepSeek's code selects min(index_topk, S) over all S columns
 * of a prefill) is dropped as a no-op, not judged. A token whose forced experts are the backend's own keeps the
 * backend's own weights (so replaying a run's own trace changes no bit); for a different choice the weights are
 * recomputed from the backend's own sigmoid scores by the gate's formula (float64), as the conformance checks replay.
 */
public final class DecisionReplay implements Decisions, AutoCloseable {
    /** The tally of one kind of decision. */
    public record Tally(int agree, int exactTie, int nearTie, int violation) {
        Tally plus(Decision d, boolean exact) {
            return switch (d) {
                case AGREE -> new Tally(agree + 1, exactTie, nearTie, violation);
                case NEAR_TIE -> exact ? new Tally(agree, exactTie + 1, nearTie, violation) : new Tally(agree, exactTie, nearTie + 1, violation);
                case VIOLATION -> new Tally(agree, exactTie, nearTie, violation + 1);
            };
        }

        Tally plus(DecisionCounts c) { return new Tally(agree + c.agree(), exactTie, nearTie + c.nearTie(), violation + c.violation()); }

        public int total() { return agree + exactTie + nearTie + violation; }

        public String describe() {
            return String.format(Locale.ROOT, "%d decisions: %d agree, %d exact ties, %d near-ties, %d violations", total(), agree, exactTie, nearTie, violation);
        }
    }

    private static final int KEPT_VIOLATIONS = 20;

    /**
     * An element whose x / s lies within this relative distance of an e4m3 rounding midpoint is an act_quant rounding
     * decision (spec/TRACE_FORMAT.md, {@code act_quant.near_midpoint}): ~100x the relative error of the fp32 steps
     * DeepSeek's code takes before act_quant (its RMSNorm, RoPE), so either rounding is admissible.
     */
    public static final double MIDPOINT_REL = 0x1p-16;

    private final SafetensorsFile trace;
    private final boolean hasActQuant;
    private int layer = -1;
    private Tally actQuant = new Tally(0, 0, 0, 0);
    private final java.util.Map<String, double[][]> nearMidpoints = new java.util.HashMap<>();
    private final ModelConfig config;
    private final double indexerScoreRel;
    private final Tolerance gateTolerance;
    private String step;
    private Tally indexer = new Tally(0, 0, 0, 0), routing = new Tally(0, 0, 0, 0);
    private int invisibleDropped;
    private final List<String> violations = new ArrayList<>();

    private DecisionReplay(SafetensorsFile trace, ModelConfig config, PrecisionMode mode) {
        this.trace = trace;
        this.config = config;
        this.indexerScoreRel = Tolerances.indexer(config, mode, Tier.TIGHT, config.maxPositionEmbeddings()).scoreRel();
        this.gateTolerance = Tolerances.moeGate(config);
        this.hasActQuant = trace.names().stream().anyMatch(n -> n.endsWith(".act_quant.near_midpoint"));
    }

    /** Replays the trace in {@code file} on a model of {@code config} run in {@code mode} (whose tolerances judge). */
    public static DecisionReplay open(Path file, ModelConfig config, PrecisionMode mode) throws SafetensorsException {
        return new DecisionReplay(SafetensorsFile.open(file), config, mode);
    }

    @Override
    public void at(int sequence, int step) {
        this.step = "seq" + sequence + ".step" + step;
        this.layer = -1;
        nearMidpoints.clear();
    }

    @Override
    public void blockStart(int layer) { this.layer = layer; }

    @Override
    public boolean wantsActQuant() { return hasActQuant; }

    /**
     * Takes their rounding of every element that sits at an e4m3 midpoint on both sides: an element of ours whose
     * x / s is within {@link #MIDPOINT_REL} of a midpoint, matched with their record of the same row length and column
     * whose x / s is within twice that of ours, is given their code when it is the other neighbour (a tie taken the
     * other way: counted as an exact tie); their code that is neither neighbour would be a violation.
     */
    @Override
    public org.dsv32.spec.ops.QuantizedActivation actQuant(org.dsv32.spec.tensor.TensorF64 x, org.dsv32.spec.weights.ScaleFormat format,
                                                           org.dsv32.spec.ops.QuantizedActivation own) {
        if (layer < 0) return own;
        double[][] theirs = nearMidpoints.computeIfAbsent(step + ".layer" + layer + ".act_quant.near_midpoint", this::records);
        if (theirs.length == 0) return own;
        int rows = own.rows(), cols = own.cols(), tile = own.tile();
        byte[] codes = null;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double v = x.at(r, c) / own.scale(r, c / tile), a = Math.abs(v);
                if (!(a > 0) || a >= org.dsv32.spec.format.E4M3.MAX) continue;
                byte code = own.code(r, c);
                double q = org.dsv32.spec.format.E4M3.decode(code), half = Math.scalb(1.0, Math.max(Math.getExponent(a), -6) - 4);
                if (Math.abs(Math.abs(v - q) - half) > MIDPOINT_REL * a) continue;
                for (double[] rec : theirs) {
                    if (rec[0] != cols || rec[1] != c || Math.abs(rec[2] - v) > 2 * MIDPOINT_REL * a) continue;
                    if (rec[3] == q) {
                        actQuant = actQuant.plus(Decision.AGREE, false);
                    } else if (Math.abs(rec[3] - v) <= half + 2 * MIDPOINT_REL * a) {
                        if (codes == null) codes = own.codes().clone();
                        codes[r * cols + c] = org.dsv32.spec.format.E4M3.encode(rec[3]);
                        actQuant = actQuant.plus(Decision.NEAR_TIE, true);
                    } else {
                        actQuant = actQuant.plus(Decision.VIOLATION, false);
                        violation(String.format(Locale.ROOT, "%s.layer%d.act_quant row %d column %d of %d: x/s %.9g rounded to %s by them, not a neighbour",
                                step, layer, r, c, cols, v, rec[3]));
                    }
                    break;
                }
            }
        }
        return codes == null ? own : new org.dsv32.spec.ops.QuantizedActivation(codes, own.scales(), rows, cols, tile);
    }

    /** The act_quant rounding decisions' tally so far (exact ties: elements at a midpoint taken their way). */
    public Tally actQuantTally() { return actQuant; }

    private double[][] records(String name) {
        if (!trace.contains(name)) return new double[0][];
        try {
            long[] shape = trace.info(name).shape();
            if (shape.length != 2 || shape[1] != 4) throw new IllegalArgumentException("replay: " + trace.path() + ": '" + name + "' must be [N][4]");
            double[] flat = trace.tensor(name).toDoubles();
            double[][] out = new double[(int) shape[0]][];
            for (int i = 0; i < out.length; i++) out[i] = Arrays.copyOfRange(flat, 4 * i, 4 * i + 4);
            return out;
        } catch (SafetensorsException e) {
            throw new IllegalArgumentException("replay: " + e.getMessage(), e);
        }
    }

    @Override
    public IndexerResult indexer(int layer, IndexerResult own, int startPos, int topk) {
        String at = where(layer) + "indexer";
        int tokens = own.selected().length;
        int[][] forced = rows(at + ".selected", tokens);
        int[][] use = new int[tokens][];
        for (int q = 0; q < tokens; q++) {
            int pos = startPos + q, k = Math.min(topk, pos + 1);
            int[] visible = Arrays.stream(forced[q]).filter(s -> s >= 0 && s <= pos).toArray();
            invisibleDropped += (int) Arrays.stream(forced[q]).filter(s -> s > pos).count();
            double[] scores = Arrays.copyOf(own.scores().rowArray(q), pos + 1);
            double tau = indexerScoreRel * IndexerCheck.scale(scores);
            SelectionCheck.Outcome o = SelectionCheck.check(scores, own.selected()[q], visible, k, tau);
            indexer = indexer.plus(o.decision(), o.decision() == Decision.NEAR_TIE && exactTie(scores, own.selected()[q], visible));
            if (o.decision() == Decision.VIOLATION) violation(at + " query " + pos + ": " + o.reason());
            use[q] = visible;
        }
        return new IndexerResult(own.scores(), use);
    }

    @Override
    public Routing routing(int layer, Routing own, MoeWeights w) {
        String at = where(layer) + "moe";
        int tokens = own.experts().length;
        Routing forced = new Routing(rows(at + ".experts", tokens), null, null, null, null, rows(at + ".groups", tokens));
        CaseEval ev = new CaseEval(at, gateTolerance);
        Routing replay = RoutingJudge.judge(ev, at, config, w, forced, own, gateTolerance);
        CaseResult r = ev.result();
        routing = routing.plus(r.decisions());
        for (String f : r.failures()) violation(f);
        if (replay == null) throw new IllegalArgumentException("replay: " + at + ": the trace's routing cannot be replayed: " + r.failures());
        double[][] weights = replay.weights().clone();
        for (int t = 0; t < tokens; t++) if (Arrays.equals(forced.experts()[t], own.experts()[t])) weights[t] = own.weights()[t];
        return new Routing(replay.experts(), weights, replay.scores(), replay.selectionScores(), replay.groupScores(), replay.groups());
    }

    /** The indexer's tally so far. */
    public Tally indexerTally() { return indexer; }

    /** The MoE gates' tally so far. */
    public Tally routingTally() { return routing; }

    /** How many selected keys the trace named that their query cannot see (dropped, not judged). */
    public int invisibleKeysDropped() { return invisibleDropped; }

    /** The first violations, where and by how much. */
    public List<String> violations() { return List.copyOf(violations); }

    /** Whether every forced decision was admissible. */
    public boolean admissible() { return indexer.violation() == 0 && routing.violation() == 0; }

    @Override
    public void close() { trace.close(); }

    private String where(int layer) {
        if (step == null) throw new IllegalStateException("replay: a decision before the first step was named");
        return step + ".layer" + layer + ".";
    }

    private void violation(String what) { if (violations.size() < KEPT_VIOLATIONS) violations.add(what); }

    /** The rows of an I32 [rows][w] tensor of the trace, −1 padding removed. */
    private int[][] rows(String name, int tokens) {
        if (!trace.contains(name)) throw new IllegalArgumentException("replay: " + trace.path() + " has no tensor '" + name + "'");
        try {
            long[] shape = trace.info(name).shape();
            if (shape.length != 2 || shape[0] != tokens) {
                throw new IllegalArgumentException("replay: " + trace.path() + ": '" + name + "' has shape " + Arrays.toString(shape)
                        + ", this run has " + tokens + " tokens there");
            }
            return rows(trace.tensor(name));
        } catch (SafetensorsException e) {
            throw new IllegalArgumentException("replay: " + e.getMessage(), e);
        }
    }

    /** The rows of an I32 [rows][w] trace tensor (selected keys, groups, experts), its −1 padding removed. */
    public static int[][] rows(org.dsv32.spec.io.TensorData t) {
        double[] flat = t.toDoubles();
        int rows = (int) t.shape()[0], w = (int) t.shape()[1];
        int[][] out = new int[rows][];
        for (int r = 0; r < rows; r++) {
            out[r] = Arrays.stream(Arrays.copyOfRange(flat, r * w, (r + 1) * w)).mapToInt(v -> (int) v).filter(v -> v >= 0).toArray();
        }
        return out;
    }

    /** Whether the forced and own choices differ only in candidates scoring exactly the k-th best. */
    private static boolean exactTie(double[] scores, int[] own, int[] forced) {
        int[] a = own.clone(), b = forced.clone();
        Arrays.sort(a);
        Arrays.sort(b);
        double kth = SelectionCheck.kthLargest(scores, own.length);
        for (int s : a) if (Arrays.binarySearch(b, s) < 0 && scores[s] != kth) return false;
        for (int s : b) if (Arrays.binarySearch(a, s) < 0 && scores[s] != kth) return false;
        return true;
    }
}
