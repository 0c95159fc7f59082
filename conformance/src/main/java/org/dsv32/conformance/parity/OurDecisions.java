package org.dsv32.conformance.parity;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dsv32.conformance.Decision;
import org.dsv32.conformance.SelectionCheck;
import org.dsv32.conformance.checks.IndexerCheck;
import org.dsv32.conformance.trace.DecisionReplay;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The other direction of a decision-aware comparison: OUR decisions judged under THEIR scores. Replaying their trace
 * proves their decisions admissible under our scores and our arithmetic equal to theirs under their decisions; it
 * says nothing about how we decide, because the replay overrides it. A port whose scores are right but whose top-k
 * picks the wrong keys would pass the replay alone. So each of our indexer selections, kept groups and experts is
 * checked with {@link SelectionCheck} against the scores their trace records (spec/TRACE_FORMAT.md): agree, a tie
 * within the derived score tolerance, or a violation. The scores themselves are compared too (calc_diff within the
 * operation's TIGHT bound): a uniform rescaling of every indexer score selects the same keys and changes no logit.
 */
public final class OurDecisions {
    private OurDecisions() {}

    /** The tally of our decisions under their scores and the first violations (where and by how much). */
    public record Result(DecisionReplay.Tally tally, List<String> violations) {}

    private static final int KEPT = 20;
    /** Marks each violation this class reports, to tell it from the replay's (their decisions under our scores). */
    public static final String MARK = "(ours under their scores)";

    /** Judges the decisions recorded in {@code ours} (a {@code DecisionTrace}'s tensors) under the scores of {@code theirTrace}. */
    public static Result judge(List<TensorData> ours, Path theirTrace, ModelConfig config, PrecisionMode mode) throws IOException {
        org.dsv32.spec.tolerance.Tolerance indexerTol = Tolerances.indexer(config, mode, Tier.TIGHT, config.maxPositionEmbeddings());
        org.dsv32.spec.tolerance.Tolerance gateTol = Tolerances.moeGate(config);
        double indexerRel = indexerTol.scoreRel(), gateRel = gateTol.scoreRel();
        Map<String, TensorData> mine = new LinkedHashMap<>();
        for (TensorData t : ours) mine.put(t.name(), t);
        int[] counts = new int[4]; // agree, exact tie, near tie, violation
        List<String> violations = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(theirTrace)) {
            for (var e : mine.entrySet()) {
                String name = e.getKey();
                // The scores themselves, in the run that follows their decisions: a uniform rescaling of every score
                // (a missing head-weight factor) changes no selection, hence no logit, yet is a different indexer.
                if (name.endsWith(".indexer.scores")) scores(f, name, e.getValue(), pathBound(indexerTol), counts, violations);
                if (name.endsWith(".moe.selection_scores")) scores(f, name, e.getValue(), pathBound(gateTol), counts, violations);
                if (name.endsWith(".indexer.selected")) {
                    String prefix = name.substring(0, name.length() - "selected".length());
                    TensorData scores = need(f, prefix + "scores");
                    int[][] sel = DecisionReplay.rows(e.getValue()), theirSel = DecisionReplay.rows(need(f, prefix + "selected"));
                    String where = name.substring(0, name.length() - ".selected".length()) + " ";
                    int t = sel.length, keys = (int) scores.shape()[1], start = keys - t;
                    double[] flat = scores.toDoubles();
                    for (int q = 0; q < t; q++) {
                        int pos = start + q;
                        double[] row = Arrays.copyOfRange(flat, q * keys, q * keys + pos + 1);
                        int[] visible = Arrays.stream(theirSel[q]).filter(s -> s <= pos).toArray();
                        tally(counts, violations, row, visible, sel[q], Math.min(config.indexTopk(), pos + 1),
                                indexerRel * IndexerCheck.scale(row), where + "query " + pos);
                    }
                } else if (name.endsWith(".moe.experts")) {
                    String prefix = name.substring(0, name.length() - "experts".length());
                    String where = name.substring(0, name.length() - ".experts".length()) + " token ";
                    int[][] groups = DecisionReplay.rows(mine.get(prefix + "groups")), theirGroups = DecisionReplay.rows(need(f, prefix + "groups"));
                    int[][] experts = DecisionReplay.rows(e.getValue()), theirExperts = DecisionReplay.rows(need(f, prefix + "experts"));
                    double[] gs = need(f, prefix + "group_scores").toDoubles(), ss = need(f, prefix + "selection_scores").toDoubles();
                    int g = config.nGroup(), n = config.nRoutedExperts();
                    for (int t = 0; t < experts.length; t++) {
                        double[] selection = Arrays.copyOfRange(ss, t * n, (t + 1) * n);
                        double tau = gateRel * IndexerCheck.scale(selection);
                        boolean sameGroups = tally(counts, violations, Arrays.copyOfRange(gs, t * g, (t + 1) * g), theirGroups[t], groups[t],
                                theirGroups[t].length, 2 * tau, where + t + " groups") == Decision.AGREE;
                        // Experts are comparable under their selection scores only inside the same kept groups (theirs
                        // mask the others with -inf); a tie in the groups already counted as the decision.
                        if (sameGroups) tally(counts, violations, selection, theirExperts[t], experts[t], theirExperts[t].length, tau,
                                where + t + " experts");
                    }
                }
            }
        }
        return new Result(new DecisionReplay.Tally(counts[0], counts[1], counts[2], counts[3]), violations);
    }

    /** Their scores against ours on the entries both hold finite: calc_diff within the operation's bound, or a violation. */
    private static void scores(SafetensorsFile f, String name, TensorData ours, double bound, int[] counts, List<String> violations) throws IOException {
        if (!f.contains(name)) return; // an exporter may leave scores out; the decisions are still judged
        double[] theirs = f.tensor(name).toDoubles(), mine = ours.toDoubles();
        if (theirs.length != mine.length) {
            counts[3]++;
            if (violations.size() < KEPT) violations.add(name + " " + MARK + ": " + theirs.length + " scores, ours " + mine.length);
            return;
        }
        int n = 0, oneSided = 0, first = -1;
        double[] a = new double[mine.length], b = new double[mine.length];
        for (int i = 0; i < mine.length; i++) {
            if (Double.isFinite(theirs[i]) && Double.isFinite(mine[i])) { a[n] = mine[i]; b[n] = theirs[i]; n++; }
            else if (Double.isFinite(theirs[i]) != Double.isFinite(mine[i]) || Double.isNaN(theirs[i]) != Double.isNaN(mine[i])) {
                oneSided++;
                if (first < 0) first = i;
            }
        }
        if (oneSided > 0) {
            // a key masked on one side only, or an expert of a dropped group scored 0 instead of -inf
            counts[3]++;
            if (violations.size() < KEPT) {
                violations.add(String.format(java.util.Locale.ROOT, "%s %s: %d scores finite on one side only (first: element %d, theirs %s, ours %s)",
                        name, MARK, oneSided, first, theirs[first], mine[first]));
            }
            return;
        }
        double cd = org.dsv32.spec.metrics.Metrics.calcDiff(Arrays.copyOf(a, n), Arrays.copyOf(b, n));
        if (cd <= bound) counts[0]++;
        else {
            counts[3]++;
            if (violations.size() < KEPT) {
                violations.add(String.format(java.util.Locale.ROOT, "%s %s: calc_diff %.3g between their scores and ours > %.3g", name, MARK, cd, bound));
            }
        }
    }

    /**
     * The bound on the scores of a whole run: they sit downstream of every earlier layer, whose rounding (a bf16
     * store that flips, in bf16 mode) the operation's own gate does not cover, so the gate is the operation's or the
     * logits' parity bound, whichever is larger. A rescaled score row (the bug this comparison exists for) is off by
     * calc_diff of order 0.1, far above either.
     */
    static double pathBound(org.dsv32.spec.tolerance.Tolerance op) { return Math.max(op.calcDiff(), Tolerances.LOGITS_PARITY_CALC_DIFF); }

    private static Decision tally(int[] counts, List<String> violations, double[] scores, int[] theirs, int[] ours, int k, double tau, String where) {
        SelectionCheck.Outcome o = SelectionCheck.check(scores, theirs, ours, k, tau);
        switch (o.decision()) {
            case AGREE -> counts[0]++;
            case NEAR_TIE -> {
                boolean exact = true;
                double kth = SelectionCheck.kthLargest(scores, k);
                for (int i : ours) if (Arrays.stream(theirs).noneMatch(j -> j == i) && scores[i] != kth) exact = false;
                counts[exact ? 1 : 2]++;
            }
            case VIOLATION -> {
                counts[3]++;
                if (violations.size() < KEPT) violations.add(where + " " + MARK + ": " + o.reason());
            }
        }
        return o.decision();
    }

    private static TensorData need(SafetensorsFile f, String name) throws IOException {
        if (!f.contains(name)) throw new IllegalArgumentException(f.path() + " has no tensor '" + name + "' (spec/TRACE_FORMAT.md)");
        return f.tensor(name);
    }
}
