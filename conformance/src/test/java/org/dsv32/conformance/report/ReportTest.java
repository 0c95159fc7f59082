package org.dsv32.conformance.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.DecisionCounts;
import org.dsv32.conformance.ErrorStats;
import org.dsv32.conformance.Status;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.json keys, report.html content, the verdict policy and the baseline gate, on hand-made results. */
class ReportTest {
    static CheckResult result(String backend, String op, Status status, double calcDiff, String note) {
        double[] x = {1, 2, 3, 4}, y = {1, 2, 3, 4 * (1 + Math.sqrt(2 * calcDiff * 30 / 16))};
        ErrorStats s = ErrorStats.of(y, x);
        CaseResult c = new CaseResult("case", s, new DecisionCounts(3, 1, 0), status == Status.FAIL ? List.of("too large") : List.of());
        return new CheckResult("operations", backend, op, "fp8", Tier.TIGHT, status, note,
                new Tolerance(1e-3, Double.NaN, Double.NaN, "test"), List.of(c), 0.1);
    }

    static ConformanceReport report(CheckResult... rs) {
        return ConformanceReport.of(CheckOptions.quickDefaults(),
                List.of(new ConformanceReport.BackendInfo("reference", "f64", true, "", 11, 14),
                        new ConformanceReport.BackendInfo("cuda", "gpu", false, "no GPU", 0, 14)),
                List.of(rs), 1.0);
    }

    @Test
    void jsonHasTheStableKeys() {
        JsonNode j = ReportJson.toJson(report(result("reference", "linear", Status.PASS, 1e-6, "")), false);
        assertEquals(Set.of("format", "generated", "seed", "quick", "shard", "run", "machine", "backends", "results", "summary"), keys(j));
        JsonNode r = j.get("results").get(0);
        assertTrue(keys(r).containsAll(Set.of("backend", "operation", "precision", "tier", "cases", "worst_calc_diff", "worst_ulps",
                "decisions", "status", "tolerance", "histogram", "case_details")), keys(r).toString());
        assertEquals(Set.of("agree", "near_tie", "violation"), keys(r.get("decisions")));
        assertEquals(3, r.get("decisions").get("agree").asInt());
        assertEquals("pass", r.get("status").asText());
        assertEquals("tight", r.get("tier").asText());
        assertTrue(keys(j.get("machine")).containsAll(Set.of("java", "os", "arch", "cpus")));
        assertTrue(keys(j.get("summary")).containsAll(Set.of("verdict", "pass", "fail", "not_implemented", "unavailable")));
        assertEquals("pass", j.get("summary").get("verdict").asText());
    }

    /** A predictive gate carries the rigorous bound as context: in report.json (and back), the HTML table and JUnit text. */
    @Test
    void predictiveGatesReportTheRigorousBound() {
        CheckResult base = result("reference", "linear", Status.PASS, 1e-12, "");
        Tolerance predictive = new Tolerance(2e-11, Double.NaN, 3e-4, "predictive", new Tolerance.Rigorous(6e-4, Double.NaN, 0.5));
        CheckResult c = new CheckResult(base.suite(), base.backend(), base.operation(), base.mode(), base.tier(), base.status(), base.note(),
                predictive, base.cases(), base.seconds());
        JsonNode t = ReportJson.toJson(report(c), false).get("results").get(0).get("tolerance");
        assertEquals(2e-11, t.get("calc_diff").asDouble(), 0);
        assertEquals(6e-4, t.get("rigorous").get("calc_diff").asDouble(), 0);
        assertEquals(0.5, t.get("rigorous").get("score_rel").asDouble(), 0);
        Tolerance back = ReportJson.parseResult(ReportJson.result(c)).tolerance();
        assertEquals(predictive.rigorous(), back.rigorous());
        assertFalse(ReportJson.result(base).get("tolerance").has("rigorous"), "a rigorous-only gate has no separate rigorous bound");
        String html = ReportHtml.render(report(c), false);
        assertTrue(html.contains("rigorous bound") && html.contains("6.00e-04"), "the HTML table shows the rigorous bound");
    }

    @Test
    void headroomAndMarginAreWrittenAndReadBack() {
        Tolerance t = new Tolerance(1e-4, Double.NaN, Double.NaN, "test");
        CheckResult pass = new CheckResult("operations", "simd", "linear", "fp8", Tier.TIGHT, Status.PASS, "", t,
                List.of(new CaseResult("a", ErrorStats.NONE, DecisionCounts.NONE, List.of(), 0.25),
                        new CaseResult("b", ErrorStats.NONE, DecisionCounts.NONE, List.of(), 0.05)), 0.1);
        CheckResult fail = new CheckResult("operations", "simd", "rope", "fp8", Tier.TIGHT, Status.FAIL, "", t,
                List.of(new CaseResult("a", ErrorStats.NONE, DecisionCounts.NONE, List.of("calc_diff"), 30.0),
                        new CaseResult("b", ErrorStats.NONE, DecisionCounts.NONE, List.of("bits"), Double.POSITIVE_INFINITY)), 0.1);
        JsonNode j = ReportJson.toJson(report(pass, fail), false);
        JsonNode p = j.get("results").get(0), f = j.get("results").get(1);
        assertEquals(4.0, p.get("headroom").asDouble(), 1e-12); // 1 / the largest ratio, 0.25
        assertEquals("NaN", p.get("margin").asText());
        assertEquals("Infinity", f.get("margin").asText()); // an exact contract broken in one case
        assertEquals("NaN", f.get("headroom").asText());
        assertEquals(0.25, p.get("case_details").get(0).get("ratio").asDouble());
        ConformanceReport back = ReportJson.parse(j, "r.json");
        assertEquals(4.0, back.results().get(0).headroom(), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, back.results().get(1).margin());
        // a report of an older version (no ratio) reads back with the headroom unknown
        ((com.fasterxml.jackson.databind.node.ObjectNode) j.get("results").get(0).get("case_details").get(0)).remove("ratio");
        assertTrue(Double.isNaN(ReportJson.parse(j, "old.json").results().get(0).headroom()));
        assertTrue(ConformanceJUnit.summaryLine(pass).contains("headroom 4.00x"), ConformanceJUnit.summaryLine(pass));
    }

    @Test
    void htmlHasTheTableAndAnInlineSvgAndNoScripts() {
        String html = ReportHtml.render(report(result("reference", "linear", Status.PASS, 1e-6, ""),
                result("reference", "rope", Status.FAIL, 1e-2, "")), false);
        assertTrue(html.contains("<svg"));
        assertTrue(html.contains("<table"));
        assertTrue(html.contains("linear") && html.contains("rope"));
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("http://") && html.replace("http://www.w3.org/2000/svg", "").contains("http://"));
        assertFalse(html.contains("https://"));
    }

    @Test
    void verdictFailsOnAFailAndOnABackendThatImplementsNothing() {
        assertTrue(report(result("reference", "linear", Status.PASS, 1e-6, "")).summary().passed());
        assertFalse(report(result("reference", "linear", Status.FAIL, 1e-2, "")).summary().passed());
        // only not-implemented and delegated results: nothing of its own passed
        ConformanceReport r = ConformanceReport.of(CheckOptions.quickDefaults(),
                List.of(new ConformanceReport.BackendInfo("simd", "cpu", true, "", 1, 14)),
                List.of(result("simd", "linear", Status.PASS, 0, "delegated to reference"),
                        CheckResult.notRun("operations", "simd", "rope", "fp8", Tier.TIGHT, Status.NOT_IMPLEMENTED, "lacks it")), 1.0);
        assertFalse(r.summary().passed(), r.summary().toString());
        // not implemented alone does not fail a backend that passes something, unless strict
        ConformanceReport partial = report(result("reference", "linear", Status.PASS, 1e-6, ""),
                CheckResult.notRun("operations", "reference", "block", "-", Tier.TIGHT, Status.NOT_IMPLEMENTED, "lacks it"));
        assertTrue(partial.summary(false).passed());
        assertFalse(partial.summary(true).passed());
    }

    @Test
    void baselineGateFailsOnATenTimesWorseError(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("report.json");
        ReportJson.write(report(result("reference", "linear", Status.PASS, 1e-6, "")), false, base);
        JsonNode stored = ReportJson.read(base);
        ConformanceReport same = report(result("reference", "linear", Status.PASS, 1e-6, ""));
        assertTrue(Baseline.compare(stored, same, Baseline.DEFAULT_FACTOR).isEmpty());
        ConformanceReport worse = report(result("reference", "linear", Status.PASS, 1e-5, ""));
        List<Baseline.Regression> regs = Baseline.compare(stored, worse, Baseline.DEFAULT_FACTOR);
        assertFalse(regs.isEmpty());
        assertTrue(regs.get(0).toString().contains("operations/reference/linear/fp8/tight"), regs.get(0).toString());
        assertTrue(regs.stream().anyMatch(g -> g.metric().equals("worst_calc_diff")));
        // a larger factor tolerates it
        assertTrue(Baseline.compare(stored, worse, 20).stream().noneMatch(g -> g.metric().equals("worst_calc_diff")));
        assertTrue(Files.size(base) > 0);
    }

    @Test
    void baselineFloorIgnoresNoiseAboveAnExactBaseline(@TempDir Path dir) {
        Path base = dir.resolve("report.json");
        ReportJson.write(report(result("reference", "linear", Status.PASS, 0, "")), false, base);
        ConformanceReport tiny = report(result("reference", "linear", Status.PASS, 1e-16, ""));
        assertTrue(Baseline.compare(ReportJson.read(base), tiny, Baseline.DEFAULT_FACTOR).stream().noneMatch(g -> g.metric().equals("worst_calc_diff")));
    }

    static Set<String> keys(JsonNode n) {
        Set<String> s = new TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }
}
