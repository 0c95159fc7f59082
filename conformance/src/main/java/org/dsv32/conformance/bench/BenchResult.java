package org.dsv32.conformance.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One measured operation on one backend.
 *
 * @param op      {@code fp8_gemm}, {@code mla_decode}, {@code indexer}, {@code moe}, {@code tiny_decode}
 * @param shape   the operation's dimensions in order (for fp8_gemm: m, n, k), as they appear in the JSON
 * @param backend {@code reference}, {@code simd}, {@code ejml}, {@code cuda}
 * @param timing  seconds per call (best, median, runs, CPU share); already scaled to the whole operation when measured
 *                on a part
 * @param flops   floating-point operations of one whole call (a multiply-add counts 2)
 * @param bytes   weight bytes one whole call reads (1 per e4m3 code plus the fp32 scales; 2 per bf16 weight)
 * @param note    how it was measured when that is not obvious (a part scaled, the contract path), or empty
 * @param extra   further figures for the JSON (e.g. tokens_per_s), in order
 */
public record BenchResult(String op, Map<String, Object> shape, String backend, BenchTimer.Timing timing, double flops,
                          double bytes, String note, Map<String, Object> extra) {
    public BenchResult {
        shape = new LinkedHashMap<>(shape);
        extra = new LinkedHashMap<>(extra);
        note = note == null ? "" : note;
    }

    public BenchResult(String op, Map<String, Object> shape, String backend, BenchTimer.Timing timing, double flops, double bytes, String note) {
        this(op, shape, backend, timing, flops, bytes, note, Map.of());
    }

    /** The best time per call: the figure rates and fractions of the limits are computed from. */
    public double seconds() { return timing.best(); }

    public double gflops() { return flops / timing.best() / 1e9; }

    public double gbytesPerS() { return bytes / timing.best() / 1e9; }

    /** The shape as a short label: {@code M=128 2048x7168} for a GEMM, {@code key=value ...} otherwise. */
    public String shapeLabel() {
        if (shape.containsKey("m") && shape.containsKey("n") && shape.containsKey("k")) {
            return "M=" + shape.get("m") + " " + shape.get("n") + "x" + shape.get("k");
        }
        StringBuilder b = new StringBuilder();
        shape.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }
}
