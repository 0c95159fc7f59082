package org.dsv32.conformance.bench;

import java.util.Map;
import java.util.Optional;
import org.dsv32.spec.backend.Backend;

/**
 * A layer operation at fixed random inputs and real (or test) dimensions, ready to be timed on any backend through
 * its operation contract, with its work counted and an agreement check against the float64 reference.
 */
public interface LayerWorkload extends AutoCloseable {
    /** One backend's call: an untimed preparation (a fresh cache) and the timed call; {@code scale} multiplies its
     *  time up to the whole operation when it covers only a part, which {@code note} then says. */
    record Call(Runnable before, Runnable run, double scale, String note) {
        public static Call whole(Runnable before, Runnable run) { return new Call(before, run, 1, ""); }
    }

    /** The JSON op name. */
    String op();

    /** The dimensions, in order, for the table and the JSON. */
    Map<String, Object> shape();

    /** Floating-point operations of one call (ModelCost's conventions: a multiply-add is 2). */
    double flops();

    /** Bytes one call reads from weights and caches in the deployed layout. */
    double bytes();

    /** The call on {@code backend}, or empty when the backend does not implement the operation. */
    Optional<Call> call(Backend backend);

    /**
     * The float64 reference's call, possibly on a part of the work (about {@code macs} multiply-adds, when the
     * operation divides that way) with its scale factor.
     */
    default Optional<Call> referenceCall(Backend reference, double macs) { return call(reference); }

    /**
     * Runs {@code candidate} once with the reference's decisions (key selection, routing) and throws
     * {@link IllegalStateException} unless it agrees with the float64 reference within {@link LayerTolerance}.
     * Returns the normwise relative error found (NaN when the candidate lacks the operation).
     */
    double check(Backend reference, Backend candidate);

    @Override
    void close();
}
