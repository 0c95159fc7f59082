package org.dsv32.conformance.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dsv32.conformance.CheckResult;
import org.dsv32.spec.tolerance.Tolerances;

/**
 * The regression gate: compares a run with a stored report.json and reports every check whose worst calc_diff or
 * worst ulps grew by more than {@code factor} (default 4). Errors below the noise floor — the calc_diff of a
 * one-roundoff fp32 error and one fp32 ulp — count as that floor, so a baseline of exactly 0 (the reference
 * against itself) does not turn a harmless 1e-20 into an infinite growth. Checks new since the baseline are not
 * regressions; checks that passed in the baseline and fail now are.
 */
public final class Baseline {
    private Baseline() {}

    public static final double DEFAULT_FACTOR = 4.0;
    /** calc_diff of a norm-wise relative error of one fp32 unit roundoff. */
    public static final double CALC_DIFF_FLOOR = Tolerances.calcDiffOf(Tolerances.U_FP32);
    public static final double ULPS_FLOOR = 1.0;

    /** One metric of one check that grew too much. */
    public record Regression(String key, String metric, double baseline, double current, double factor) {
        @Override
        public String toString() {
            if (metric.startsWith("status")) return key + ": passed in the baseline, fails now";
            return String.format(Locale.ROOT, "%s: %s grew from %.3g to %.3g (x%.3g > x%.3g)", key, metric, baseline, current,
                    current / Math.max(baseline, metric.equals("worst_ulps") ? ULPS_FLOOR : CALC_DIFF_FLOOR), factor);
        }
    }

    public static List<Regression> compare(JsonNode baseline, ConformanceReport current, double factor) {
        if (!(factor >= 1)) throw new IllegalArgumentException("baseline factor must be >= 1, got " + factor);
        if (!ReportJson.FORMAT.equals(baseline.path("format").asText())) {
            throw new IllegalArgumentException("baseline is not a " + ReportJson.FORMAT + " report (format '" + baseline.path("format").asText() + "')");
        }
        Map<String, JsonNode> old = new HashMap<>();
        for (JsonNode r : baseline.path("results")) old.put(key(r), r);
        List<Regression> out = new ArrayList<>();
        for (CheckResult c : current.results()) {
            JsonNode b = old.get(c.key());
            if (b == null) continue;
            grew(out, c.key(), "worst_calc_diff", ReportJson.number(b.get("worst_calc_diff")), c.worstCalcDiff(), CALC_DIFF_FLOOR, factor);
            grew(out, c.key(), "worst_ulps", ReportJson.number(b.get("worst_ulps")), c.worstUlps(), ULPS_FLOOR, factor);
            if ("pass".equals(b.path("status").asText()) && c.status() == org.dsv32.conformance.Status.FAIL) {
                out.add(new Regression(c.key(), "status pass -> fail", 0, 1, factor));
            }
        }
        return out;
    }

    private static void grew(List<Regression> out, String key, String metric, double base, double cur, double floor, double factor) {
        if (Double.isNaN(base)) return;
        if (Double.isNaN(cur) || cur > factor * Math.max(base, floor)) out.add(new Regression(key, metric, base, cur, factor));
    }

    static String key(JsonNode r) {
        return r.path("suite").asText() + "/" + r.path("backend").asText() + "/" + r.path("operation").asText() + "/"
                + r.path("precision").asText() + "/" + r.path("tier").asText();
    }
}
