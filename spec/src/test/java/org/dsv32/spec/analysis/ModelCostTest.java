package org.dsv32.spec.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.dsv32.spec.checkpoint.CheckpointLayout;
import org.dsv32.spec.checkpoint.Role;
import org.dsv32.spec.checkpoint.TensorSpec;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.SafetensorsCheckpoint;
import org.dsv32.spec.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ModelCost's formulas against counts taken from tensor shapes: those of a generated tiny checkpoint read back
 * from disk, and those of the 671B layout; and its headline figures against the published ones.
 */
class ModelCostTest {
    private static final ModelConfig V32 = ModelPresets.deepseekV32();
    private static final ModelConfig TINY = ModelPresets.tiny();

    /** Component of a tensor, decided from its name alone (independently of the layout's roles). */
    static Role classify(String name) {
        if (name.endsWith("embed_tokens.weight")) return Role.EMBEDDING;
        if (name.equals("lm_head.weight") || name.endsWith("shared_head.head.weight")) return Role.HEAD;
        if (name.endsWith("eh_proj.weight")) return Role.MTP_PROJECTION;
        if (name.contains("norm.")) return Role.NORM; // *_layernorm, k_norm, model.norm, enorm, hnorm, shared_head.norm
        if (name.contains(".indexer.")) return Role.INDEXER;
        if (name.contains(".self_attn.")) return Role.ATTENTION;
        if (name.contains(".mlp.gate.")) return Role.GATE;
        if (name.contains(".mlp.experts.")) return Role.ROUTED_EXPERT;
        if (name.contains(".mlp.shared_experts.")) return Role.SHARED_EXPERT;
        if (name.contains(".mlp.")) return Role.DENSE_FFN;
        throw new AssertionError("unclassified " + name);
    }

    private static boolean isMtp(String name, ModelConfig c) {
        if (!name.startsWith("model.layers.")) return false;
        int layer = Integer.parseInt(name.substring("model.layers.".length(), name.indexOf('.', "model.layers.".length())));
        return layer >= c.numHiddenLayers();
    }

    /** Sums over tensors: parameters by role (main and MTP) and bytes by storage kind. */
    private static final class Counts {
        final Map<Role, Long> main = new EnumMap<>(Role.class), mtp = new EnumMap<>(Role.class);
        long fp8, scales, bf16, f32;

        void add(String name, DType dtype, long elements, ModelConfig c) {
            long bytes = elements * dtype.bytes();
            if (name.endsWith("_scale_inv")) {
                scales += bytes;
                return;
            }
            (isMtp(name, c) ? mtp : main).merge(classify(name), elements, Long::sum);
            switch (dtype) {
                case F8_E4M3 -> fp8 += bytes;
                case BF16 -> bf16 += bytes;
                case F32 -> f32 += bytes;
                default -> throw new AssertionError(name + " " + dtype);
            }
        }

        void check(ModelCost cost) {
            for (Role r : Role.values()) {
                assertEquals(main.getOrDefault(r, 0L), cost.mainBreakdown().get(r), "main " + r);
                assertEquals(mtp.getOrDefault(r, 0L), cost.mtpBreakdown().get(r), "MTP " + r);
            }
            assertEquals(main.values().stream().mapToLong(Long::longValue).sum(), cost.totalParams());
            assertEquals(mtp.values().stream().mapToLong(Long::longValue).sum(), cost.mtpParams());
            ModelCost.Bytes b = cost.checkpointBytes();
            assertEquals(fp8, b.fp8(), "FP8 bytes");
            assertEquals(scales, b.scales(), "scale bytes");
            assertEquals(bf16, b.bf16(), "bf16 bytes");
            assertEquals(f32, b.f32(), "fp32 bytes");
        }
    }

    @Test
    void tinyCheckpointOnDiskMatchesTheFormulas(@TempDir Path dir) throws Exception {
        TinyCheckpointWriter.Result written = TinyCheckpointWriter.write(dir, TINY, 1, TinyCheckpointWriter.Variant.SHARDED);
        Counts counts = new Counts();
        long elements = 0;
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
            for (String name : ck.names()) {
                SafetensorsFile.TensorInfo info = ck.info(name);
                counts.add(name, info.dtype(), info.elementCount(), TINY);
                if (!name.endsWith("_scale_inv")) elements += info.elementCount();
            }
        }
        ModelCost cost = ModelCost.of(TINY);
        assertEquals(elements, cost.totalParams() + cost.mtpParams(), "sum of the file's tensor elements = total + MTP");
        assertEquals(elements, written.parameters());
        counts.check(cost);
        assertEquals(written.tensorBytes(), cost.checkpointBytes().total());
    }

    @Test
    void the671bLayoutShapesMatchTheFormulas() {
        Counts counts = new Counts();
        for (TensorSpec t : CheckpointLayout.tensors(V32)) counts.add(t.name(), t.dtype(), t.elementCount(), V32);
        counts.check(ModelCost.of(V32));
    }

    @Test
    void unquantisedCheckpointsCountEveryLinearAsBf16() {
        ModelConfig bf16 = TINY.withQuantization(null);
        Counts counts = new Counts();
        for (TensorSpec t : CheckpointLayout.tensors(bf16)) counts.add(t.name(), t.dtype(), t.elementCount(), bf16);
        counts.check(ModelCost.of(bf16));
        assertEquals(ModelCost.of(TINY).totalParams(), ModelCost.of(bf16).totalParams(), "scales are bytes, not parameters");
    }

    /**
     * The model card: 671B main + 14B MTP = 685B; 37B activated. DeepSeek-V3's weight notes give 671B total and
     * 36.6B activated (lm_head included, input embedding not) for V3, whose layers equal V3.2's without the indexer;
     * the indexer adds 61 x (1536 x 8192 + 7168 x 128 + 7168 x 64 + 256) = 0.85B to both. So V3.2: 671.0 + 0.85 = 671.9B
     * (within 1.5B of "671B"), 36.6 + 0.85 = 37.5B activated (within 1B of "37B"), and total + MTP within 1B of 685B.
     */
    @Test
    void the671bHeadlineFigures() {
        ModelCost v32 = ModelCost.of(V32);
        assertEquals(671e9, v32.totalParams(), 1.5e9);
        assertEquals(685e9, v32.totalParams() + v32.mtpParams(), 1e9);
        assertEquals(37e9, v32.activeParams(), 1e9);
        assertEquals(v32.activeParams() + 129280L * 7168, v32.activeParamsWithEmbedding());

        ModelCost v3 = ModelCost.of(withoutIndexer(V32));
        long indexer = 61L * (1536L * 64 * 128 + 7168L * 128 + 7168L * 64 + 2 * 128);
        assertEquals(indexer, v32.totalParams() - v3.totalParams());
        assertEquals(indexer, v32.activeParams() - v3.activeParams());
        assertEquals(671e9, v3.totalParams(), 0.5e9, "V3: 671B");
        assertEquals(36.6e9, v3.activeParams(), 0.05e9, "V3: 36.6B activated, lm_head included");
        assertEquals(11.5e9, v3.mtpUniqueParams(), 0.15e9, "V3 notes: 11.5B unique MTP parameters");
        assertEquals(2L * 129280 * 7168, v32.mtpParams() - v32.mtpUniqueParams(), "the MTP copies of embedding and head");
    }

    @Test
    void kvCacheFigures() {
        ModelCost c = ModelCost.of(V32);
        assertEquals(512 + 64, c.kvCacheElementsPerTokenPerLayer());
        assertEquals(128 * (128 + 64) + 128 * 128, c.mhaKvElementsPerTokenPerLayer(), "K: 128 heads x 192, V: 128 heads x 128");
        assertEquals(100.0 * (1 - 576.0 / 40960), c.kvReductionPercent(), 1e-12);
        assertEquals(61 * 576 * 2, c.kvCacheBytesPerTokenBf16());
        assertEquals(512 + 4 * 4 + 64 * 2, c.fp8KvBytesPerTokenPerLayer());
        assertEquals(61 * 656, c.kvCacheBytesPerTokenFp8());
        assertEquals(61 * (128 + 4), c.indexerCacheBytesPerToken());
    }

    @Test
    void attentionWorkAgainstDirectSums() {
        ModelCost c = ModelCost.of(TINY);
        for (long n : new long[] {1, 5, 8, 9, 100}) {
            long dense = 0, sparse = 0;
            for (long t = 1; t <= n; t++) {
                dense += t;
                sparse += Math.min(t, TINY.indexTopk());
            }
            ModelCost.AttentionWork w = c.attention(n);
            assertEquals(dense, w.pairsDense(), "n " + n);
            assertEquals(sparse, w.pairsSparse(), "n " + n);
            assertEquals(dense, w.indexerPairs());
            double mqa = 2.0 * 4 * (2 * 128 + 64), mha = 2.0 * 4 * (128 + 64), idx = 2.0 * 4 * 128;
            assertEquals(3 * dense * mqa, w.flopsDense(), 0);
            assertEquals(3 * sparse * mqa, w.flopsSparse(), 0);
            assertEquals(3 * dense * mha, w.flopsDenseMha(), 0);
            assertEquals(3 * dense * idx, w.indexerFlops(), 0);
        }
        ModelCost.AttentionWork w = ModelCost.of(V32).attention(131072);
        assertEquals(131072L * 131073 / 2, w.pairsDense());
        assertEquals(2048L * 2049 / 2 + (131072L - 2048) * 2048, w.pairsSparse());
        assertEquals(2.0 * 128 * 1088, w.flopsPerPairMqa());
        assertEquals(2.0 * 64 * 128, w.indexerFlopsPerPair());
        assertTrue(w.savingPercent() < w.pairSavingPercent(), "counting the indexer lowers the saving");
        assertTrue(w.savingPercentMha() < w.savingPercent(), "cheaper pairs make the indexer weigh more");
        assertEquals(100 * (1 - (w.flopsSparse() + w.indexerFlops()) / w.flopsDense()), w.savingPercent(), 1e-9);
        // below the top-k, DSA attends to everything and the indexer is pure overhead
        ModelCost.AttentionWork shortCtx = ModelCost.of(V32).attention(1000);
        assertEquals(shortCtx.pairsDense(), shortCtx.pairsSparse());
        assertTrue(shortCtx.savingPercent() < 0);
    }

    @Test
    void flopsAndTrafficPerToken() {
        ModelCost c = ModelCost.of(V32);
        assertEquals(2.0 * c.activeParams(), c.linearFlopsPerToken());
        long n = 131072;
        double attn = 61 * (2048 * c.flopsPerPairMqa() + n * c.indexerFlopsPerPair());
        assertEquals(c.linearFlopsPerToken() + attn, c.decodeFlopsPerToken(n), 1);
        assertEquals(c.linearFlopsPerToken() + 61 * n * c.flopsPerPairMqa(), c.decodeFlopsPerTokenDense(n), 1);
        ModelCost.AttentionWork w = c.attention(n);
        assertEquals(c.linearFlopsPerToken() + (w.flopsSparse() + w.indexerFlops()) / n, c.prefillFlopsPerToken(n), 1);
        ModelCost.DecodeTraffic t = c.decodeTraffic(n);
        assertEquals(61L * (2048 * 656 + n * 132), t.cacheReadBytesSparse());
        assertEquals(61L * n * 656, t.cacheReadBytesDense());
        // the weights a token touches: FP8 matrices at a byte each plus scales, so a little over the FP8 parameter count
        assertTrue(t.weightBytes() > 0.9 * c.activeParams() && t.weightBytes() < 1.2 * c.activeParams(), "" + t.weightBytes());
    }

    private static ModelConfig withoutIndexer(ModelConfig c) {
        return c.toBuilder()
                .indexNHeads(0).indexHeadDim(0).indexTopk(0)
                .build();
    }
}
