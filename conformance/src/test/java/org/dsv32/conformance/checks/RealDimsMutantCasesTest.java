package org.dsv32.conformance.checks;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.Dims;
import org.dsv32.conformance.Margin;
import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.junit.jupiter.api.Test;

/**
 * The quick real-dims cases reach the mutants that act only on particular rows (issue 17, item 3): a chunk of several
 * queries after a cached prefix, a key or latent whose pre-norm variance is near the norm's eps, a ragged batch with
 * padding, a Wgrad whose tile scales are not powers of two. Each such case, run alone in the comparison that judges
 * it, kills its mutant by at least {@link Margin#TARGET} gates, while the unmutated reference and simd pass it.
 */
class RealDimsMutantCasesTest {
    private static final CheckOptions REAL_QUICK = new CheckOptions(CheckOptions.DEFAULT_SEED, true, Dims.REAL);
    private static final Backend REFERENCE = new ReferenceBackend();

    @Test
    void theQuickIndexerCasesHoldAChunkAfterACacheThatKillsTheRowAsPositionMutant() {
        IndexerCheck check = new IndexerCheck();
        IndexerCheck.Case c = find(check.realCases(REAL_QUICK), x -> x.ragged().isEmpty() && x.prefix() > 0
                && Arrays.stream(x.steps()).anyMatch(n -> n > 1), "a chunk of several tokens after a cached prefix");
        killsAndPasses(check, c, ModeTier.EXACT_TIGHT, "indexer-chunk-row-as-position");
    }

    @Test
    void theQuickIndexerCasesHoldAKeyWhoseVarianceIsNearTheKNormEps() {
        IndexerCheck check = new IndexerCheck();
        IndexerCheck.Case c = find(check.realCases(REAL_QUICK), x -> x.name().equals(IndexerCheck.SMALL_ACTIVATIONS), "small activations");
        killsAndPasses(check, c, ModeTier.EXACT_TIGHT, "indexer-key-norm-eps");
    }

    @Test
    void theQuickIndexerCasesHoldARaggedBatchWithPaddingRowsAndSlots() {
        IndexerCheck check = new IndexerCheck();
        IndexerCheck.Case c = find(check.realCases(REAL_QUICK), x -> x.ragged().size() > 1
                && x.ragged().stream().mapToInt(IndexerCheck.Case::prefix).distinct().count() > 1
                && x.ragged().stream().mapToInt(s -> s.steps()[0]).distinct().count() > 1, "a ragged batch of different caches and chunks");
        killsAndPasses(check, c, ModeTier.EXACT_TIGHT, "ragged-padded-keys-visible", "ragged-padded-rows-read");
    }

    @Test
    void theQuickMlaCasesHoldALatentWhoseMeanSquareIsNearTheNormEps() {
        MlaAttentionCheck check = new MlaAttentionCheck();
        MlaAttentionCheck.Case c = find(check.realCases(REAL_QUICK), x -> x.name().equals(MlaAttentionCheck.SMALL_ACTIVATIONS), "small activations");
        killsAndPasses(check, c, ModeTier.EXACT_TIGHT, "mla-norm-eps");
    }

    @Test
    void theQuickFp8BackwardCasesHoldAPlainScalesWgradThatKillsChannelTilesByTenGates() {
        Fp8BackwardCheck check = new Fp8BackwardCheck();
        Fp8BackwardCheck.Case c = find(check.realCases(REAL_QUICK), x -> x.kind() == Fp8BackwardCheck.Kind.WGRAD
                && x.name().startsWith(Fp8BackwardCheck.PLAIN_WGRAD), "a plain-scales wgrad");
        killsAndPasses(check, c, ModeTier.FP8_TIGHT, "wgrad-tiles-along-channels");
    }

    private static <C extends AbstractOperationCheck.Case> C find(List<C> cases, Predicate<C> p, String what) {
        assertNotNull(cases);
        C c = cases.stream().filter(p).findFirst().orElse(null);
        assertNotNull(c, "the quick real-dims cases lack " + what + ": " + cases.stream().map(AbstractOperationCheck.Case::name).toList());
        return c;
    }

    private static <C extends AbstractOperationCheck.Case> void killsAndPasses(AbstractOperationCheck<?, C> check, C c, ModeTier mt, String... mutants) {
        for (Backend correct : List.of(REFERENCE, new SimdBackend())) {
            CaseResult r = check.runOne(c, correct, REFERENCE, mt);
            assertTrue(r.passed(), correct.name() + " fails '" + c.name() + "' " + mt.label() + ": " + r.failures());
        }
        for (String id : mutants) {
            CaseResult r = check.runOne(c, MutantCatalogue.byId(id).backend().get(), REFERENCE, mt);
            assertFalse(r.passed(), id + " survives '" + c.name() + "' " + mt.label());
            assertTrue(r.ratio() >= Margin.TARGET, id + " killed by only " + Margin.format(r.ratio()) + " on '" + c.name() + "': " + r.failures());
        }
    }
}
