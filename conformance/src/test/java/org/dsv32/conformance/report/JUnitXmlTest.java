package org.dsv32.conformance.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.DecisionCounts;
import org.dsv32.conformance.ErrorStats;
import org.dsv32.conformance.Status;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The JUnit XML writer: the surefire shape, counts, and escaping that survives any name (a real XML parser reads it back). */
class JUnitXmlTest {
    static Document parse(String xml) throws Exception {
        var f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    static List<Element> elements(Element parent, String tag) {
        NodeList l = parent.getElementsByTagName(tag);
        java.util.List<Element> out = new java.util.ArrayList<>();
        for (int i = 0; i < l.getLength(); i++) out.add((Element) l.item(i));
        return out;
    }

    static CheckResult failing() {
        ErrorStats bad = new ErrorStats(4, 3.5e-2, 0.1, 0.2, 0.3, 1234, 0, true, new double[0]);
        return new CheckResult("operations", "simd", "indexer", "fp8", Tier.LOOSE, Status.FAIL, "",
                new Tolerance(1e-3, 1e-2, Double.NaN, "derived bound"),
                List.of(new CaseResult("ok case", ErrorStats.NONE, DecisionCounts.NONE, List.of()),
                        new CaseResult("bad case", bad, new DecisionCounts(5, 1, 2), List.of("calc_diff 3.5e-02 > 1e-03"))), 0.25);
    }

    @Test
    void conformReportHasTheSurefireShapeWithCountsFailuresAndSkips() throws Exception {
        ConformanceReport r = ReportTest.report(ReportTest.result("reference", "linear", Status.PASS, 1e-6, ""), failing(),
                CheckResult.notRun("operations", "simd", "block", "exact", Tier.TIGHT, Status.NOT_IMPLEMENTED, "lacks BlockOp"),
                CheckResult.notRun("backend", "cuda", "*", "-", Tier.TIGHT, Status.UNAVAILABLE, "no GPU"));
        Document d = parse(ConformanceJUnit.render(r, false, List.of("backend 'x' passed no check")));
        Element root = d.getDocumentElement();
        assertEquals("testsuites", root.getTagName());
        assertEquals("5", root.getAttribute("tests"));
        assertEquals("2", root.getAttribute("failures")); // the FAIL check and the run-level problem
        assertEquals("2", root.getAttribute("skipped"));
        assertEquals("0", root.getAttribute("errors"));
        List<Element> suites = elements(root, "testsuite");
        assertEquals(List.of("operations", "backend", "run"), suites.stream().map(e -> e.getAttribute("name")).toList());
        Element ops = suites.getFirst();
        assertEquals("3", ops.getAttribute("tests"));
        assertEquals("1", ops.getAttribute("failures"));
        assertEquals("1", ops.getAttribute("skipped"));
        assertTrue(elements(ops, "property").stream().anyMatch(p -> p.getAttribute("name").equals("seed")));
        List<Element> cases = elements(ops, "testcase");
        assertEquals("operations.reference", cases.get(0).getAttribute("classname"));
        assertEquals("linear fp8/tight", cases.get(0).getAttribute("name"));
        assertTrue(elements(cases.get(0), "failure").isEmpty() && elements(cases.get(0), "skipped").isEmpty());
        Element failure = elements(cases.get(1), "failure").getFirst();
        assertEquals("indexer fp8/loose", cases.get(1).getAttribute("name"));
        assertEquals("0.250", cases.get(1).getAttribute("time"));
        assertEquals("FAIL", failure.getAttribute("type"));
        assertTrue(failure.getAttribute("message").contains("bad case") && failure.getAttribute("message").contains("1 of 2"),
                failure.getAttribute("message"));
        String body = failure.getTextContent();
        // the numbers: the bound, the case's metrics and decisions, the reason
        assertTrue(body.contains("calc_diff <= 1.000e-03") && body.contains("max_err <= 1.000e-02"), body);
        assertTrue(body.contains("FAIL bad case: calc_diff 3.500e-02") && body.contains("ulps 1.234e+03"), body);
        assertTrue(body.contains("5 agree / 1 near-tie / 2 violation") && body.contains("calc_diff 3.5e-02 > 1e-03"), body);
        assertEquals("NOT IMPLEMENTED: lacks BlockOp", elements(cases.get(2), "skipped").getFirst().getAttribute("message"));
        Element unavailable = elements(suites.get(1), "testcase").getFirst();
        assertEquals("*", unavailable.getAttribute("name"));
        assertEquals("UNAVAILABLE: no GPU", elements(unavailable, "skipped").getFirst().getAttribute("message"));
        assertEquals("backend 'x' passed no check", elements(suites.get(2), "failure").getFirst().getAttribute("message"));
    }

    @Test
    void strictTurnsNotImplementedIntoAFailure() throws Exception {
        ConformanceReport r = ReportTest.report(ReportTest.result("reference", "linear", Status.PASS, 1e-6, ""),
                CheckResult.notRun("operations", "reference", "block", "exact", Tier.TIGHT, Status.NOT_IMPLEMENTED, "lacks it"));
        Element root = parse(ConformanceJUnit.render(r, true, List.of())).getDocumentElement();
        assertEquals("1", root.getAttribute("failures"));
        assertEquals("0", root.getAttribute("skipped"));
    }

    @Test
    void controlCharactersAreReplacedVisiblyAndMarkupIsEscaped() throws Exception {
        String hostile = "a<b>&\"c'\u0000\u0001\u001b[31m\u007f\uFFFE\uD800x]]>\r\n\tz\uD83D\uDE00";
        String xml = JUnitXml.render(hostile, List.of(new JUnitXml.TestSuite(hostile, Map.of(hostile, hostile),
                List.of(new JUnitXml.TestCase(hostile, hostile, 1, JUnitXml.Outcome.FAILED, hostile, hostile, hostile)))));
        assertFalse(xml.contains("\u0000") || xml.contains("\u0001") || xml.contains("\u001b") || xml.contains("\uFFFE"), xml);
        Element root = parse(xml).getDocumentElement();
        String expected = "a<b>&\"c'\\u0000\\u0001\\u001B[31m\u007f\\uFFFE\\uD800x]]>\r\n\tz\uD83D\uDE00";
        assertEquals(expected, JUnitXml.visible(hostile));
        assertEquals(expected, root.getAttribute("name"));
        Element c = elements(root, "testcase").getFirst();
        assertEquals(expected, c.getAttribute("classname"));
        assertEquals(expected, c.getAttribute("name"));
        Element f = elements(c, "failure").getFirst();
        assertEquals(expected, f.getAttribute("message"));
        assertEquals(expected, f.getTextContent());
        assertEquals(expected, elements(root, "property").getFirst().getAttribute("value"));
    }

    /** Any string at all, as every attribute and as content, parses back to its visible form. */
    @Property(tries = 300)
    void anyNameSurvivesAParser(@ForAll @StringLength(max = 40) @CharRange(from = '\u0000', to = '\uFFFF') String s,
                                @ForAll @StringLength(max = 8) @Chars({'<', '&', '"', '\'', '\r', '\n', '\t', '\u0000', '\uD800', '\uDC00', ']', '>'}) String markup)
            throws Exception {
        String name = s + markup;
        String xml = JUnitXml.render(name, List.of(new JUnitXml.TestSuite(name, Map.of(), List.of(
                new JUnitXml.TestCase(name, name, 0, JUnitXml.Outcome.FAILED, name, name, name),
                new JUnitXml.TestCase(name, name, 0, JUnitXml.Outcome.SKIPPED, name, "", ""),
                new JUnitXml.TestCase(name, name, 0, JUnitXml.Outcome.PASSED, "", "", name + "|")))));
        Element root = parse(xml).getDocumentElement();
        String v = JUnitXml.visible(name);
        assertEquals(v, root.getAttribute("name"));
        List<Element> cases = elements(root, "testcase");
        assertEquals(3, cases.size());
        for (Element c : cases) assertEquals(v, c.getAttribute("name"));
        assertEquals(v, elements(cases.get(0), "failure").getFirst().getTextContent());
        assertEquals(v, elements(cases.get(0), "failure").getFirst().getAttribute("type"));
        assertEquals(v, elements(cases.get(1), "skipped").getFirst().getAttribute("message"));
        assertEquals(v + "|", elements(cases.get(2), "system-out").getFirst().getTextContent());
    }
}
