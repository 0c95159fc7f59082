package org.dsv32.conformance.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.DecisionCounts;
import org.dsv32.conformance.Status;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * A conformance report as JUnit XML ({@code ./dsv32 conform --junit FILE}): one {@code <testsuite>} per suite, one
 * test case per check (operation x backend x precision mode x tier), classname {@code suite.backend}, name
 * {@code "operation mode/tier"}. FAIL is a failure whose body lists every case's numbers against the bound;
 * NOT IMPLEMENTED and UNAVAILABLE are skipped (a failure under {@code --strict} for NOT IMPLEMENTED, as in the
 * verdict). Problems of the run that belong to no single check (a backend that passed nothing of its own, a
 * baseline regression, a backend asked for that cannot run) are failed cases of a last suite, "run", so that the
 * XML fails exactly when the exit code does.
 */
public final class ConformanceJUnit {
    private ConformanceJUnit() {}

    /** The XML of {@code r}; {@code runProblems} are the run-level problems (not one check's FAIL). */
    public static String render(ConformanceReport r, boolean strict, List<String> runProblems) {
        return JUnitXml.render("dsv32 conform", suites(r, strict, runProblems));
    }

    static List<JUnitXml.TestSuite> suites(ConformanceReport r, boolean strict, List<String> runProblems) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("seed", Long.toString(r.seed()));
        props.put("quick", Boolean.toString(r.quick()));
        props.put("strict", Boolean.toString(strict));
        props.put("shard", r.run().shard().label());
        props.put("version", r.run().version());
        props.put("java", r.machine().java());
        Map<String, List<JUnitXml.TestCase>> bySuite = new LinkedHashMap<>();
        for (CheckResult c : r.results()) bySuite.computeIfAbsent(c.suite(), k -> new ArrayList<>()).add(testCase(c, strict));
        List<JUnitXml.TestSuite> out = new ArrayList<>();
        for (var e : bySuite.entrySet()) out.add(new JUnitXml.TestSuite(e.getKey(), props, e.getValue()));
        if (!runProblems.isEmpty()) {
            List<JUnitXml.TestCase> cases = new ArrayList<>();
            for (int i = 0; i < runProblems.size(); i++) {
                cases.add(new JUnitXml.TestCase("run", "problem " + (i + 1), 0, JUnitXml.Outcome.FAILED, runProblems.get(i), "run",
                        runProblems.get(i)));
            }
            out.add(new JUnitXml.TestSuite("run", props, cases));
        }
        return out;
    }

    static JUnitXml.TestCase testCase(CheckResult c, boolean strict) {
        String classname = c.suite() + "." + c.backend();
        String name = c.mode().equals("-") ? c.operation() : c.operation() + " " + c.mode() + "/" + c.tier().label();
        String note = c.note().isEmpty() ? "" : ": " + c.note();
        return switch (c.status()) {
            case PASS -> new JUnitXml.TestCase(classname, name, c.seconds(), JUnitXml.Outcome.PASSED, "", "", summaryLine(c) + "\n");
            case FAIL -> new JUnitXml.TestCase(classname, name, c.seconds(), JUnitXml.Outcome.FAILED, failureMessage(c), "FAIL", numbers(c));
            case NOT_IMPLEMENTED -> strict
                    ? new JUnitXml.TestCase(classname, name, c.seconds(), JUnitXml.Outcome.FAILED, "NOT IMPLEMENTED (--strict)" + note,
                    "NOT_IMPLEMENTED", c.note())
                    : new JUnitXml.TestCase(classname, name, c.seconds(), JUnitXml.Outcome.SKIPPED, "NOT IMPLEMENTED" + note, "", "");
            case UNAVAILABLE -> new JUnitXml.TestCase(classname, name, c.seconds(), JUnitXml.Outcome.SKIPPED, "UNAVAILABLE" + note, "", "");
        };
    }

    /** The first failing case and its first reason, and how many failed. */
    static String failureMessage(CheckResult c) {
        CaseResult first = c.cases().stream().filter(x -> !x.passed()).findFirst().orElse(null);
        String head = first == null ? (c.note().isEmpty() ? "failed" : c.note()) : "case '" + first.name() + "': " + first.failures().getFirst();
        return head + " (" + c.failedCases() + " of " + c.cases().size() + " case(s) failed; margin "
                + org.dsv32.conformance.Margin.format(c.margin()) + ")";
    }

    static String summaryLine(CheckResult c) {
        Tolerance t = c.tolerance();
        return String.format(Locale.ROOT, "%d case(s); worst calc_diff %s (bound %s), worst ulps %s, worst max_err %s%s%s",
                c.cases().size(), sci(c.worstCalcDiff()), t == null ? "-" : sci(t.calcDiff()), sci(c.worstUlps()), sci(c.worstMaxErrInf()),
                c.status() == Status.PASS ? "; headroom " + org.dsv32.conformance.Margin.format(c.headroom()) : "",
                c.note().isEmpty() ? "" : "; " + c.note());
    }

    /** The failure's body: the bounds, then every case's metrics, decisions and reasons. */
    static String numbers(CheckResult c) {
        StringBuilder b = new StringBuilder();
        Tolerance t = c.tolerance();
        if (t != null) {
            b.append("bounds: calc_diff <= ").append(sci(t.calcDiff()));
            if (t.gatesMaxErr()) b.append(", max_err <= ").append(sci(t.maxErrInf()));
            if (t.hasDecisions()) b.append(", score_rel ").append(sci(t.scoreRel()));
            if (t.predictive()) b.append(" [predictive; rigorous calc_diff ").append(sci(t.rigorous().calcDiff())).append(']');
            b.append(" (").append(t.derivation()).append(")\n");
        }
        b.append(summaryLine(c)).append('\n');
        for (CaseResult cr : c.cases()) {
            DecisionCounts d = cr.decisions();
            b.append(cr.passed() ? "  pass " : "  FAIL ").append(cr.name()).append(": calc_diff ").append(sci(cr.stats().calcDiff()))
                    .append(", ulps ").append(sci(cr.stats().ulps())).append(", max_rel ").append(sci(cr.stats().maxRel()))
                    .append(", max_err ").append(sci(cr.stats().maxErrInf()));
            b.append(", ratio ").append(org.dsv32.conformance.Margin.format(cr.ratio()));
            if (cr.stats().nonFiniteMismatches() > 0) b.append(", non-finite mismatches ").append(cr.stats().nonFiniteMismatches());
            if (d.total() > 0) b.append(", decisions ").append(d.agree()).append(" agree / ").append(d.nearTie()).append(" near-tie / ")
                    .append(d.violation()).append(" violation");
            b.append('\n');
            for (String f : cr.failures()) b.append("      ").append(f).append('\n');
        }
        return b.toString();
    }

    private static String sci(double v) { return v == 0 ? "0" : String.format(Locale.ROOT, "%.3e", v); }
}
