package org.dsv32.conformance.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * JUnit XML in the Ant / Maven Surefire shape every CI system displays ({@code --junit FILE}):
 * {@code <testsuites>} holding one {@code <testsuite>} per group, each holding {@code <testcase classname name time>}
 * elements; a failed case has a {@code <failure message type>} whose body carries the numbers, a case that did not
 * run a {@code <skipped message>} (never counted as passed), a case that could not be judged an {@code <error>}.
 * Every suite carries its own tests / failures / errors / skipped counts and time, and the root their sums.
 *
 * <p>Escaping: {@code & < > " '} become entities, and tab, newline and carriage return inside attributes become
 * character references (an XML parser would otherwise normalise them to spaces). Characters XML 1.0 does not allow
 * at all (C0 controls other than tab / LF / CR, unpaired surrogates, U+FFFE and U+FFFF) cannot be written even as
 * references, so they are replaced visibly by {@code \}{@code uXXXX} — the text shows something was there and what.
 */
public final class JUnitXml {
    private JUnitXml() {}

    /** How a test case ended. */
    public enum Outcome { PASSED, FAILED, SKIPPED, ERROR }

    /**
     * One test case.
     *
     * @param classname the group CI shows it under (dotted: "operations.simd")
     * @param name      the case ("indexer fp8/tight")
     * @param seconds   its time
     * @param outcome   how it ended
     * @param message   one line: why it failed or was skipped (ignored when it passed)
     * @param type      the failure's kind (the {@code type} attribute; ignored unless FAILED or ERROR)
     * @param detail    the failure's body, or the passing case's {@code system-out} (empty: none)
     */
    public record TestCase(String classname, String name, double seconds, Outcome outcome, String message, String type, String detail) {
        public TestCase {
            message = message == null ? "" : message;
            type = type == null ? "" : type;
            detail = detail == null ? "" : detail;
        }
    }

    /** One {@code <testsuite>}: a name, properties (seed, shard, version) and its cases. */
    public record TestSuite(String name, Map<String, String> properties, List<TestCase> cases) {
        public TestSuite {
            properties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(properties));
            cases = List.copyOf(cases);
        }

        long count(Outcome o) { return cases.stream().filter(c -> c.outcome() == o).count(); }

        double seconds() { return cases.stream().mapToDouble(TestCase::seconds).sum(); }
    }

    /** The document: {@code <testsuites name=...>} with every suite. */
    public static String render(String name, List<TestSuite> suites) {
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        long tests = 0, failures = 0, errors = 0, skipped = 0;
        double time = 0;
        for (TestSuite s : suites) {
            tests += s.cases().size();
            failures += s.count(Outcome.FAILED);
            errors += s.count(Outcome.ERROR);
            skipped += s.count(Outcome.SKIPPED);
            time += s.seconds();
        }
        x.append("<testsuites name=\"").append(attr(name)).append("\" tests=\"").append(tests).append("\" failures=\"").append(failures)
                .append("\" errors=\"").append(errors).append("\" skipped=\"").append(skipped).append("\" time=\"").append(time(time)).append("\">\n");
        for (TestSuite s : suites) suite(x, s);
        return x.append("</testsuites>\n").toString();
    }

    private static void suite(StringBuilder x, TestSuite s) {
        x.append("  <testsuite name=\"").append(attr(s.name())).append("\" tests=\"").append(s.cases().size())
                .append("\" failures=\"").append(s.count(Outcome.FAILED)).append("\" errors=\"").append(s.count(Outcome.ERROR))
                .append("\" skipped=\"").append(s.count(Outcome.SKIPPED)).append("\" time=\"").append(time(s.seconds())).append("\">\n");
        if (!s.properties().isEmpty()) {
            x.append("    <properties>\n");
            for (var p : s.properties().entrySet()) {
                x.append("      <property name=\"").append(attr(p.getKey())).append("\" value=\"").append(attr(p.getValue())).append("\"/>\n");
            }
            x.append("    </properties>\n");
        }
        for (TestCase c : s.cases()) {
            x.append("    <testcase classname=\"").append(attr(c.classname())).append("\" name=\"").append(attr(c.name()))
                    .append("\" time=\"").append(time(c.seconds())).append('"');
            switch (c.outcome()) {
                case PASSED -> {
                    if (c.detail().isEmpty()) { x.append("/>\n"); continue; }
                    x.append(">\n      <system-out>").append(text(c.detail())).append("</system-out>\n");
                }
                case SKIPPED -> x.append(">\n      <skipped message=\"").append(attr(c.message())).append("\"/>\n");
                case FAILED, ERROR -> {
                    String tag = c.outcome() == Outcome.FAILED ? "failure" : "error";
                    x.append(">\n      <").append(tag).append(" message=\"").append(attr(c.message())).append("\" type=\"")
                            .append(attr(c.type())).append("\">").append(text(c.detail())).append("</").append(tag).append(">\n");
                }
            }
            x.append("    </testcase>\n");
        }
        x.append("  </testsuite>\n");
    }

    private static String time(double s) { return String.format(Locale.ROOT, "%.3f", Double.isFinite(s) && s > 0 ? s : 0.0); }

    /** {@code s} as element content. */
    public static String text(String s) { return escape(s, false); }

    /** {@code s} as an attribute value (inside double quotes). */
    public static String attr(String s) { return escape(s, true); }

    /**
     * What {@link #text} and {@link #attr} make of {@code s} once an XML parser reads it back: {@code s} with every
     * character XML 1.0 cannot carry replaced by {@code \}{@code uXXXX}.
     */
    public static String visible(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            if (allowed(cp)) b.appendCodePoint(cp);
            else b.append(String.format(Locale.ROOT, "\\u%04X", (int) s.charAt(i)));
            i += n;
        }
        return b.toString();
    }

    private static String escape(String s, boolean attribute) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append(attribute ? "&quot;" : "\"");
                case '\'' -> b.append(attribute ? "&apos;" : "'");
                case '\t' -> b.append(attribute ? "&#9;" : "\t");
                case '\n' -> b.append(attribute ? "&#10;" : "\n");
                case '\r' -> b.append("&#13;"); // a raw CR is turned into LF by every parser, even in content
                default -> {
                    // an unpaired surrogate comes out of codePointAt as itself: not allowed, shown as its code
                    if (allowed(cp)) b.appendCodePoint(cp);
                    else b.append(String.format(Locale.ROOT, "\\u%04X", cp));
                }
            }
        }
        return b.toString();
    }

    /** XML 1.0's Char production. */
    static boolean allowed(int cp) {
        return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD)
                || (cp >= 0x10000 && cp <= 0x10FFFF);
    }
}
