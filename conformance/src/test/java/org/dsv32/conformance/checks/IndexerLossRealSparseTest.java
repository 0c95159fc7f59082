package org.dsv32.conformance.checks;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.Dims;
import org.dsv32.conformance.Margin;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.conformance.mutants.MutantResult;
import org.dsv32.conformance.mutants.MutantRunner;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.ops.IndexerLossOp;
import org.junit.jupiter.api.Test;

/**
 * indexer_loss at {@code --dims real --quick}: a sparse-stage case whose selected sets leave out most of the causal
 * keys (as top-2048 of a long context does), so that a loss taken over every key instead of S_t dies there by at
 * least {@link Margin#TARGET} gates.
 */
class IndexerLossRealSparseTest {
    private static final CheckOptions REAL_QUICK = new CheckOptions(CheckOptions.DEFAULT_SEED, true, Dims.REAL);

    @Test
    void theRealQuickCasesHaveASparseStageThatLeavesOutFourFifthsOfTheKeys() {
        List<IndexerLossCheck.Case> cases = new IndexerLossCheck().realCases(REAL_QUICK);
        IndexerLossCheck.Case sparse = cases.stream().filter(c -> c.selection() != null).findFirst().orElse(null);
        assertNotNull(sparse, "no sparse-stage case among " + cases.stream().map(IndexerLossCheck.Case::name).toList());
        int queries = sparse.q().dim(0), keys = sparse.k().rows();
        for (int t = 0; t < queries; t++) {
            int causal = IndexerLossOp.position(t, queries, keys) + 1;
            long selected = java.util.Arrays.stream(sparse.selection()[t]).filter(s -> s < causal).distinct().count();
            assertTrue(5 * selected <= causal, "query " + t + ": " + selected + " of " + causal + " causal keys selected");
        }
    }

    @Test
    void theSparseLossOverEveryKeyDiesThereByTenGates() {
        MutantRunner runner = new MutantRunner(List.of(new IndexerLossCheck()), new ReferenceBackend(), REAL_QUICK);
        MutantResult r = runner.run(MutantCatalogue.byId("indexer-loss-sparse-over-all-keys"), Progress.NONE);
        assertTrue(r.killed(), r.line());
        assertTrue(r.caseName().startsWith("sparse stage"), r.line());
        assertTrue(r.margin() >= Margin.TARGET, r.line());
    }
}
