package org.dsv32.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dsv32.spec.io.SafetensorsCheckpoint;
import org.dsv32.spec.io.SafetensorsFile.TensorInfo;
import org.dsv32.spec.metrics.Comparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./dsv32 compare A B}: every tensor of A (the reference) against the same-named tensor of B (the
 * candidate), as float64 whatever the dtypes. Exit 1 when a tensor of A is missing from B, has another element
 * count, has NaN/inf where the other has not (or of another kind), has any NaN/inf at all unless
 * {@code --allow-matching-non-finite} and both sides agree on every such position and value, or when the worst
 * calc_diff exceeds the bound; 0 otherwise; 2 when a file cannot be read. Tensors only in B are listed, not failed.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        header = "Compare two safetensors files or checkpoints tensor by tensor.",
        description = {"Compare every tensor of A (the reference) with the same-named tensor of B (the candidate), as "
                + "float64 whatever the dtypes: calc_diff = 1 - 2 sum(xy) / sum(x^2 + y^2), max abs and max relative error, "
                + "NaN/inf positions, argmax agreement of 1-D tensors. A and B may be files or checkpoint directories.",
                "Exit 0 when every tensor agrees, 1 when one is missing, resized, has NaN/inf (anywhere, unless "
                + "--allow-matching-non-finite and both sides have the same ones) or exceeds --max-calc-diff, 2 on unreadable input."})
final class CompareCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "A", description = "reference safetensors file or checkpoint directory")
    Path a;

    @Parameters(index = "1", paramLabel = "B", description = "candidate safetensors file or checkpoint directory")
    Path b;

    @Option(names = "--max-calc-diff", paramLabel = "X", defaultValue = "1e-6",
            description = "largest calc_diff accepted for any tensor (default ${DEFAULT-VALUE})")
    double maxCalcDiff;

    @Option(names = "--allow-matching-non-finite", description = "accept NaN/inf where both sides have the same "
            + "non-finite value at exactly the same positions (by default any NaN/inf fails the tensor)")
    boolean allowMatchingNonFinite;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        try (SafetensorsCheckpoint ref = SafetensorsCheckpoint.open(a); SafetensorsCheckpoint cand = SafetensorsCheckpoint.open(b)) {
            int width = Math.max(6, ref.names().stream().mapToInt(n -> Printable.escape(n).length()).max().orElse(0));
            String row = "%-" + width + "s  %12s  %10s  %10s  %10s  %9s  %6s  %s%n";
            out.printf(Locale.ROOT, row, "tensor", "elements", "calc_diff", "max_abs", "max_rel", "nonfinite", "argmax", "status");
            int compared = 0, missing = 0, sizeMismatch = 0, nonFinite = 0, overBound = 0;
            double worst = 0;
            String worstName = null;
            for (String name : ref.names()) {
                TensorInfo ti = ref.info(name);
                if (!cand.contains(name)) {
                    missing++;
                    out.printf(Locale.ROOT, row, Printable.escape(name), ti.elementCount(), "-", "-", "-", "-", "-", "FAIL: missing in B");
                    continue;
                }
                TensorInfo ci = cand.info(name);
                if (ci.elementCount() != ti.elementCount()) {
                    sizeMismatch++;
                    out.printf(Locale.ROOT, row, Printable.escape(name), ti.elementCount(), "-", "-", "-", "-", "-",
                            "FAIL: " + ci.elementCount() + " elements in B " + Arrays.toString(ci.shape()));
                    continue;
                }
                double[] x = cand.tensor(name).toDoubles(), y = ref.tensor(name).toDoubles();
                Comparison c = Comparison.of(x, y);
                compared++;
                if (worstName == null || !(c.calcDiff() <= worst)) { worst = c.calcDiff(); worstName = name; }
                List<String> problems = new ArrayList<>();
                long nonFiniteAt = nonFinitePositions(x, y);
                if (c.nonFiniteMismatches() > 0) {
                    nonFinite++;
                    problems.add("NaN/inf positions differ");
                } else if (nonFiniteAt > 0 && !allowMatchingNonFinite) {
                    nonFinite++;
                    problems.add(nonFiniteAt + " NaN/inf (at the same positions in A and B; --allow-matching-non-finite accepts that)");
                }
                if (!(c.calcDiff() <= maxCalcDiff)) { overBound++; problems.add("calc_diff above " + maxCalcDiff); }
                String status = problems.isEmpty() ? "ok" : "FAIL: " + String.join(", ", problems);
                if (!Arrays.equals(ti.shape(), ci.shape())) status += " (shape " + Arrays.toString(ci.shape()) + " in B)";
                String argmax = ti.shape().length == 1 ? (c.argmaxAgrees() ? "same" : "DIFF") : "-";
                out.printf(Locale.ROOT, row, Printable.escape(name), c.elements(), sci(c.calcDiff()), sci(c.maxAbs()), sci(c.maxRel()),
                        c.nonFiniteMismatches(), argmax, status);
            }
            List<String> extra = cand.names().stream().filter(n -> !ref.contains(n)).toList();
            for (String n : extra) out.println("extra in B (not compared): " + Printable.escape(n));
            boolean fail = missing + sizeMismatch + nonFinite + overBound > 0;
            out.printf(Locale.ROOT, "%s: %d compared, worst calc_diff %s%s (bound %s); %d missing, %d element-count mismatches, "
                            + "%d with NaN/inf, %d extra in B%n",
                    fail ? "FAIL" : "OK", compared, sci(worst), worstName == null ? "" : " (" + Printable.escape(worstName) + ")",
                    sci(maxCalcDiff), missing, sizeMismatch, nonFinite, extra.size());
            return fail ? 1 : 0;
        }
    }

    /** Positions where A or B holds NaN or an infinity (compared as float64, as the metrics are). */
    private static long nonFinitePositions(double[] a, double[] b) {
        long n = 0;
        for (int i = 0; i < a.length; i++) if (!Double.isFinite(a[i]) || !Double.isFinite(b[i])) n++;
        return n;
    }

    private static String sci(double v) { return String.format(Locale.ROOT, "%.3e", v); }
}
