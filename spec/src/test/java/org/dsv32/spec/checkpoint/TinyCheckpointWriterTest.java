package org.dsv32.spec.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter.Variant;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelConfigReader;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.SafetensorsCheckpoint;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.weights.ScaleFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated tiny checkpoint, read back through the safetensors reader. */
class TinyCheckpointWriterTest {
    private static final ModelConfig TINY = ModelPresets.tiny();
    @TempDir static Path tmp;
    static Path ue8m0, plain, sharded;

    @BeforeAll
    static void writeVariants() throws Exception {
        ue8m0 = tmp.resolve("ue8m0");
        plain = tmp.resolve("plain");
        sharded = tmp.resolve("sharded");
        TinyCheckpointWriter.write(ue8m0, TINY, 7, Variant.UE8M0);
        TinyCheckpointWriter.write(plain, TINY, 7, Variant.PLAIN);
        TinyCheckpointWriter.write(sharded, TINY, 7, Variant.SHARDED);
    }

    @Test
    void sameSeedAndVariantGiveIdenticalBytes() throws Exception {
        Path again = tmp.resolve("again");
        TinyCheckpointWriter.Result r = TinyCheckpointWriter.write(again, TINY, 7, Variant.UE8M0);
        for (String f : List.of("config.json", "model.safetensors")) {
            assertArrayEquals(Files.readAllBytes(ue8m0.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
        }
        assertEquals(2, r.files().size());
        Path other = tmp.resolve("other-seed");
        TinyCheckpointWriter.write(other, TINY, 8, Variant.UE8M0);
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(ue8m0.resolve("model.safetensors")), Files.readAllBytes(other.resolve("model.safetensors"))));
    }

    @Test
    void tensorsMatchTheLayoutAndTheConfigReadsBack() throws Exception {
        for (Path dir : List.of(ue8m0, plain, sharded)) {
            ModelConfig written = ModelConfigReader.read(dir.resolve("config.json"));
            assertEquals(dir == plain ? ScaleFormat.PLAIN : ScaleFormat.UE8M0, written.quantization().scaleFormat());
            assertEquals(TinyCheckpointWriter.configFor(TINY, dir == plain ? Variant.PLAIN : Variant.UE8M0), written);
            try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
                List<TensorSpec> layout = CheckpointLayout.tensors(TINY);
                assertEquals(layout.size(), ck.size());
                for (TensorSpec t : layout) {
                    TensorData d = ck.tensor(t.name());
                    assertEquals(t.dtype(), d.dtype(), t.name());
                    assertArrayEquals(t.shape(), d.shape(), t.name());
                }
                assertEquals("pt", ck.metadata().get("format"));
            }
        }
    }

    @Test
    void shardedHoldsTheSameTensorsAsTheSingleFileWithAScaleInAnotherShard() throws Exception {
        JsonNode index = new ObjectMapper().readTree(sharded.resolve("model.safetensors.index.json").toFile());
        JsonNode map = index.get("weight_map");
        Set<String> shards = new HashSet<>();
        map.elements().forEachRemaining(n -> shards.add(n.asText()));
        assertEquals(Set.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"), shards);
        long total = 0;
        int split = 0;
        try (SafetensorsCheckpoint one = SafetensorsCheckpoint.open(ue8m0); SafetensorsCheckpoint three = SafetensorsCheckpoint.open(sharded)) {
            for (TensorSpec t : CheckpointLayout.tensors(TINY)) {
                TensorData a = one.tensor(t.name()), b = three.tensor(t.name());
                assertEquals(-1L, a.bytes().mismatch(b.bytes()), t.name());
                total += b.bytes().byteSize();
                if (t.isScale() && !three.fileOf(t.name()).equals(three.fileOf(t.name().replace("_scale_inv", "")))) split++;
            }
        }
        assertEquals(total, index.get("metadata").get("total_size").asLong());
        assertTrue(split >= 1, "at least one FP8 weight has its scale in the next shard");
    }

    @Test
    void blockScalesAreUsedAsWrittenAndCodesFillTheRange() throws Exception {
        try (SafetensorsCheckpoint u = SafetensorsCheckpoint.open(ue8m0); SafetensorsCheckpoint p = SafetensorsCheckpoint.open(plain)) {
            for (TensorSpec t : CheckpointLayout.tensors(TINY)) {
                if (!t.isFp8()) continue;
                checkBlocks(u.tensor(t.name()), u.tensor(CheckpointLayout.scaleOf(t.name())), true);
                checkBlocks(p.tensor(t.name()), p.tensor(CheckpointLayout.scaleOf(t.name())), false);
                // both variants quantise the same real weights: their dequantised values agree to e4m3 precision
                double[] a = dequantise(u.tensor(t.name()), u.tensor(CheckpointLayout.scaleOf(t.name())));
                double[] b = dequantise(p.tensor(t.name()), p.tensor(CheckpointLayout.scaleOf(t.name())));
                double diff = 0, norm = 0;
                for (int i = 0; i < a.length; i++) {
                    diff += (a[i] - b[i]) * (a[i] - b[i]);
                    norm += b[i] * b[i];
                }
                assertTrue(Math.sqrt(diff / norm) < 0.08, t.name() + ": variants differ by " + Math.sqrt(diff / norm));
            }
        }
    }

    /** ue8m0: every scale a power of two and every block's largest |code| in [224, 448]; plain: exactly 448. */
    private static void checkBlocks(TensorData codes, TensorData scales, boolean ue8m0) {
        int rows = (int) codes.shape()[0], cols = (int) codes.shape()[1];
        int sc = (int) scales.shape()[1];
        double[] s = scales.toDoubles();
        double[] amax = new double[s.length];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                double q = Math.abs(E4M3.decode(codes.bytes().get(ValueLayout.JAVA_BYTE, (long) r * cols + k)));
                int b = (r / 128) * sc + k / 128;
                amax[b] = Math.max(amax[b], q);
            }
        }
        for (int b = 0; b < s.length; b++) {
            assertTrue(s[b] > 0, codes.name() + " block " + b);
            if (ue8m0) {
                assertEquals(s[b], Math.pow(2, Math.getExponent(s[b])), 0.0, codes.name() + " scale is a power of two");
                assertTrue(amax[b] >= 224 && amax[b] <= 448, codes.name() + " block " + b + " max code " + amax[b]);
            } else {
                assertEquals(448.0, amax[b], codes.name() + " block " + b);
            }
        }
    }

    private static double[] dequantise(TensorData codes, TensorData scales) {
        int cols = (int) codes.shape()[1], sc = (int) scales.shape()[1];
        double[] q = codes.toDoubles(), s = scales.toDoubles();
        for (int i = 0; i < q.length; i++) q[i] *= s[(i / cols / 128) * sc + (i % cols) / 128];
        return q;
    }

    @Test
    void magnitudesKeepActivationsOrderOne() throws Exception {
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(ue8m0)) {
            double[] emb = ck.tensor(CheckpointLayout.EMBED_TOKENS).toDoubles();
            assertEquals(1.0, rms(emb), 0.05, "embedding ~ N(0, 1)");
            double[] norm = ck.tensor("model.layers.1.input_layernorm.weight").toDoubles();
            assertEquals(1.0, mean(norm), 0.02);
            assertTrue(rms(minus(norm, 1)) < 0.1 && rms(minus(norm, 1)) > 0.01, "norm weights: 1 + small noise");
            double[] bias = ck.tensor("model.layers.1.mlp.gate.e_score_correction_bias").toDoubles();
            Set<Double> distinct = new HashSet<>();
            for (double b : bias) {
                assertTrue(Math.abs(b) < 0.1);
                distinct.add(b);
            }
            assertEquals(bias.length, distinct.size(), "no two experts share a bias: biased scores do not tie");
            // a unit-variance input keeps an O(1) output through every projection (gain 1, or 0.5 into the residual)
            SplittableRandom r = new SplittableRandom(3);
            for (String name : List.of("model.layers.0.self_attn.q_b_proj.weight", "model.layers.0.self_attn.kv_b_proj.weight",
                    "model.layers.1.mlp.experts.3.up_proj.weight", "model.layers.0.mlp.down_proj.weight", "model.layers.3.self_attn.o_proj.weight")) {
                double[] w = dequantise(ck.tensor(name), ck.tensor(CheckpointLayout.scaleOf(name)));
                int cols = (int) ck.tensor(name).shape()[1], rows = w.length / cols;
                double[] x = new double[cols];
                for (int i = 0; i < cols; i++) x[i] = r.nextDouble() < 0.5 ? -1 : 1;
                double[] y = new double[rows];
                for (int i = 0; i < rows; i++) for (int k = 0; k < cols; k++) y[i] += w[i * cols + k] * x[k];
                double gain = name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight") ? 0.5 : 1.0;
                assertEquals(gain, rms(y), 0.15 * gain, name);
            }
            // the MTP layer's embedding is the main one; its head is its own
            assertEquals(-1L, ck.tensor(CheckpointLayout.EMBED_TOKENS).bytes().mismatch(ck.tensor("model.layers.3.embed_tokens.weight").bytes()));
            assertNotEquals(-1L, ck.tensor(CheckpointLayout.LM_HEAD).bytes().mismatch(ck.tensor("model.layers.3.shared_head.head.weight").bytes()));
            assertEquals(DType.BF16, ck.tensor("model.layers.3.eh_proj.weight").dtype());
        }
    }

    @Test
    void variantNames() {
        assertEquals(Variant.SHARDED, Variant.parse("sharded"));
        assertEquals("ue8m0", Variant.UE8M0.label());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Variant.parse("fp4"));
    }

    private static double rms(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        return Math.sqrt(s / v.length);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    private static double[] minus(double[] v, double c) {
        double[] o = v.clone();
        for (int i = 0; i < o.length; i++) o[i] -= c;
        return o;
    }
}
