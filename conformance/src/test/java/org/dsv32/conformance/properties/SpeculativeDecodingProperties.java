package org.dsv32.conformance.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.generate.RandomWeights;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.generate.Generation;
import org.dsv32.spec.generate.SpeculativeDecoding;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MtpWeights;
import org.junit.jupiter.api.Test;

/**
 * Speculative decoding with the MTP module never changes the greedy output (spec/SEMANTICS.md §10e): on every
 * backend with a model and an MTP module (the reference included), in both modes, token for token and exactly; its
 * step count is the plain one less the accepted drafts. A draft accepted without verification is caught; weights that
 * make every draft right show the mechanism accepting and saving main steps.
 */
class SpeculativeDecodingProperties {
    private static final ModelConfig C = ConformanceConfigs.small().withIndexTopk(4);

    private static List<Backend> backends() {
        List<Backend> out = new ArrayList<>();
        for (Backend b : OperationProperties.nonReferenceBackends()) {
            if (OperationProperties.implementsOperation(b, ModelOp.class) && OperationProperties.implementsOperation(b, MtpOp.class)) out.add(b);
        }
        out.add(OperationProperties.reference());
        return out;
    }

    @Property(tries = 4, seed = "114")
    void speculationEqualsPlainGreedy(@ForAll @IntRange(min = 1, max = 5) int promptLength, @ForAll @IntRange(min = 1, max = 9) int count,
                                      @ForAll @IntRange(min = 0, max = 1) int fp8, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        ModelWeights w = RandomWeights.model(rng, C, C.activationScaleFormat());
        int[] prompt = rng.ints(promptLength, 0, C.vocabSize()).toArray();
        OpContext ctx = new OpContext(C, fp8 == 1 ? PrecisionMode.FP8 : PrecisionMode.EXACT);
        for (Backend b : backends()) {
            SpeculativeDecoding d = new SpeculativeDecoding(b, ctx);
            Generation plain = d.greedy(w, prompt, count), spec = d.speculative(w, prompt, count);
            assertArrayEquals(plain.tokens(), spec.tokens(), b.name() + " " + ctx.mode().label() + ": speculation changed the greedy output");
            assertStepAccounting(plain, spec, count);
        }
    }

    /** Plain greedy takes count − 1 steps; speculation one per verification (drafts) plus a final single step when one token was left. */
    private static void assertStepAccounting(Generation plain, Generation spec, int count) {
        assertEquals(count - 1, plain.mainSteps());
        assertEquals(plain.mainSteps() - spec.accepted(), spec.mainSteps(), "each accepted draft saves exactly one main step");
        assertTrue(spec.accepted() <= spec.drafts());
        assertEquals(count - 1, spec.drafts() + spec.accepted() + (spec.mainSteps() - spec.drafts()), "tokens after the first: 1 per step + 1 per accepted draft");
    }

    @Test
    void weightsThatMakeEveryDraftRightAreAcceptedAndSaveSteps() {
        // the final norm and the MTP head norm weights at zero make every logit exactly 0 on both paths: greedy picks
        // token 0 (ties to the lower id) and so does every draft — the verification still runs, and confirms them
        ModelWeights w = RandomWeights.model(new SplittableRandom(7), C, C.activationScaleFormat());
        DenseWeight zero = DenseWeight.ofFloats("zero norm", new float[C.hiddenSize()], 1, C.hiddenSize());
        List<MtpWeights> mtp = w.mtp().stream().map(m -> new MtpWeights(m.enorm(), m.hnorm(), m.ehProj(), m.block(), zero, m.head())).toList();
        ModelWeights forced = new ModelWeights(w.config(), w.embedding(), w.layers(), zero, w.lmHead(), mtp);
        for (Backend b : backends()) {
            SpeculativeDecoding d = new SpeculativeDecoding(b, new OpContext(C, PrecisionMode.EXACT));
            Generation plain = d.greedy(forced, new int[] {5, 9, 3}, 9), spec = d.speculative(forced, new int[] {5, 9, 3}, 9);
            assertArrayEquals(plain.tokens(), spec.tokens(), b.name());
            assertEquals(4, spec.drafts(), b.name() + ": 8 tokens after the first, two per step");
            assertEquals(4, spec.accepted(), b.name());
            assertEquals(4, spec.mainSteps(), b.name() + ": half of plain greedy's 8 steps");
        }
    }

    @Test
    void aDraftAcceptedWithoutVerificationChangesTheOutput() {
        SplittableRandom rng = new SplittableRandom(11);
        ModelWeights w = RandomWeights.model(rng, C, C.activationScaleFormat());
        int[] prompt = rng.ints(4, 0, C.vocabSize()).toArray();
        OpContext ctx = new OpContext(C, PrecisionMode.EXACT);
        Backend ref = OperationProperties.reference();
        SpeculativeDecoding unverified = new SpeculativeDecoding(ref, ctx) {
            @Override protected boolean accepts(int draft, int verified) { return true; }
        };
        Generation plain = new SpeculativeDecoding(ref, ctx).greedy(w, prompt, 8), bad = unverified.speculative(w, prompt, 8);
        assertFalse(Arrays.equals(plain.tokens(), bad.tokens()), "a random MTP module's drafts, all accepted, must change the output");
    }
}
