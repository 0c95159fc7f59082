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
import java.util.ArrayList;
import java.util.List;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.DecisionCounts;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * report.json: stable snake_case keys, written field by field (never by reflection, so renaming a Java field
 * cannot change the format). Top level: format, generated, seed, quick, shard {index, count}, run {version, suites,
 * backend}, machine, backends, results, summary (and merged_from, in a merged report).
 * Each result: suite, backend, operation, precision, tier, status, note, cases, failed_cases, worst_calc_diff,
 * worst_ulps, worst_max_rel, worst_max_err, decisions {agree, near_tie, violation}, tolerance, seconds,
 * histogram, case_details, and (added later, absent in older reports) headroom and margin
 * ({@link org.dsv32.conformance.Margin}: a pass's gate / error, a FAIL's error / gate; NaN otherwise) and each case's
 * gate ratio. Non-finite numbers are written as strings ("NaN", "Infinity").
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
        ObjectNode sh = root.putObject("shard");
        sh.put("index", r.run().shard().index());
        sh.put("count", r.run().shard().count());
        ObjectNode run = root.putObject("run");
        run.put("version", r.run().version());
        ArrayNode su = run.putArray("suites");
        r.run().suites().forEach(su::add);
        run.put("backend", r.run().backend());
        run.put("dims", r.run().dims().label());
        run.put("shard_costs", r.run().shardCosts());
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
            if (t.predictive()) {
                // the gates above are predictive (spec/TOLERANCES.md §10); the rigorous worst-case bounds as context
                ObjectNode rn = tn.putObject("rigorous");
                num(rn, "calc_diff", t.rigorous().calcDiff());
                num(rn, "max_err", t.rigorous().maxErrInf());
                num(rn, "score_rel", t.rigorous().scoreRel());
            }
        } else {
            o.putNull("tolerance");
        }
        num(o, "headroom", c.headroom());
        num(o, "margin", c.margin());
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
            num(cn, "ratio", cr.ratio());
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

    /**
     * Reads a report back ({@code ./dsv32 conform --merge}): every result with its cases' metrics, decisions and
     * failures, so that writing it again gives the same results. A case's per-element errors are not stored, only
     * the check's histogram: it comes back as one representative value per counted element (the bin's lower edge,
     * NaN for the non-finite), which gives the same histogram. A report without shard or run (older versions) reads
     * as a whole run. Anything malformed is an IllegalArgumentException naming {@code source} and the field.
     */
    public static ConformanceReport parse(JsonNode root, String source) {
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException(source + ": not a " + FORMAT + " report (format '" + root.path("format").asText() + "')");
        }
        JsonNode m = root.path("machine");
        ConformanceReport.Machine machine = new ConformanceReport.Machine(m.path("java").asText(), m.path("vendor").asText(),
                m.path("os").asText(), m.path("arch").asText(), m.path("cpus").asInt(), m.path("max_heap_mib").asLong());
        List<ConformanceReport.BackendInfo> backends = new ArrayList<>();
        for (JsonNode b : root.path("backends")) {
            backends.add(new ConformanceReport.BackendInfo(b.path("name").asText(), b.path("description").asText(),
                    b.path("available").asBoolean(), b.path("reason").asText(), b.path("implemented_operations").asInt(),
                    b.path("catalog_operations").asInt()));
        }
        List<CheckResult> results = new ArrayList<>();
        int i = 0;
        for (JsonNode r : root.path("results")) {
            try {
                results.add(parseResult(r));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(source + ": results[" + i + "] (" + Baseline.key(r) + "): " + e.getMessage(), e);
            }
            i++;
        }
        JsonNode sh = root.path("shard"), run = root.path("run");
        org.dsv32.conformance.Shard shard;
        try {
            shard = sh.isMissingNode() || sh.isNull() ? org.dsv32.conformance.Shard.WHOLE
                    : new org.dsv32.conformance.Shard(sh.path("index").asInt(), sh.path("count").asInt());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": shard: " + e.getMessage(), e);
        }
        List<String> suites = new ArrayList<>();
        for (JsonNode n : run.path("suites")) suites.add(n.asText());
        if (run.isMissingNode()) suites = results.stream().map(CheckResult::suite).distinct().toList();
        RunInfo info = new RunInfo(run.path("version").asText("unknown"), suites, run.path("backend").asText("all"), shard,
                org.dsv32.conformance.Dims.parse(run.path("dims").asText("small")), run.path("shard_costs").asText("uniform"));
        return new ConformanceReport(root.path("generated").asText(), root.path("seed").asLong(), root.path("quick").asBoolean(),
                machine, backends, results, root.path("summary").path("seconds").asDouble(), info);
    }

    /** Whether the report was written with --strict. */
    public static boolean strict(JsonNode root) { return root.path("summary").path("strict").asBoolean(); }

    static CheckResult parseResult(JsonNode r) {
        String tierLabel = r.path("tier").asText();
        org.dsv32.spec.tolerance.Tier tier = java.util.Arrays.stream(org.dsv32.spec.tolerance.Tier.values())
                .filter(t -> t.label().equals(tierLabel)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown tier '" + tierLabel + "'"));
        String statusKey = r.path("status").asText();
        org.dsv32.conformance.Status status = java.util.Arrays.stream(org.dsv32.conformance.Status.values())
                .filter(t -> t.key().equals(statusKey)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown status '" + statusKey + "'"));
        JsonNode t = r.path("tolerance");
        JsonNode rig = t.path("rigorous");
        Tolerance tol = t.isObject() ? new Tolerance(number(t.get("calc_diff")), number(t.get("max_err")), number(t.get("score_rel")),
                t.path("derivation").asText(), rig.isObject()
                        ? new Tolerance.Rigorous(number(rig.get("calc_diff")), number(rig.get("max_err")), number(rig.get("score_rel"))) : null) : null;
        double[] rel = histogramSamples(r.path("histogram"));
        List<CaseResult> cases = new ArrayList<>();
        for (JsonNode c : r.path("case_details")) {
            org.dsv32.conformance.ErrorStats st = new org.dsv32.conformance.ErrorStats(0, number(c.get("calc_diff")), 0,
                    number(c.get("max_err")), number(c.get("max_rel")), number(c.get("ulps")), c.path("non_finite_mismatches").asInt(),
                    true, cases.isEmpty() ? rel : new double[0]);
            JsonNode d = c.path("decisions");
            List<String> failures = new ArrayList<>();
            for (JsonNode f : c.path("failures")) failures.add(f.asText());
            cases.add(new CaseResult(c.path("name").asText(), st,
                    new DecisionCounts(d.path("agree").asInt(), d.path("near_tie").asInt(), d.path("violation").asInt()), failures,
                    number(c.get("ratio"))));
        }
        return new CheckResult(r.path("suite").asText(), r.path("backend").asText(), r.path("operation").asText(),
                r.path("precision").asText(), tier, status, r.path("note").asText(), tol, cases, r.path("seconds").asDouble());
    }

    /** One value per counted element of a stored histogram, in the bin it was counted in. */
    private static double[] histogramSamples(JsonNode h) {
        if (!h.isObject()) return new double[0];
        int lo = h.path("log10_lo").asInt();
        List<Double> out = new ArrayList<>();
        int bin = 0;
        for (JsonNode c : h.path("counts")) {
            for (long k = c.asLong(); k > 0; k--) out.add((double) (lo + bin));
            bin++;
        }
        for (long k = h.path("non_finite").asLong(); k > 0; k--) out.add(Double.NaN);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
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

    /** Writes a report's JSON tree (a merged report adds its sources to {@link #toJson}'s). */
    public static void write(JsonNode root, Path file) {
        try {
            org.dsv32.spec.io.OutputFiles.writeBytes(file, MAPPER.writeValueAsBytes(root));
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
