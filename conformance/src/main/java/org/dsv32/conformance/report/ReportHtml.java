package org.dsv32.conformance.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.DecisionCounts;

/**
 * report.html: the table of report.json, and per operation a histogram of log10 per-element relative errors for
 * each backend and precision, drawn as inline SVG. One self-contained file: no scripts, no external resources,
 * readable offline.
 */
public final class ReportHtml {
    private ReportHtml() {}

    public static String render(ConformanceReport r, boolean strict) {
        ConformanceReport.Summary s = r.summary(strict);
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>dsv32 conformance report</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left}th{background:#eee}")
                .append(".pass{background:#d9f2d9}.fail{background:#f7c6c6;font-weight:bold}.not_implemented{background:#fbe9b7}")
                .append(".unavailable{background:#ddd}.num{text-align:right;font-family:monospace}svg{margin:4px 12px 4px 0}")
                .append(".hist{display:inline-block;vertical-align:top}\n</style></head><body>\n");
        h.append("<h1>dsv32 conformance report</h1>\n<p><b>Verdict: ").append(s.passed() ? "PASS" : "FAIL").append("</b> — ")
                .append(s.pass()).append(" pass, ").append(s.fail()).append(" fail, ").append(s.notImplemented())
                .append(" not implemented, ").append(s.unavailable()).append(" unavailable")
                .append(s.delegated() > 0 ? ", " + s.delegated() + " of the passes delegated" : "").append(".</p>\n");
        if (!s.problems().isEmpty()) {
            h.append("<ul>");
            for (String p : s.problems()) h.append("<li>").append(esc(p)).append("</li>");
            h.append("</ul>\n");
        }
        h.append("<p>Generated ").append(esc(r.generated())).append(", seed ").append(r.seed()).append(r.quick() ? ", quick" : "")
                .append(r.run().shard().whole() ? "" : ", <b>shard " + r.run().shard() + "</b> (part of a run: merge with --merge)")
                .append(String.format(Locale.ROOT, ", %.1f s", r.seconds())).append(". Java ").append(esc(r.machine().java()))
                .append(" (").append(esc(r.machine().vendor())).append("), ").append(esc(r.machine().os())).append(' ')
                .append(esc(r.machine().arch())).append(", ").append(r.machine().cpus()).append(" CPUs.</p>\n");
        h.append("<h2>Backends</h2>\n<table><tr><th>backend</th><th>available</th><th>operations</th><th>description</th></tr>\n");
        for (ConformanceReport.BackendInfo b : r.backends()) {
            h.append("<tr><td>").append(esc(b.name())).append("</td><td>").append(b.available() ? "yes" : "no: " + esc(b.reason()))
                    .append("</td><td class=\"num\">").append(b.implementedOperations()).append('/').append(b.catalogOperations())
                    .append("</td><td>").append(esc(b.description())).append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Results</h2>\n<table><tr><th>suite</th><th>operation</th><th>backend</th><th>precision</th><th>tier</th>")
                .append("<th>cases</th><th>worst calc_diff</th><th>gate</th><th>rigorous bound</th><th>worst ulps</th><th>agree / near-tie / violation</th><th>status</th><th>note</th></tr>\n");
        for (CheckResult c : r.results()) {
            DecisionCounts d = c.decisions();
            h.append("<tr class=\"").append(c.status().key()).append("\"><td>").append(esc(c.suite())).append("</td><td>")
                    .append(esc(c.operation())).append("</td><td>").append(esc(c.backend())).append("</td><td>").append(esc(c.mode()))
                    .append("</td><td>").append(c.tier().label()).append("</td><td class=\"num\">").append(c.cases().size())
                    .append("</td><td class=\"num\">").append(sci(c.worstCalcDiff())).append("</td><td class=\"num\">")
                    .append(c.tolerance() == null ? "" : sci(c.tolerance().calcDiff())).append("</td><td class=\"num\">")
                    .append(c.tolerance() == null ? "" : sci(c.tolerance().predictive() ? c.tolerance().rigorous().calcDiff() : c.tolerance().calcDiff()))
                    .append("</td><td class=\"num\">")
                    .append(sci(c.worstUlps())).append("</td><td class=\"num\">")
                    .append(d.total() == 0 ? "" : d.agree() + " / " + d.nearTie() + " / " + d.violation()).append("</td><td>")
                    .append(c.status().display()).append("</td><td>").append(esc(note(c))).append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Error histograms</h2>\n<p>Per-element relative error |x−y| / max(|y|, 10<sup>−3</sup>·rms(y)), by decade; "
                + "the leftmost bar also holds exact matches.</p>\n");
        Map<String, List<CheckResult>> byOp = new LinkedHashMap<>();
        for (CheckResult c : r.results()) if (!c.cases().isEmpty()) byOp.computeIfAbsent(c.operation(), k -> new java.util.ArrayList<>()).add(c);
        for (var e : byOp.entrySet()) {
            h.append("<h3>").append(esc(e.getKey())).append("</h3>\n<div>");
            for (CheckResult c : e.getValue()) h.append(svg(c));
            h.append("</div>\n");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static String note(CheckResult c) {
        if (!c.note().isEmpty()) return c.note();
        return c.cases().stream().filter(x -> !x.passed()).findFirst().map(x -> x.name() + ": " + x.failures().get(0)).orElse("");
    }

    /** A bar chart of one check's histogram. */
    static String svg(CheckResult c) {
        Histogram hist = Histogram.of(c);
        int w = 320, hgt = 140, left = 30, bottom = 24, bins = hist.counts().length;
        long max = 1;
        for (long v : hist.counts()) max = Math.max(max, v);
        double bw = (w - left - 6) / (double) bins;
        StringBuilder s = new StringBuilder();
        s.append("<div class=\"hist\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(hgt)
                .append("\" role=\"img\"><title>").append(esc(c.key())).append("</title>");
        s.append("<rect x=\"0\" y=\"0\" width=\"").append(w).append("\" height=\"").append(hgt).append("\" fill=\"#fafafa\" stroke=\"#ccc\"/>");
        for (int i = 0; i < bins; i++) {
            double bh = (hgt - bottom - 16) * (hist.counts()[i] / (double) max);
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>10^%d: %d</title></rect>",
                    left + i * bw, hgt - bottom - bh, bw - 1, bh, i == 0 ? "#7a7" : "#57a", hist.lo() + i, hist.counts()[i]));
            if ((hist.lo() + i) % 4 == 0 || i == bins - 1) {
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%d</text>",
                        left + i * bw + bw / 2, hgt - bottom + 11, hist.lo() + i));
            }
        }
        if (c.tolerance() != null && c.tolerance().gatesMaxErr() && c.tolerance().maxErrInf() > 0) {
            double x = left + (Math.log10(c.tolerance().maxErrInf()) - hist.lo()) * bw;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"12\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c33\" stroke-dasharray=\"3,2\"/>", x, x, hgt - bottom));
        }
        s.append("<text x=\"").append(left).append("\" y=\"11\" font-size=\"10\">").append(esc(c.backend() + " " + c.mode() + "/" + c.tier().label()))
                .append(" (").append(hist.total()).append(" elements, ").append(c.status().display()).append(")</text>");
        s.append("<text x=\"").append(w / 2).append("\" y=\"").append(hgt - 2).append("\" font-size=\"9\" text-anchor=\"middle\">log10 relative error</text>");
        s.append("</svg></div>");
        return s.toString();
    }

    static String sci(double v) {
        if (v == 0) return "0";
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return "inf";
        return String.format(Locale.ROOT, "%.2e", v);
    }

    static String esc(String s) {
        if (s == null) return "";
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    public static void write(ConformanceReport r, boolean strict, Path file) {
        try {
            org.dsv32.spec.io.OutputFiles.writeString(file, render(r, strict));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
