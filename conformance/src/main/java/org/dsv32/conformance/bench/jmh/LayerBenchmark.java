package org.dsv32.conformance.bench.jmh;

import org.dsv32.conformance.bench.LayerWorkload;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A layer workload timed on {@code backend} (default simd; {@code -p backend=reference} times the float64 reference,
 * slowly). The trial's setup runs the backend once with the reference's decisions and fails unless it agrees with
 * the float64 reference (LayerTolerance); each invocation's untimed preparation refreshes what the workload needs
 * (a fresh cache every 64 decode calls; nothing for MoE).
 */
public abstract class LayerBenchmark extends BenchmarkDefaults {
    @Param({"simd"})
    public String backend;

    private LayerWorkload work;
    private LayerWorkload.Call call;

    /** The workload of this trial, built from the subclass's parameters. */
    protected abstract LayerWorkload workload();

    @Setup(Level.Trial)
    public void setup() {
        work = workload();
        call = checkedCall(work, backend);
    }

    @Setup(Level.Invocation)
    public void prepare() { call.before().run(); }

    @Benchmark
    public void run() { call.run().run(); }

    @TearDown(Level.Trial)
    public void close() { work.close(); }

    /**
     * The call of {@code backend} on {@code work}, after running it once with the reference's decisions and checking
     * it agrees with the float64 reference (the reference itself is not checked against itself). Throws, failing
     * the trial, when the backend lacks the operation or disagrees.
     */
    static LayerWorkload.Call checkedCall(LayerWorkload work, String backend) {
        Backend reference = Backends.byName("reference"), b = Backends.byName(backend);
        if (!b.availability().available()) throw new IllegalStateException(backend + ": " + b.availability());
        LayerWorkload.Call call = work.call(b).orElseThrow(() -> new IllegalStateException(
                "backend '" + backend + "' does not implement " + work.op()));
        if (!backend.equals("reference")) work.check(reference, b);
        return call;
    }
}
