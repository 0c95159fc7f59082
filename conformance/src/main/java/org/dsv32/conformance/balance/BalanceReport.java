package org.dsv32.conformance.balance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * A balancing comparison as JSON and as an HTML page with inline SVG line charts: MaxVio over the steps (one line per
 * run), the final load of every expert (one bar per run and expert), and the bias trajectories of every expert (one
 * chart per run with γ > 0). The SVG charts are also available alone, for documentation.
 */
public final class BalanceReport {
    private BalanceReport() {}

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    private static final int W = 720, H = 300, LEFT = 60, RIGHT = 200, TOP = 30, BOTTOM = 40;

    /** {"router", "hidden", "backend", "runs": [{"gamma", "alpha", "lr", "steps": [{"step", "max_vio", "balance_loss", "load", "bias"}]}]}. */
    public static ObjectNode json(BalanceSimulation.Result r) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("router", r.router()).put("hidden", r.hidden()).put("backend", r.backend());
        root.put("balance_loss_unit", "L_Bal / alpha: the mean over the batch's sequences of sum_i f_i P_i (1 when every sequence is balanced)");
        ArrayNode runs = root.putArray("runs");
        for (BalanceSimulation.Run run : r.runs()) {
            ObjectNode o = runs.addObject().put("label", run.spec().label()).put("gamma", run.spec().gamma()).put("alpha", run.spec().alpha())
                    .put("lr", run.spec().learningRate()).put("final_max_vio", run.steps().getLast().maxVio());
            ArrayNode steps = o.putArray("steps");
            for (BalanceSimulation.Step s : run.steps()) {
                ObjectNode so = steps.addObject().put("step", s.step()).put("max_vio", s.maxVio()).put("balance_loss", s.balanceLoss());
                ArrayNode load = so.putArray("load");
                for (long c : s.load()) load.add(c);
                ArrayNode bias = so.putArray("bias");
                for (double b : s.bias()) bias.add(b);
            }
        }
        return root;
    }

    /** MaxVio over the steps, one line per run. */
    public static String maxVioChart(BalanceSimulation.Result r) {
        List<BalanceSimulation.Run> runs = r.runs();
        double[][] ys = new double[runs.size()][];
        String[] names = new String[runs.size()];
        for (int i = 0; i < runs.size(); i++) {
            ys[i] = runs.get(i).steps().stream().mapToDouble(BalanceSimulation.Step::maxVio).toArray();
            names[i] = runs.get(i).spec().label();
        }
        return lineChart("MaxVio per step (max load - mean) / mean", "step", "MaxVio", ys, names, COLORS);
    }

    /** The final step's load of every expert, a bar per run. */
    public static String loadChart(BalanceSimulation.Result r) {
        List<BalanceSimulation.Run> runs = r.runs();
        int n = runs.getFirst().steps().getLast().load().length;
        double max = 1, mean = 0;
        for (BalanceSimulation.Run run : runs) for (long c : run.steps().getLast().load()) max = Math.max(max, c);
        for (long c : runs.getFirst().steps().getLast().load()) mean += (double) c / n;
        StringBuilder sb = open("Load of every expert at the last step", "expert", "tokens");
        double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM, slot = pw / n, bar = slot / (runs.size() + 1);
        for (int i = 0; i < runs.size(); i++) {
            long[] load = runs.get(i).steps().getLast().load();
            for (int e = 0; e < n; e++) {
                double h = ph * load[e] / max;
                sb.append(String.format(Locale.ROOT, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>",
                        LEFT + e * slot + i * bar, TOP + ph - h, Math.max(bar, 0.5), h, COLORS[i % COLORS.length]));
            }
            legend(sb, i, runs.get(i).spec().label(), COLORS[i % COLORS.length]);
        }
        double y = TOP + ph - ph * mean / max;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>", LEFT, y, W - RIGHT, y));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.2f\" font-size=\"11\">mean</text>", W - RIGHT + 4, y + 4));
        axes(sb, 0, n, 0, max);
        return sb.append("</svg>").toString();
    }

    /** The bias of every expert over the steps for one run. */
    public static String biasChart(BalanceSimulation.Run run) {
        int n = run.steps().getFirst().bias().length, steps = run.steps().size();
        double[][] ys = new double[n][steps];
        String[] names = new String[n];
        String[] colors = new String[n];
        for (int e = 0; e < n; e++) {
            for (int s = 0; s < steps; s++) ys[e][s] = run.steps().get(s).bias()[e];
            names[e] = e < 8 ? "expert " + e : null;
            colors[e] = String.format(Locale.ROOT, "hsl(%d,70%%,45%%)", (int) (300.0 * e / Math.max(1, n - 1)));
        }
        return lineChart("Bias of every expert (" + run.spec().label() + ")", "step", "bias", ys, names, colors);
    }

    /** The whole page. */
    public static String html(BalanceSimulation.Result r) {
        StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>dsv32 balance</title>"
                + "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style></head><body><h1>Expert balancing</h1>");
        sb.append("<p>").append(escape(r.router())).append("<br>").append(escape(r.hidden())).append("<br>backend ").append(escape(r.backend())).append("</p>");
        sb.append("<table><tr><th>run</th><th>MaxVio first step</th><th>MaxVio mean of last 10%</th><th>MaxVio last</th><th>L_Bal/alpha last</th></tr>");
        for (BalanceSimulation.Run run : r.runs()) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.4f</td></tr>", escape(run.spec().label()),
                    run.steps().getFirst().maxVio(), run.meanMaxVioOfLast(0.1), run.steps().getLast().maxVio(), run.steps().getLast().balanceLoss()));
        }
        sb.append("</table>").append(maxVioChart(r)).append(loadChart(r));
        for (BalanceSimulation.Run run : r.runs()) if (run.spec().gamma() > 0) sb.append(biasChart(run));
        return sb.append("</body></html>\n").toString();
    }

    private static String lineChart(String title, String xLabel, String yLabel, double[][] ys, String[] names, String[] colors) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        int len = 1;
        for (double[] y : ys) {
            len = Math.max(len, y.length);
            for (double v : y) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        }
        if (!(hi > lo)) { hi = lo + 1; }
        if (lo > 0 && lo < 0.5 * hi) lo = 0;
        StringBuilder sb = open(title, xLabel, yLabel);
        double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        int shown = 0;
        for (int i = 0; i < ys.length; i++) {
            String color = colors[i % colors.length];
            sb.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(color).append("\" points=\"");
            for (int s = 0; s < ys[i].length; s++) {
                double x = LEFT + pw * s / Math.max(1, len - 1), y = TOP + ph - ph * (ys[i][s] - lo) / (hi - lo);
                sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            sb.append("\"/>");
            if (names[i] != null) legend(sb, shown++, names[i], color);
        }
        axes(sb, 0, len - 1, lo, hi);
        return sb.append("</svg>").toString();
    }

    private static StringBuilder open(String title, String xLabel, String yLabel) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">", W, H, W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">%s</text>", LEFT, escape(title)));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>", LEFT + (W - LEFT - RIGHT) / 2, H - 6, escape(xLabel)));
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"11\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">%s</text>",
                TOP + (H - TOP - BOTTOM) / 2, TOP + (H - TOP - BOTTOM) / 2, escape(yLabel)));
        return sb;
    }

    private static void axes(StringBuilder sb, double x0, double x1, double y0, double y1) {
        int bottom = H - BOTTOM, right = W - RIGHT;
        sb.append(String.format(Locale.ROOT, "<path d=\"M%d %d V%d H%d\" stroke=\"#000\" fill=\"none\"/>", LEFT, TOP, bottom, right));
        for (int i = 0; i <= 4; i++) {
            double y = bottom - (H - TOP - BOTTOM) * i / 4.0, v = y0 + (y1 - y0) * i / 4;
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>", LEFT - 4, y + 3, tick(v)));
            double x = LEFT + (W - LEFT - RIGHT) * i / 4.0, u = x0 + (x1 - x0) * i / 4;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>", x, bottom + 14, tick(u)));
        }
    }

    private static void legend(StringBuilder sb, int i, String name, String color) {
        int y = TOP + 14 * i;
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
                W - RIGHT + 8, y, color, W - RIGHT + 22, y + 9, escape(name)));
    }

    private static String tick(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e6) return Long.toString((long) v);
        return Math.abs(v) >= 0.01 || v == 0 ? String.format(Locale.ROOT, "%.3f", v) : String.format(Locale.ROOT, "%.2e", v);
    }

    static String escape(String s) { return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;"); }
}
