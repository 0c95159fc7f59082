package org.dsv32.conformance.parity;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.metrics.Metrics;

/**
 * Where a step's difference begins: with the hidden states of both sides (spec/TRACE_FORMAT.md, {@code
 * seq{b}.step{k}.layer{i}.hidden} and {@code .final_hidden}), the first block whose output departs from ours by more
 * than the bound. Our side is the run with their decisions forced, so what departs is arithmetic, not a decision.
 */
public final class Departure {
    private Departure() {}

    private static final Pattern LAYER = Pattern.compile("\\.layer(\\d+)\\.hidden$");

    /** The hidden-state tensors of a trace file (empty when it holds none), by name, widened to double. */
    public static Map<String, double[]> readHidden(Path trace) throws IOException {
        Map<String, double[]> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(trace)) {
            for (String n : f.names()) if (n.endsWith(".hidden") || n.endsWith(".final_hidden")) out.put(n, f.tensor(n).toDoubles());
        }
        return out;
    }

    /** The hidden-state tensors among {@code recorded}, by name. */
    public static Map<String, double[]> hidden(List<TensorData> recorded) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (TensorData t : recorded) if (t.name().endsWith(".hidden") || t.name().endsWith(".final_hidden")) out.put(t.name(), t.toDoubles());
        return out;
    }

    /**
     * For {@code step} ({@code seq{b}.step{k}}): the first block, in layer order, whose hidden state differs between
     * {@code theirs} and {@code ours} by calc_diff above {@code bound} (or in shape), then the final norm's output;
     * empty when both sides have no hidden state of this step, or none departs.
     */
    public static String first(String step, Map<String, double[]> theirs, Map<String, double[]> ours, double bound) {
        java.util.TreeMap<Integer, String> layers = new java.util.TreeMap<>();
        for (String n : theirs.keySet()) {
            if (!n.startsWith(step + ".")) continue;
            Matcher m = LAYER.matcher(n);
            if (m.find() && n.equals(step + ".layer" + m.group(1) + ".hidden")) layers.put(Integer.parseInt(m.group(1)), n);
        }
        String fin = step + ".final_hidden";
        if (theirs.containsKey(fin)) layers.put(Integer.MAX_VALUE, fin);
        double before = 0;
        for (var e : layers.entrySet()) {
            double[] t = theirs.get(e.getValue()), o = ours.get(e.getValue());
            String what = e.getKey() == Integer.MAX_VALUE ? "the final norm's output" : "block " + e.getKey() + "'s output";
            if (o == null) return "";
            if (o.length != t.length) return String.format(Locale.ROOT, "%s has %d values in theirs, %d in ours", what, t.length, o.length);
            double cd = Metrics.calcDiff(t, o);
            if (!(cd <= bound)) {
                return String.format(Locale.ROOT, "first departs at %s: calc_diff %.3g (every output before it within %.3g)", what, cd, before);
            }
            before = Math.max(before, cd);
        }
        return "";
    }
}
