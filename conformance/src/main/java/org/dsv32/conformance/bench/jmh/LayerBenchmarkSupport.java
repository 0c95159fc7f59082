package org.dsv32.conformance.bench.jmh;

import org.dsv32.conformance.bench.LayerWorkload;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;

/** The setup shared by the layer benchmarks: the backend's call, after checking it against the reference. */
final class LayerBenchmarkSupport {
    private LayerBenchmarkSupport() {}

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
