package org.dsv32.reference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every weight gradient of one block, checked by central finite differences in float64 on a micro model: the
 * training loss L_main + L_MTP for the block's weights, the indexer loss L_I for the indexer's. The decisions
 * (attended keys, experts) of the unperturbed run are forced in the perturbed ones, so that the difference
 * differentiates the same smooth piece the backward does.
 */
class ReferenceTrainStepGradientTest {
    private static final int[] TOKENS = {3, 17, 5, 9, 22, 1, 14, 8, 11, 2};
    private static final double H = 1e-5;

    @ParameterizedTest(name = "layer {0}, {1} stage, MTP {2}")
    @CsvSource({"0, SPARSE, true", "1, SPARSE, true", "1, DENSE, true", "2, SPARSE, true", "0, DENSE, false"})
    void everyGradientOfTheBlockMatchesCentralDifferences(int layer, ReferenceTrainStep.Stage stage, boolean mtp) {
        MicroModel model = new MicroModel(7);
        ReferenceTrainStep step = new ReferenceTrainStep(new OpContext(model.config, PrecisionMode.EXACT), new ReferenceBackend());
        ReferenceTrainStep.Options o = new ReferenceTrainStep.Options(layer, stage, mtp, 0.3);
        ReferenceTrainStep.Result base = step.run(model.weights(), TOKENS, o, null);
        String prefix = "model.layers." + layer + ".";
        Set<String> expected = new TreeSet<>();
        for (String name : model.values.keySet()) {
            if (name.startsWith(prefix) && !name.endsWith("e_score_correction_bias") && !isMtpGlue(name)) expected.add(name);
        }
        assertEquals(expected, new TreeSet<>(base.gradients().all().keySet()), "the block's weights that get a gradient");

        Random rnd = new Random(layer * 31L + stage.ordinal());
        List<String> failures = new ArrayList<>();
        for (String name : expected) {
            TensorF64 g = base.gradients().get(name);
            double scale = 0;
            for (int i = 0; i < g.size(); i++) scale = Math.max(scale, Math.abs(g.getFlat(i)));
            boolean indexer = name.contains(".indexer.");
            for (int sample = 0; sample < 3; sample++) {
                int i = rnd.nextInt(g.size());
                double fd = (loss(step, model, name, i, H, o, base, indexer) - loss(step, model, name, i, -H, o, base, indexer)) / (2 * H);
                if (Math.abs(fd - g.getFlat(i)) > 1e-6 * scale + 1e-9) {
                    failures.add(name + "[" + i + "]: backward " + g.getFlat(i) + ", finite difference " + fd);
                }
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(base.mainLoss() > 0 && (base.mtpLoss() > 0) == mtp && base.indexerLoss() > 0, "losses " + base);
    }

    /** The MTP module's tensors outside its block (enorm, hnorm, eh_proj, shared_head) are not the block's. */
    private static boolean isMtpGlue(String name) {
        return name.contains(".enorm.") || name.contains(".hnorm.") || name.contains(".eh_proj.") || name.contains(".shared_head.");
    }

    private static double loss(ReferenceTrainStep step, MicroModel model, String name, int i, double delta, ReferenceTrainStep.Options o,
                               ReferenceTrainStep.Result base, boolean indexer) {
        ModelWeights w = model.weights(name, i, delta);
        ReferenceTrainStep.Result r = step.run(w, TOKENS, o, base.decisions());
        return indexer ? r.indexerLoss() : r.totalLoss();
    }

    @ParameterizedTest(name = "layer {0}")
    @CsvSource({"0", "1"})
    void theIndexerWeightsGetNoGradientFromTheTrainingLossAndTheBiasNone(int layer) {
        MicroModel model = new MicroModel(11);
        ReferenceTrainStep step = new ReferenceTrainStep(new OpContext(model.config, PrecisionMode.EXACT), new ReferenceBackend());
        ReferenceTrainStep.Options o = new ReferenceTrainStep.Options(layer, ReferenceTrainStep.Stage.SPARSE, true, 0.3);
        ReferenceTrainStep.Result base = step.run(model.weights(), TOKENS, o, null);
        String wk = "model.layers." + layer + ".self_attn.indexer.wk.weight";
        // with the selection forced, the indexer's weights do not touch L_main + L_MTP at all
        assertEquals(base.totalLoss(), step.run(model.weights(wk, 3, 1e-3), TOKENS, o, base.decisions()).totalLoss());
        assertFalse(base.gradients().has("model.layers.1.mlp.gate.e_score_correction_bias"));
    }
}
