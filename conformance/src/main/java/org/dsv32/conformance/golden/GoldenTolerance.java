package org.dsv32.conformance.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Locale;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * The {@code tolerance} metadata value of a case:
 * <ul>
 *   <li>{@code "tight"} (the default): the expected outputs were computed in the case's precision mode; the
 *       harness's TIGHT gates apply (spec/TOLERANCES.md), computed for the case's configuration and shapes;</li>
 *   <li>{@code "loose"}: the expected outputs were computed in EXACT mode and the candidate runs in FP8 mode (the
 *       case's {@code mode} must be fp8): the harness's LOOSE gates, which include the cost of FP8 itself;</li>
 *   <li>a JSON object {@code {"calc_diff": c, "max_err_inf": e, "score_rel": s}} (the last two optional): explicit
 *       gates, for expected values from elsewhere — e.g. bf16 outputs of DeepSeek's PyTorch inference code, which
 *       no fp32 budget covers.</li>
 * </ul>
 */
public record GoldenTolerance(Tier tier, Tolerance custom) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final GoldenTolerance TIGHT = new GoldenTolerance(Tier.TIGHT, null);
    public static final GoldenTolerance LOOSE = new GoldenTolerance(Tier.LOOSE, null);

    public boolean isCustom() { return custom != null; }

    /** The label shown in reports: tight, loose or custom. */
    public String label() { return isCustom() ? "custom" : tier.label(); }

    /** The metadata value. */
    public String toMetadata() {
        if (!isCustom()) return tier.label();
        StringBuilder sb = new StringBuilder("{\"calc_diff\":").append(custom.calcDiff());
        if (custom.gatesMaxErr()) sb.append(",\"max_err_inf\":").append(custom.maxErrInf());
        if (custom.hasDecisions()) sb.append(",\"score_rel\":").append(custom.scoreRel());
        return sb.append('}').toString();
    }

    static GoldenTolerance parse(Path file, String v) throws GoldenException {
        String s = v.trim();
        if (s.equalsIgnoreCase("tight")) return TIGHT;
        if (s.equalsIgnoreCase("loose")) return LOOSE;
        try {
            JsonNode n = JSON.readTree(s);
            if (n == null || !n.isObject() || !n.has("calc_diff")) throw new IllegalArgumentException("expected tight, loose or {\"calc_diff\": ...}");
            double cd = number(n, "calc_diff");
            double me = n.has("max_err_inf") ? number(n, "max_err_inf") : Double.NaN;
            double sr = n.has("score_rel") ? number(n, "score_rel") : Double.NaN;
            return new GoldenTolerance(Tier.TIGHT, new Tolerance(cd, me, sr,
                    String.format(Locale.ROOT, "custom gates from the case's metadata: %s", s)));
        } catch (Exception e) {
            throw GoldenException.corrupted(file + ": __metadata__ tolerance = '" + v + "': " + e.getMessage());
        }
    }

    private static double number(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (!v.isNumber() || !(v.doubleValue() >= 0)) throw new IllegalArgumentException(key + " must be a number >= 0");
        return v.doubleValue();
    }
}
