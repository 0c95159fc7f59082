package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dsv32.conformance.checks.RmsNormCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.ops.Operation;
import org.junit.jupiter.api.Test;

/**
 * {@code --dims real}: every operation check has cases at the 671B shapes (except the ones named here, with the
 * reason), those cases are bound to the real configuration, and one of them runs end to end on simd.
 */
class RealDimsCasesTest {
    /** Checks without real-dims cases in this harness, and why. */
    static final Map<Class<? extends Operation>, String> OUT_OF_SCOPE = Map.of(
            ModelOp.class, "a 61-layer model does not fit; the real-shape model checks are mtp_loss and speculative_decoding");

    private static final CheckOptions REAL_QUICK = new CheckOptions(CheckOptions.DEFAULT_SEED, true, Dims.REAL);

    @Test
    void everyCheckButTheDocumentedOnesHasRealCasesAtTheRealShapes() {
        ModelConfig real = ConformanceConfigs.real();
        int checked = 0;
        for (OperationDescriptor<?> d : Operations.ALL) {
            AbstractOperationCheck<?, ?> check = (AbstractOperationCheck<?, ?>) d.check();
            List<? extends AbstractOperationCheck.Case> cases = check.realCases(REAL_QUICK);
            if (OUT_OF_SCOPE.containsKey(d.contract())) {
                // not a silent pass either: the run reports NOT IMPLEMENTED for it (DimsTest)
                assertEquals(null, cases, d.label() + " is documented as out of scope but has real cases: update OUT_OF_SCOPE");
                continue;
            }
            assertNotNull(cases, d.label() + " has no real-dims cases");
            assertFalse(cases.isEmpty(), d.label() + " has an empty list of real-dims cases");
            for (AbstractOperationCheck.Case c : cases) {
                ModelConfig g = c.config();
                String at = d.label() + " / " + c.name();
                // rms_norm binds each norm's width as the hidden size (7168, 1536 or 512); every other dimension is the model's
                List<Integer> widths = d.label().equals("rms_norm") ? List.of(real.hiddenSize(), real.qLoraRank(), real.kvLoraRank())
                        : List.of(real.hiddenSize());
                assertTrue(widths.contains(g.hiddenSize()), at + ": hidden size " + g.hiddenSize());
                assertEquals(real.numAttentionHeads(), g.numAttentionHeads(), at);
                assertEquals(real.qLoraRank(), g.qLoraRank(), at);
                assertEquals(real.kvLoraRank(), g.kvLoraRank(), at);
                assertEquals(real.qkNopeHeadDim(), g.qkNopeHeadDim(), at);
                assertEquals(real.qkRopeHeadDim(), g.qkRopeHeadDim(), at);
                assertEquals(real.vHeadDim(), g.vHeadDim(), at);
                assertEquals(real.nRoutedExperts(), g.nRoutedExperts(), at);
                assertEquals(real.nGroup(), g.nGroup(), at);
                assertEquals(real.topkGroup(), g.topkGroup(), at);
                assertEquals(real.numExpertsPerTok(), g.numExpertsPerTok(), at);
                assertEquals(real.moeIntermediateSize(), g.moeIntermediateSize(), at);
                assertEquals(real.intermediateSize(), g.intermediateSize(), at);
                assertEquals(real.indexNHeads(), g.indexNHeads(), at);
                assertEquals(real.indexHeadDim(), g.indexHeadDim(), at);
                assertEquals(real.indexTopk(), g.indexTopk(), at);
            }
            checked++;
        }
        assertEquals(Operations.ALL.size() - OUT_OF_SCOPE.size(), checked);
    }

    @Test
    void rmsNormAtTheRealWidthsPassesOnSimd() {
        List<CheckResult> results = new RmsNormCheck().run(new SimdBackend(), new ReferenceBackend(), REAL_QUICK, Progress.NONE);
        assertFalse(results.isEmpty());
        for (CheckResult r : results) {
            assertEquals(Status.PASS, r.status(), r.toString());
            assertTrue(r.cases().stream().anyMatch(c -> c.name().startsWith("D=7168")), r.cases().toString());
        }
    }

    @Test
    void theProgressBarFillsWithTheCasesDone() {
        assertEquals("[..........]", AbstractOperationCheck.bar(0, 6));
        assertEquals("[#####.....]", AbstractOperationCheck.bar(3, 6));
        assertEquals("[##########]", AbstractOperationCheck.bar(6, 6));
        assertEquals("[##########]", AbstractOperationCheck.bar(0, 0));
    }
}
