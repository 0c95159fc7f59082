package org.dsv32.conformance.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.DecisionCounts;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * report.json: stable snake_case keys, written field by field (never by reflection, so renaming a Java field
 * cannot change the format). Top level: format, generated, seed, quick, machine, backends, results, summary.
 * Each result: suite, backend, operation, precision, tier, status, note, cases, failed_cases, worst_calc_diff,
 * worst_ulps, worst_max_rel, worst_max_err, decisions {agree, near_tie, violation}, tolerance, seconds,
 * histogram, case_details. Non-finite numbers are written as strings ("NaN", "Infinity").
 */
public final class ReportJson {
    private ReportJson() {}

    public static final String FORMAT = "dsv32-conform/1";
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static ObjectNode toJson(ConformanceReport r, boolean strict) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("generated", r.generated());
        root.put("seed", r.seed());
        root.put("quick", r.quick());
        ObjectNode m = root.putObject("machine");
        m.put("java", r.machine().java());
        m.put("vendor", r.machine().vendor());
        m.put("os", r.machine().os());
        m.put("arch", r.machine().arch());
        m.put("cpus", r.machine().cpus());
        m.put("max_heap_mib", r.machine().maxHeapMib());
        ArrayNode bs = root.putArray("backends");
        for (ConformanceReport.BackendInfo b : r.backends()) {
            ObjectNode o = bs.addObject();
            o.put("name", b.name());
            o.put("description", b.description());
            o.put("available", b.available());
            o.put("reason", b.reason());
            o.put("implemented_operations", b.implementedOperations());
            o.put("catalog_operations", b.catalogOperations());
        }
        ArrayNode rs = root.putArray("results");
        for (CheckResult c : r.results()) rs.add(result(c));
        ConformanceReport.Summary s = r.summary(strict);
        ObjectNode so = root.putObject("summary");
        so.put("verdict", s.passed() ? "pass" : "fail");
        so.put("pass", s.pass());
        so.put("fail", s.fail());
        so.put("not_implemented", s.notImplemented());
        so.put("unavailable", s.unavailable());
        so.put("delegated", s.delegated());
        so.put("strict", strict);
        so.put("seconds", r.seconds());
        ArrayNode p = so.putArray("problems");
        s.problems().forEach(p::add);
        return root;
    }

    static ObjectNode result(CheckResult c) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("suite", c.suite());
        o.put("backend", c.backend());
        o.put("operation", c.operation());
        o.put("precision", c.mode());
        o.put("tier", c.tier().label());
        o.put("status", c.status().key());
        o.put("note", c.note());
        o.put("cases", c.cases().size());
        o.put("failed_cases", c.failedCases());
        num(o, "worst_calc_diff", c.worstCalcDiff());
        num(o, "worst_ulps", c.worstUlps());
        num(o, "worst_max_rel", c.worstMaxRel());
        num(o, "worst_max_err", c.worstMaxErrInf());
        DecisionCounts d = c.decisions();
        ObjectNode dn = o.putObject("decisions");
        dn.put("agree", d.agree());
        dn.put("near_tie", d.nearTie());
        dn.put("violation", d.violation());
        Tolerance t = c.tolerance();
        if (t != null) {
            ObjectNode tn = o.putObject("tolerance");
            num(tn, "calc_diff", t.calcDiff());
            num(tn, "max_err", t.maxErrInf());
            num(tn, "score_rel", t.scoreRel());
            tn.put("derivation", t.derivation());
        } else {
            o.putNull("tolerance");
        }
        o.put("seconds", c.seconds());
        Histogram h = Histogram.of(c);
        ObjectNode hn = o.putObject("histogram");
        hn.put("log10_lo", h.lo());
        hn.put("log10_hi", h.hi());
        ArrayNode counts = hn.putArray("counts");
        for (long v : h.counts()) counts.add(v);
        hn.put("non_finite", h.nonFinite());
        ArrayNode cases = o.putArray("case_details");
        for (CaseResult cr : c.cases()) {
            ObjectNode cn = cases.addObject();
            cn.put("name", cr.name());
            cn.put("passed", cr.passed());
            num(cn, "calc_diff", cr.stats().calcDiff());
            num(cn, "ulps", cr.stats().ulps());
            num(cn, "max_rel", cr.stats().maxRel());
            num(cn, "max_err", cr.stats().maxErrInf());
            cn.put("non_finite_mismatches", cr.stats().nonFiniteMismatches());
            ObjectNode cd = cn.putObject("decisions");
            cd.put("agree", cr.decisions().agree());
            cd.put("near_tie", cr.decisions().nearTie());
            cd.put("violation", cr.decisions().violation());
            ArrayNode f = cn.putArray("failures");
            cr.failures().forEach(f::add);
        }
        return o;
    }

    private static void num(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.put(key, Double.toString(v));
    }

    /** Reads a number written by {@link #num}: a JSON number or "NaN" / "Infinity". */
    static double number(JsonNode n) {
        if (n == null || n.isNull()) return Double.NaN;
        if (n.isNumber()) return n.asDouble();
        return Double.parseDouble(n.asText());
    }

    public static void write(ConformanceReport r, boolean strict, Path file) {
        try {
            org.dsv32.spec.io.OutputFiles.writeBytes(file, MAPPER.writeValueAsBytes(toJson(r, strict)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static JsonNode read(Path file) {
        try {
            return MAPPER.readTree(java.nio.file.Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new UncheckedIOException("report " + file + ": not valid JSON at " + org.dsv32.spec.io.JsonErrors.describe(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read report " + file + ": " + e.getMessage(), e);
        }
    }
}
