package org.dsv32.conformance.properties;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.weights.ModelWeights;

/**
 * What the chunked-prefill and ragged-batch properties share: one small model (the conformance configuration with
 * index_topk 4, so that sequences of a dozen tokens already make the indexer choose), built once, and every available
 * backend that runs the whole model — the reference included, since these properties state the semantics itself, not
 * agreement with the reference.
 */
final class SequenceFixture {
    private SequenceFixture() {}

    static final ModelConfig CONFIG = ConformanceConfigs.small().withIndexTopk(4);
    static final ModelWeights WEIGHTS = RandomWeights.model(new SplittableRandom(6), CONFIG, CONFIG.activationScaleFormat());

    /** The available backends with a whole model, reference first. */
    static List<Backend> backends() {
        List<Backend> out = new ArrayList<>();
        for (Backend b : Backends.all()) {
            if (b.name().equals("reference") || OperationProperties.implementsOperation(b, ModelOp.class)) out.add(b);
        }
        return out;
    }

    static ModelOp model(Backend b, PrecisionMode mode) { return b.require(ModelOp.class, new OpContext(CONFIG, mode)); }

    static ModelSession open(Backend b, PrecisionMode mode) { return model(b, mode).open(WEIGHTS); }

    /** {@code n} seeded tokens of the vocabulary. */
    static int[] tokens(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(CONFIG.vocabSize());
        return t;
    }
}
