package org.dsv32.conformance.checks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dsv32.conformance.ModeTier;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.tolerance.Bf16Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.junit.jupiter.api.Test;

/** The indexer score tolerance the tape judges with inside a block or MTP module. */
class ReplayedTest {
    @Test
    void exactAndFp8KeepTheIndexersOwnScoreToleranceAndBf16WidensItForThePathInsideTheLayer() {
        for (ModelConfig c : new ModelConfig[] {ConformanceConfigs.small(), ModelConfig.deepseekV32()}) {
            long pos = 4096;
            for (ModeTier mt : new ModeTier[] {ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT}) {
                assertEquals(Tolerances.indexer(c, mt.candidateMode(), mt.tier(), pos).scoreRel(), Replayed.indexerScoreRel(c, mt, pos), 0, mt.label());
            }
            ModeTier bf16 = ModeTier.BF16_TIGHT;
            double inLayer = Replayed.indexerScoreRel(c, bf16, pos);
            // at least the indexer check's own bf16 tolerance (its 4 bf16 points), as the layer adds stores upstream
            double alone = Bf16Tolerance.of(Tolerances.indexer(c, bf16.candidateMode(), bf16.tier(), pos), bf16.candidateMode(), c.hiddenSize(), 4, 2, 1.0).scoreRel();
            assertTrue(inLayer >= alone, inLayer + " < " + alone);
            assertTrue(inLayer >= Tolerances.indexer(c, bf16.candidateMode(), bf16.tier(), pos).scoreRel());
        }
    }
}
