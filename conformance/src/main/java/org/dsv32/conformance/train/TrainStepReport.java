package org.dsv32.conformance.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.reference.train.ReferenceTrainStep;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;

/**
 * Runs a {@link TrainStepScript} on a model with the float64 reference and compares the FP8 training gradients with
 * the exact ones per tensor: calc_diff and the relative norm ‖g_fp8 − g_exact‖ / ‖g_exact‖. The fp8 run replays the
 * exact run's decisions (attended keys, routed experts), so that the comparison measures the precision of the
 * arithmetic, not a different top-k. With both modes a third run, the exact forward with the FP8 Dgrad/Wgrad GEMMs,
 * gives the backward GEMMs' own share of the difference ({@link Row#gemmsOnlyRelativeNorm}).
 */
public record TrainStepReport(TrainStepScript script, Map<PrecisionMode, ReferenceTrainStep.Result> results, List<Row> rows) {
    /**
     * One tensor: its name and shape, the gradient norms in each mode (NaN when that mode did not run), the comparison
     * of the fp8 run with the exact one, and the relative norm of the exact-forward, FP8-GEMM run (NaN without both modes).
     */
    public record Row(String name, int[] shape, double exactNorm, double fp8Norm, double calcDiff, double relativeNorm, double gemmsOnlyRelativeNorm) {}

    public static TrainStepReport run(ModelWeights w, TrainStepScript s) {
        Backend reference = new ReferenceBackend();
        Map<PrecisionMode, ReferenceTrainStep.Result> results = new LinkedHashMap<>();
        ReferenceTrainStep.Result first = null;
        for (PrecisionMode mode : s.modes()) {
            ReferenceTrainStep step = new ReferenceTrainStep(new OpContext(w.config(), mode), reference);
            ReferenceTrainStep.Result r = step.run(w, s.tokens(), s.options(), first == null ? null : first.decisions());
            results.put(mode, r);
            if (first == null) first = r;
        }
        ReferenceTrainStep.Result gemmsOnly = results.size() < 2 ? null
                : new ReferenceTrainStep(new OpContext(w.config(), PrecisionMode.EXACT), new OpContext(w.config(), PrecisionMode.FP8), reference)
                        .run(w, s.tokens(), s.options(), first.decisions());
        List<Row> rows = new ArrayList<>();
        for (String name : first.gradients().all().keySet()) {
            TensorF64 e = grad(results.get(PrecisionMode.EXACT), name), f = grad(results.get(PrecisionMode.FP8), name);
            TensorF64 any = e != null ? e : f;
            double cd = e != null && f != null ? Metrics.calcDiff(f.toArray(), e.toArray()) : Double.NaN;
            double rel = e != null && f != null ? relativeNorm(f, e) : Double.NaN;
            double gemms = gemmsOnly != null ? relativeNorm(gemmsOnly.gradients().get(name), e) : Double.NaN;
            rows.add(new Row(name, any.shape(), norm(e), norm(f), cd, rel, gemms));
        }
        return new TrainStepReport(s, results, rows);
    }

    /** ‖g − ref‖ / ‖ref‖ (0 when both are 0, ∞ when only ref is). */
    static double relativeNorm(TensorF64 g, TensorF64 ref) {
        double diff = 0, norm = 0;
        for (int i = 0; i < ref.size(); i++) {
            diff += (g.getFlat(i) - ref.getFlat(i)) * (g.getFlat(i) - ref.getFlat(i));
            norm += ref.getFlat(i) * ref.getFlat(i);
        }
        return norm == 0 ? (diff == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(diff / norm);
    }

    private static TensorF64 grad(ReferenceTrainStep.Result r, String name) { return r == null ? null : r.gradients().get(name); }

    private static double norm(TensorF64 g) {
        if (g == null) return Double.NaN;
        double s = 0;
        for (int i = 0; i < g.size(); i++) s += g.getFlat(i) * g.getFlat(i);
        return Math.sqrt(s);
    }

    /** The losses per mode, then one line per tensor (names shortened to the part after the layer prefix). */
    public void print(PrintStream out) {
        out.printf("train step: %d tokens, layer %d, indexer stage %s, MTP %s%n", script.tokens().length, script.layer(),
                script.stage().name().toLowerCase(java.util.Locale.ROOT), script.mtp() ? "on (lambda " + script.lambda() + ")" : "off");
        for (var e : results.entrySet()) {
            ReferenceTrainStep.Result r = e.getValue();
            out.printf("  %-5s  L_main %.6f  L_MTP %.6f  total %.6f  L_I (layer %d) %.6f%n", e.getKey().label(), r.mainLoss(), r.mtpLoss(),
                    r.totalLoss(), script.layer(), r.indexerLoss());
        }
        if (results.size() == 2) {
            out.println("  fp8 replays the exact run's decisions (attended keys, routed experts); rel_gemms: exact forward, FP8 Dgrad/Wgrad GEMMs");
        }
        String prefix = "model.layers." + script.layer() + ".";
        out.printf("%-44s %-10s %12s %12s %11s %11s %11s%n", "tensor (" + prefix + "...)", "shape", "|g_exact|", "|g_fp8|", "calc_diff", "rel_norm", "rel_gemms");
        for (Row r : rows) {
            String name = r.name().startsWith(prefix) ? r.name().substring(prefix.length()) : r.name();
            out.printf("%-44s %-10s %12.4e %12.4e %11.3e %11.3e %11.3e%n", name, shape(r.shape()), r.exactNorm(), r.fp8Norm(), r.calcDiff(),
                    r.relativeNorm(), r.gemmsOnlyRelativeNorm());
        }
        double worstCd = 0, worstRel = 0, worstGemms = 0;
        int counted = 0;
        for (Row r : rows) {
            if (r.exactNorm() > 0) {
                counted++;
                worstCd = Math.max(worstCd, r.calcDiff());
                worstRel = Math.max(worstRel, r.relativeNorm());
                worstGemms = Math.max(worstGemms, r.gemmsOnlyRelativeNorm());
            }
        }
        if (results.size() == 2) out.printf("worst over the %d tensors with a non-zero gradient: calc_diff %.3e, rel_norm %.3e, rel_gemms %.3e%n", counted, worstCd, worstRel, worstGemms);
    }

    public ObjectNode json() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode().put("format", "dsv32-train-step-v1").put("layer", script.layer())
                .put("indexer_stage", script.stage().name().toLowerCase(java.util.Locale.ROOT)).put("mtp", script.mtp())
                .put("mtp_lambda", script.lambda()).put("tokens", script.tokens().length)
                .put("decisions", results.size() == 2 ? "fp8 replays the exact run's" : "own");
        ObjectNode losses = root.putObject("losses");
        for (var e : results.entrySet()) {
            ReferenceTrainStep.Result r = e.getValue();
            ObjectNode n = losses.putObject(e.getKey().label()).put("main", r.mainLoss()).put("mtp", r.mtpLoss()).put("total", r.totalLoss())
                    .put("indexer", r.indexerLoss());
            ArrayNode mods = n.putArray("mtp_modules");
            for (double v : r.moduleLosses()) mods.add(v);
        }
        ArrayNode tensors = root.putArray("tensors");
        for (Row r : rows) {
            ObjectNode n = tensors.addObject().put("name", r.name());
            ArrayNode sh = n.putArray("shape");
            for (int d : r.shape()) sh.add(d);
            number(n, "exact_norm", r.exactNorm());
            number(n, "fp8_norm", r.fp8Norm());
            number(n, "calc_diff", r.calcDiff());
            number(n, "rel_norm", r.relativeNorm());
            number(n, "rel_norm_fp8_gemms_only", r.gemmsOnlyRelativeNorm());
        }
        return root;
    }

    /** JSON has no NaN: a value that is not finite (a mode that did not run) is null. */
    private static void number(ObjectNode n, String key, double v) {
        if (Double.isFinite(v)) n.put(key, v);
        else n.putNull(key);
    }

    private static String shape(int[] s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length; i++) b.append(i == 0 ? "" : "x").append(s[i]);
        return b.toString();
    }
}
