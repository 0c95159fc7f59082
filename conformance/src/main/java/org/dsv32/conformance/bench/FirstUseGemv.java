package org.dsv32.conformance.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.dsv32.optimized.SimdLinear;
import org.dsv32.optimized.SimdWeightProbe;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * The {@code fp8_gemv_first_use} row: simd's GEMV (M = 1) on a weight whose codes have not been repacked — the path
 * of every weight's first use, and of every use of a weight beyond {@code -Ddsv32.weightCacheMiB} (most of a 671B
 * checkpoint on a CPU). Each timed call takes a fresh {@link Fp8BlockWeight} record over the next of the workload's
 * copies of W: the simd path keys what it knows of a weight (and its repacked codes) by the record's identity, so a
 * fresh record is a weight it has never seen, while the memory under it is the same cold copies the {@code fp8_gemm}
 * rows cycle through. Nothing global changes (no budget, no property), so the other rows are untouched.
 *
 * <p>The one-time scan a weight gets on first use ({@link SimdWeightProbe#scan}: NaN codes, largest scale; kept for
 * the weight's lifetime, so a weight beyond the repack budget pays it once) is made before timing, {@code lead}
 * calls ahead of the call that uses it: between the scan of a copy and its timed call, about twice lead other
 * copies are read (about {@link Fp8GemmWorkload#COLD_BYTES}, twice the last-level cache, when there are two copies or more), so
 * the timed call still reads W from memory. With a single copy (a W of 64 MiB or more) the scan runs just before the
 * call and part of W may still be cached; the note says so.
 */
final class FirstUseGemv {
    private final Fp8GemmWorkload w;
    private final SimdLinear simd;
    private final float[] y;
    private final ArrayDeque<Fp8BlockWeight> ready = new ArrayDeque<>();
    private final List<Fp8BlockWeight> used = new ArrayList<>();
    private int next, made;

    FirstUseGemv(Fp8GemmWorkload w) {
        if (w.m != 1) throw new IllegalArgumentException("the first-use row is a GEMV (M = 1), got M = " + w.m);
        this.w = w;
        this.simd = new SimdLinear(w.context);
        this.y = new float[w.n];
        int lead = Math.max(1, w.weightCopies() / 2);
        for (int i = 0; i < lead; i++) before();
    }

    /** A record over copy i of W that the simd path has never seen, scanned as on first use. */
    private Fp8BlockWeight fresh(int i) {
        Fp8BlockWeight c = w.weightCopy(i);
        Fp8BlockWeight f = new Fp8BlockWeight(c.name() + "#first-use" + made++, c.codes(), c.scales(), c.rows(), c.cols(),
                c.blockRows(), c.blockCols());
        SimdWeightProbe.scan(f);
        return f;
    }

    /** The untimed step before each call: readies the record that the call {@code lead} calls later takes. */
    void before() {
        ready.add(fresh(next));
        next = (next + 1) % w.weightCopies();
    }

    /** One timed GEMV on the oldest ready record. */
    void run() {
        Fp8BlockWeight f = ready.poll();
        if (f == null) throw new IllegalStateException("first-use GEMV: run() without before()");
        simd.multiply(w.x, 1, f, y);
        used.add(f);
    }

    /**
     * Runs the first-use GEMV once on a fresh record and compares it with the float64 reference, within simd's GEMM
     * bound; throws {@link IllegalStateException} on disagreement, or if the call repacked the weight.
     */
    void check() {
        Fp8BlockWeight f = fresh(0);
        float[] out = new float[w.n];
        simd.multiply(w.x, 1, f, out);
        w.expected().compare("simd (first use, codes not repacked)", out, KernelTolerances.fp8GemmBlocked(w.k, f.blockCols()));
        if (SimdWeightProbe.repacked(f)) throw new IllegalStateException("fp8_gemv_first_use " + w.label() + ": the first GEMV on a weight repacked it");
    }

    /** Throws unless no timed call ran on a repacked weight (the row would then not measure the first use). */
    void verifyNothingRepacked() {
        for (Fp8BlockWeight f : used) {
            if (SimdWeightProbe.repacked(f)) {
                throw new IllegalStateException("fp8_gemv_first_use " + w.label() + ": weight " + f.name() + " was repacked while timed");
            }
        }
    }

    /** What the table's note says of the row. */
    String note() {
        String copies = w.weightCopies() > 1 ? "cycling through " + w.weightCopies() + " copies of W (cold weights)"
                : "one copy of W: its first-use scan just before each call may leave part of it cached";
        return "GEMV on weights never used before (codes not repacked), act_quant included, the one-time scan of each weight not timed, " + copies;
    }
}
