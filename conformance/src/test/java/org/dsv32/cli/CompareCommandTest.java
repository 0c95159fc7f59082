package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    @TempDir Path dir;

    private static final float[] LOGITS = {0.5f, -1f, 3f, 2f, 0.25f, -0.75f};

    private List<TensorData> base() { return new ArrayList<>(InspectCommandTest.smallTensors()); }

    private static TensorData logits(float[] v) { return TensorData.ofFloats("logits", v, v.length); }

    private Path file(String name, List<TensorData> ts) throws Exception {
        Path f = dir.resolve(name);
        SafetensorsWriter.write(f, ts, Map.of());
        return f;
    }

    /** calc_diff written out from its definition, independent of the code under test. */
    private static double calcDiff(float[] x, float[] y) {
        double xy = 0, sq = 0;
        for (int i = 0; i < x.length; i++) { xy += (double) x[i] * y[i]; sq += (double) x[i] * x[i] + (double) y[i] * y[i]; }
        return 1 - 2 * xy / sq;
    }

    private static String summary(CliRun r) {
        String[] lines = r.out().strip().split("\n");
        return lines[lines.length - 1];
    }

    private static void assertLine(String out, String regex) {
        assertTrue(Pattern.compile(regex, Pattern.MULTILINE).matcher(out).find(), () -> "no line /" + regex + "/ in:\n" + out);
    }

    @Test
    void equalFilesPass() throws Exception {
        List<TensorData> ts = base();
        ts.add(logits(LOGITS));
        CliRun r = CliRun.of("compare", file("a.safetensors", ts).toString(), file("b.safetensors", ts).toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(summary(r).startsWith("OK: 5 compared, worst calc_diff 0.000e+00"), summary(r));
        assertLine(r.out(), "^logits +6 .* same +ok$");
    }

    @Test
    void nudgeBeyondTheBoundFailsAndReportsTheWorstCalcDiff() throws Exception {
        float[] nudged = LOGITS.clone();
        nudged[0] += 0.01f;
        List<TensorData> a = base(), b = base();
        a.add(logits(LOGITS));
        b.add(logits(nudged));
        String expected = String.format(Locale.ROOT, "%.3e", calcDiff(nudged, LOGITS));
        Path fa = file("a.safetensors", a), fb = file("b.safetensors", b);

        CliRun r = CliRun.of("compare", fa.toString(), fb.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(summary(r).startsWith("FAIL: 5 compared, worst calc_diff " + expected + " (logits)"), summary(r));
        assertLine(r.out(), "^logits .*FAIL: calc_diff above");

        CliRun loose = CliRun.of("compare", fa.toString(), fb.toString(), "--max-calc-diff", "1e-3");
        assertEquals(0, loose.exit(), loose.out());
        assertTrue(summary(loose).contains("worst calc_diff " + expected), summary(loose));
    }

    @Test
    void argmaxChangeIsShownForOneDimensionalTensors() throws Exception {
        float[] swapped = LOGITS.clone();
        swapped[2] = 2f;
        swapped[3] = 3f;
        List<TensorData> a = List.of(logits(LOGITS)), b = List.of(logits(swapped));
        CliRun r = CliRun.of("compare", file("a.safetensors", a).toString(), file("b.safetensors", b).toString(),
                "--max-calc-diff", "1");
        assertEquals(0, r.exit(), r.out());
        assertLine(r.out(), "^logits .* DIFF +ok$");
    }

    @Test
    void missingOrResizedTensorFailsAndExtraIsOnlyListed() throws Exception {
        List<TensorData> a = base();
        a.add(logits(LOGITS));
        List<TensorData> missing = base();
        missing.add(TensorData.ofFloats("only.in.b", new float[] {1}, 1));
        CliRun r = CliRun.of("compare", file("a.safetensors", a).toString(), file("b.safetensors", missing).toString());
        assertEquals(1, r.exit(), r.out());
        assertLine(r.out(), "^logits .*FAIL: missing in B$");
        assertLine(r.out(), "^extra in B \\(not compared\\): only\\.in\\.b$");
        assertTrue(summary(r).contains("1 missing") && summary(r).contains("1 extra in B"), summary(r));

        List<TensorData> resized = base();
        resized.add(logits(new float[] {1, 2, 3}));
        CliRun s = CliRun.of("compare", file("a.safetensors", a).toString(), file("c.safetensors", resized).toString());
        assertEquals(1, s.exit(), s.out());
        assertLine(s.out(), "^logits .*FAIL: 3 elements in B \\[3\\]$");

        CliRun extraOnly = CliRun.of("compare", file("a2.safetensors", base()).toString(), file("b.safetensors", missing).toString());
        assertEquals(0, extraOnly.exit(), extraOnly.out());
    }

    @Test
    void nonFinitePositionsMustMatch() throws Exception {
        float[] nan = LOGITS.clone();
        nan[4] = Float.NaN;
        CliRun r = CliRun.of("compare", file("a.safetensors", List.of(logits(LOGITS))).toString(),
                file("b.safetensors", List.of(logits(nan))).toString(), "--max-calc-diff", "1");
        assertEquals(1, r.exit(), r.out());
        assertLine(r.out(), "^logits .* 1 .*FAIL: NaN/inf positions differ");
        CliRun same = CliRun.of("compare", file("c.safetensors", List.of(logits(nan))).toString(),
                file("d.safetensors", List.of(logits(nan))).toString());
        assertEquals(1, same.exit(), "NaN on both sides fails unless allowed: " + same.out());
        assertLine(same.out(), "^logits .*FAIL: 1 NaN/inf \\(at the same positions in A and B; --allow-matching-non-finite accepts that\\)$");
        CliRun allowed = CliRun.of("compare", dir.resolve("c.safetensors").toString(), dir.resolve("d.safetensors").toString(),
                "--allow-matching-non-finite");
        assertEquals(0, allowed.exit(), allowed.out());
    }

    /** All-NaN against all-NaN has calc_diff 0 over no finite pair: it must not pass as agreement by default. */
    @Test
    void allNanAgainstAllNanFailsUnlessAllowed() throws Exception {
        float[] nan = new float[LOGITS.length];
        java.util.Arrays.fill(nan, Float.NaN);
        Path a = file("a.safetensors", List.of(logits(nan))), b = file("b.safetensors", List.of(logits(nan.clone())));
        CliRun r = CliRun.of("compare", a.toString(), b.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(summary(r).startsWith("FAIL: 1 compared") && summary(r).contains("1 with NaN/inf"), summary(r));
        assertEquals(0, CliRun.of("compare", a.toString(), b.toString(), "--allow-matching-non-finite").exit());
    }

    /** Allowed, matching non-finite values must still be the same values: +inf against -inf, or NaN against inf, fail. */
    @Test
    void matchingPositionsWithOtherNonFiniteValuesFailEvenWhenAllowed() throws Exception {
        float[] plus = LOGITS.clone(), minus = LOGITS.clone(), nan = LOGITS.clone();
        plus[2] = Float.POSITIVE_INFINITY;
        minus[2] = Float.NEGATIVE_INFINITY;
        nan[2] = Float.NaN;
        Path p = file("p.safetensors", List.of(logits(plus)));
        for (float[] other : List.of(minus, nan)) {
            Path o = file("o" + other[2] + ".safetensors", List.of(logits(other)));
            CliRun r = CliRun.of("compare", p.toString(), o.toString(), "--allow-matching-non-finite");
            assertEquals(1, r.exit(), r.out());
            assertLine(r.out(), "^logits .*FAIL: NaN/inf positions differ");
        }
        Path same = file("same.safetensors", List.of(logits(plus.clone())));
        assertEquals(0, CliRun.of("compare", p.toString(), same.toString(), "--allow-matching-non-finite").exit());
    }

    @Test
    void unreadableInputExits2WithOneLine() throws Exception {
        Path good = file("a.safetensors", List.of(logits(LOGITS)));
        CliRun r = CliRun.of("compare", good.toString(), dir.resolve("none.safetensors").toString());
        assertEquals(2, r.exit());
        assertFalse(r.err().strip().contains("\n"), r.err());
        assertTrue(r.err().startsWith("dsv32 compare: ") && r.err().contains("none.safetensors"), r.err());
    }
}
