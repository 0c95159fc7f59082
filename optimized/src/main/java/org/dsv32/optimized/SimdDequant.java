package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * Rows of a weight dequantised to float32, for the few products that cannot run as x W^T (the absorbed MLA
 * folds W_uk into the query: q~ = W_uk^T q_nope). FP8: fp32(code * block scale), exact for power-of-two (ue8m0)
 * scales; dense: the stored value (exact for bf16 and fp32).
 */
final class SimdDequant {
    private SimdDequant() {}

    /** Rows [r0, r0 + n) of w into out [n][cols] (out is overwritten from index 0). */
    static void rows(Weight w, int r0, int n, float[] out) {
        int cols = w.cols();
        if (r0 < 0 || r0 + n > w.rows()) throw new IllegalArgumentException(w.name() + ": rows [" + r0 + ", " + (r0 + n) + ") of " + w.rows());
        switch (w) {
            case Fp8BlockWeight f -> {
                byte[] codes = new byte[cols];
                MemorySegment seg = f.codes();
                for (int i = 0; i < n; i++) {
                    int r = r0 + i;
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, (long) r * cols, codes, 0, cols);
                    int br = r / f.blockRows();
                    for (int c0 = 0; c0 < cols; c0 += f.blockCols()) {
                        float s = f.scale(br, c0 / f.blockCols());
                        for (int c = c0, c1 = Math.min(cols, c0 + f.blockCols()); c < c1; c++) {
                            out[i * cols + c] = Fp8Codec.decodeE4M3(codes[c]) * s;
                        }
                    }
                }
            }
            case DenseWeight d -> {
                long base = (long) r0 * cols;
                for (int i = 0; i < n * cols; i++) out[i] = d.getFloat(base + i);
            }
        }
    }
}
