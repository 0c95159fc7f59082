package org.dsv32.reference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.metrics.Metrics;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MtpLoss;
import org.dsv32.spec.ops.MtpLossOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ModelWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The training step on the tiny checkpoint (FP8 weights, 128x128 blocks): its forward is the model's (block output,
 * L_main and L_MTP equal the inference path's in both modes), and in fp8 mode its gradients are close to, but not,
 * the exact ones.
 */
class ReferenceTrainStepTinyTest {
    private static final Backend REFERENCE = new ReferenceBackend();
    private static final int[] TOKENS = {5, 77, 301, 12, 400, 9, 250, 33, 128, 64, 7, 199};
    @TempDir static Path dir;
    private static CheckpointLoader ckpt;

    @BeforeAll
    static void load() throws Exception {
        TinyCheckpointWriter.write(dir, ModelPresets.tiny(), 3, TinyCheckpointWriter.Variant.UE8M0);
        ckpt = CheckpointLoader.open(dir);
    }

    @AfterAll
    static void close() throws Exception { ckpt.close(); }

    @ParameterizedTest
    @EnumSource(value = PrecisionMode.class, names = {"EXACT", "FP8"})
    void theBlockForwardIsTheModelsBlock(PrecisionMode mode) {
        OpContext ctx = new OpContext(ckpt.config(), mode);
        ModelWeights w = ckpt.weights();
        TensorF64 x = TensorF64.zeros(TOKENS.length, ckpt.config().hiddenSize());
        for (int t = 0; t < x.rows(); t++) for (int c = 0; c < x.cols(); c++) x.put(t, c, w.embedding().get(TOKENS[t], c));
        for (int layer = 0; layer < 2; layer++) {
            TensorF64 expected = REFERENCE.require(BlockOp.class, ctx).forward(x, 0, w.layers().get(layer), new LayerCache());
            BlockBackward.Tape tape = new BlockBackward(new BackwardSteps(ctx, REFERENCE), REFERENCE).forward(x, w.layers().get(layer), true, null);
            assertTrue(Metrics.calcDiff(expected.toArray(), tape.output().toArray()) < 1e-14, "layer " + layer + " " + mode);
        }
    }

    @ParameterizedTest
    @EnumSource(value = PrecisionMode.class, names = {"EXACT", "FP8"})
    void theLossesAreTheMtpObjectivesOnTheSparseModel(PrecisionMode mode) {
        OpContext ctx = new OpContext(ckpt.config(), mode);
        MtpLoss expected = REFERENCE.require(MtpLossOp.class, ctx).loss(TOKENS, ckpt.weights(), 0.3);
        ReferenceTrainStep.Result r = new ReferenceTrainStep(ctx, REFERENCE)
                .run(ckpt.weights(), TOKENS, new ReferenceTrainStep.Options(1, ReferenceTrainStep.Stage.SPARSE, true, 0.3), null);
        assertEquals(expected.mainLoss(), r.mainLoss(), 1e-12);
        assertEquals(expected.mtpLoss(), r.mtpLoss(), 1e-12);
        assertTrue(r.indexerLoss() > 0);
    }

    @Test
    void theBf16DeploymentTierIsRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ReferenceTrainStep(new OpContext(ckpt.config(), PrecisionMode.BF16), REFERENCE));
        assertTrue(e.getMessage().contains("bf16"), e.getMessage());
    }

    @Test
    void fp8GradientsAreNearTheExactOnesButNotEqual() {
        ReferenceTrainStep.Options o = new ReferenceTrainStep.Options(1, ReferenceTrainStep.Stage.SPARSE, true, 0.3);
        ReferenceTrainStep.Result exact = new ReferenceTrainStep(new OpContext(ckpt.config(), PrecisionMode.EXACT), REFERENCE).run(ckpt.weights(), TOKENS, o, null);
        ReferenceTrainStep.Result fp8 = new ReferenceTrainStep(new OpContext(ckpt.config(), PrecisionMode.FP8), REFERENCE)
                .run(ckpt.weights(), TOKENS, o, exact.decisions());
        assertEquals(exact.gradients().all().keySet(), fp8.gradients().all().keySet());
        for (String name : new String[] {"model.layers.1.self_attn.q_a_proj.weight", "model.layers.1.mlp.gate.weight",
                "model.layers.1.self_attn.indexer.wk.weight", "model.layers.1.mlp.shared_experts.down_proj.weight"}) {
            double[] e = exact.gradients().get(name).toArray(), f = fp8.gradients().get(name).toArray();
            double diff = Metrics.calcDiff(e, f);
            assertTrue(diff > 0 && diff < 0.05, name + ": calc_diff " + diff);
        }
        assertNotEquals(exact.mainLoss(), fp8.mainLoss());
    }
}
