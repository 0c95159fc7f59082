package org.dsv32.conformance.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.dsv32.conformance.bench.LayerWorkload;
import org.dsv32.conformance.bench.IndexerWorkload;
import org.dsv32.spec.config.ModelPresets;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Indexer scoring: one query against 8192 keys at the real dimensions (64 heads x 128, top-k 2048), its
 * projections included, as IndexerOp computes them, in fp8 mode ({@link IndexerWorkload}), on {@code backend}
 * (default simd; {@code -p backend=reference} times the float64 reference, slowly). The trial's setup runs the
 * backend once with the reference's decisions and fails unless it agrees with the float64 reference
 * (LayerTolerance); successive invocations decode on one cache, refreshed (untimed) every 64 tokens.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class IndexerBenchmark {
    @Param({"8192"})
    public int keys;

    @Param({"simd"})
    public String backend;

    private IndexerWorkload work;
    private LayerWorkload.Call call;

    @Setup(Level.Trial)
    public void setup() {
        work = new IndexerWorkload(ModelPresets.deepseekV32(), keys, 1);
        call = LayerBenchmarkSupport.checkedCall(work, backend);
    }

    /** The untimed preparation of each call (a fresh cache every 64 calls; nothing for MoE). */
    @Setup(Level.Invocation)
    public void prepare() { call.before().run(); }

    @Benchmark
    public void run() { call.run().run(); }

    @TearDown(Level.Trial)
    public void close() { work.close(); }
}
