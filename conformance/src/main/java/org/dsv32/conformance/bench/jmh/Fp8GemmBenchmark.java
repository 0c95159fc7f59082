package org.dsv32.conformance.bench.jmh;

import org.dsv32.conformance.bench.Fp8GemmWorkload;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.tensor.TensorF64;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * FP8 GEMM y = act_quant(x) W^T with random FP8 block-scaled weights on native memory ({@link Fp8GemmWorkload}):
 * {@code simd} (the optimized path, act_quant included), {@code ejml} (float32 multTransB on the dequantised weight)
 * or, with {@code -p variant=cuda}, another backend through its LinearOp. The setup runs simd and ejml (and the
 * chosen variant) once and fails the trial unless each is within its derived float32 tolerance of the float64
 * reference and simd and ejml agree on every element.
 */
public class Fp8GemmBenchmark extends BenchmarkDefaults {
    @Param({"1", "16", "128"})
    public int m;

    @Param({"2048x7168", "7168x2048", "576x7168", "24576x1536"})
    public String shape;

    @Param({"simd", "ejml"})
    public String variant;

    private Fp8GemmWorkload work;
    private LinearOp other;
    private TensorF64 x;

    @Setup(Level.Trial)
    public void setup() {
        work = Fp8GemmWorkload.create(m, Fp8GemmWorkload.Shape.parse(shape), 1);
        work.check("simd");
        work.check("ejml");
        if (!variant.equals("ejml")) work.releaseEjml();
        if (!variant.equals("simd") && !variant.equals("ejml")) {
            work.check(variant);
            other = work.linear(Backends.byName(variant));
            x = work.xTensor(m);
        }
    }

    @Benchmark
    public Object multiply() {
        switch (variant) {
            case "simd" -> {
                work.runSimd();
                return work.simdOutput();
            }
            case "ejml" -> {
                work.runEjml();
                return work.ejmlOutput();
            }
            default -> {
                return other.apply(x, work.weight);
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() { work.close(); }
}
