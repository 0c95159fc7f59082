package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.tolerance.KernelTolerances;
import org.dsv32.spec.tolerance.Tolerances;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RoPE (both layouts, large positions) and the Hadamard transform on the GPU against float64 definitions. Needs a GPU. */
class CudaRopeHadamardTest {
    @BeforeEach void gpu() { GpuTestSupport.assumeGpu(); }

    @ParameterizedTest
    @EnumSource(RopeLayout.class)
    void ropeRotatesTheLayoutsPairsByTheYarnAngles(RopeLayout layout) {
        Random rnd = new Random(5);
        int d = 64;
        TensorF64 x = GpuTestSupport.floats(rnd, 6, d, 1.0);
        int[] pos = {0, 1, 7, 4095, 4096, 160000};
        TensorF64 y = GpuTestSupport.op(RopeOp.class, PrecisionMode.FP8).apply(x, pos, layout);
        double[] f = ModelConfig.deepseekV32().ropeFrequencies();
        for (int r = 0; r < pos.length; r++) {
            for (int i = 0; i < d / 2; i++) {
                int ia = layout == RopeLayout.INTERLEAVED ? 2 * i : i, ib = layout == RopeLayout.INTERLEAVED ? 2 * i + 1 : i + d / 2;
                double a = x.at(r, ia), b = x.at(r, ib), c = Math.cos(pos[r] * f[i]), s = Math.sin(pos[r] * f[i]);
                // the host's float64 angle and its cos and sin rounded to fp32, two products and a sum in fp32
                double tol = (KernelTolerances.fp32(4) + Tolerances.angleError(pos[r], f[i], Tolerances.U_FP64)) * (Math.abs(a) + Math.abs(b))
                        + Double.MIN_NORMAL;
                assertEquals(a * c - b * s, y.at(r, ia), tol, layout + " row " + r + " pair " + i);
                assertEquals(a * s + b * c, y.at(r, ib), tol, layout + " row " + r + " pair " + i);
            }
        }
    }

    /** H[i][j] = (-1)^popcount(i AND j) is the Sylvester-ordered Hadamard matrix: an independent closed form. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 128, 1024})
    void hadamardIsTheScaledSylvesterMatrix(int n) {
        Random rnd = new Random(n);
        TensorF64 x = GpuTestSupport.floats(rnd, 3, n, 1.0);
        TensorF64 y = GpuTestSupport.op(HadamardOp.class, PrecisionMode.FP8).apply(x);
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < n; i++) {
                double acc = 0, abs = 0;
                for (int j = 0; j < n; j++) {
                    double h = (Integer.bitCount(i & j) & 1) == 0 ? 1 : -1;
                    acc += h * x.at(r, j);
                    abs += Math.abs(x.at(r, j));
                }
                acc /= Math.sqrt(n);
                // a butterfly of log2(n) fp32 additions and the scale: gamma_(log2 n + 2) of the sum of |x|
                double tol = KernelTolerances.fp32(Integer.numberOfTrailingZeros(n) + 2) * abs + Double.MIN_NORMAL;
                assertEquals(acc, y.at(r, i), tol, "n " + n + " row " + r + " element " + i);
            }
        }
    }

    @Test
    void hadamardTwiceIsTheIdentity() {
        TensorF64 x = GpuTestSupport.floats(new Random(9), 2, 128, 1.0);
        HadamardOp h = GpuTestSupport.op(HadamardOp.class, PrecisionMode.FP8);
        TensorF64 back = h.apply(h.apply(x));
        // each transform within gamma_(log2 n + 2) |x| per element (|x| the row's 2-norm); the second also carries the
        // first's error vector, whose 2-norm is at most sqrt(n) times that
        for (int r = 0; r < 2; r++) {
            double norm = 0;
            for (int c = 0; c < 128; c++) norm += x.at(r, c) * x.at(r, c);
            double tol = (2 + Math.sqrt(128)) * KernelTolerances.fp32(7 + 2) * Math.sqrt(norm);
            for (int c = 0; c < 128; c++) assertEquals(x.at(r, c), back.at(r, c), tol, "row " + r + " element " + c);
        }
    }

    @Test
    void hadamardRejectsLengthsThatAreNotPowersOfTwo() {
        HadamardOp h = GpuTestSupport.op(HadamardOp.class, PrecisionMode.FP8);
        assertThrows(IllegalArgumentException.class, () -> h.apply(TensorF64.zeros(1, 96)));
    }
}
