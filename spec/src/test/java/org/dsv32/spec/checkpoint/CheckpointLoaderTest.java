package org.dsv32.spec.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelConfigWriter;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.io.SafetensorsCheckpoint;
import org.dsv32.spec.io.SafetensorsException;
import org.dsv32.spec.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointLoaderTest {
    @TempDir Path tmp;

    /**
     * The real model's structure (61 layers, 3 dense, 256 experts in 8 groups, one shared, one MTP layer, FP8 with
     * block scales) at dimensions of 8 to 64, so its 92,425 tensors take 17 MB.
     */
    static ModelConfig realStructureTinyDims(int layers) {
        return new ModelConfig(64, 16, 32, 8, layers, 1, 3, 2, 16, 16, 8, 8, 8,
                256, 8, 8, 4, 1, "sigmoid", "noaux_tc", true, 2.5, 2, 8, 4,
                10000.0, RopeScaling.deepseekV32(), 1e-6, 4096, QuantizationConfig.deepseekV32());
    }

    /**
     * Opening builds the layout once, not once per tensor: the tensor specs built while opening the 61-layer,
     * 256-expert checkpoint are fewer than two per tensor (one layout listed, plus the tensor-count check, which
     * sizes the layout without listing the experts). Rebuilding the layout per lookup built about tensors^2 / 2
     * of them (4 * 10^9 here).
     */
    @Test
    void openingDoesWorkLinearInTheTensorCount() throws IOException {
        ModelConfig c = realStructureTinyDims(61);
        TinyCheckpointWriter.Result written = TinyCheckpointWriter.write(tmp.resolve("ck"), c, 3, TinyCheckpointWriter.Variant.UE8M0);
        assertEquals(92_425, written.tensorCount());
        long before = CheckpointLayout.specsBuiltOnThisThread();
        CheckpointLayout.limitSpecsOnThisThread(2L * written.tensorCount()); // fail fast, not after minutes
        try (CheckpointLoader loader = CheckpointLoader.open(tmp.resolve("ck"))) {
            long built = CheckpointLayout.specsBuiltOnThisThread() - before;
            assertTrue(built < 2L * written.tensorCount(), "built " + built + " tensor specs to open " + written.tensorCount() + " tensors");
            assertEquals(61, loader.weights().layers().size());
            assertEquals(256, loader.weights().layers().get(60).moe().experts().size());
            assertNotNull(loader.weights().mtp().get(0).block().moe().shared());
        } finally {
            CheckpointLayout.limitSpecsOnThisThread(Long.MAX_VALUE);
        }
    }

    /** totals() counts a layout without listing it: it agrees with the listing and builds a few dozen specs. */
    @Test
    void totalsAgreeWithTheListingWithoutBuildingIt() {
        for (ModelConfig c : new ModelConfig[] {realStructureTinyDims(5), ModelPresets.tiny(), ModelPresets.tiny().withQuantization(null)}) {
            long count = 0, bytes = 0, largest = 0;
            for (TensorSpec t : CheckpointLayout.tensors(c)) {
                count++;
                bytes += t.byteSize();
                largest = Math.max(largest, t.elementCount());
            }
            long before = CheckpointLayout.specsBuiltOnThisThread();
            CheckpointLayout.Totals totals = CheckpointLayout.totals(c);
            assertTrue(CheckpointLayout.specsBuiltOnThisThread() - before < 200);
            assertEquals(count, totals.tensors());
            assertEquals(bytes, totals.bytes());
            assertEquals(largest, totals.largestElements());
            assertEquals(bytes, totals.bytesByRole().values().stream().mapToLong(Long::longValue).sum());
        }
    }

    @Test
    void aConfigPrescribingMoreTensorsThanTheFilesHoldIsRefusedBeforeTheLayoutIsBuilt() throws IOException {
        Path dir = tmp.resolve("ck");
        TinyCheckpointWriter.write(dir, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.UE8M0);
        ModelConfig t = ModelPresets.tiny();
        ModelConfig many = new ModelConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize(), t.moeIntermediateSize(), 900, 1,
                1, t.numAttentionHeads(), t.qLoraRank(), t.kvLoraRank(), t.qkNopeHeadDim(), t.qkRopeHeadDim(), t.vHeadDim(), 4096,
                4, 4, 2, 1, "sigmoid", "noaux_tc", true, 2.5, 4, 128, 8, 10000.0, RopeScaling.deepseekV32(), 1e-6, 16384,
                t.quantization());
        ModelConfigWriter.write(many, dir.resolve("config.json"));
        long before = CheckpointLayout.specsBuiltOnThisThread();
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> CheckpointLoader.open(dir));
        assertTrue(CheckpointLayout.specsBuiltOnThisThread() - before < 100_000, "sized, not listed");
        assertTrue(e.getMessage().contains("prescribes 22,") && e.getMessage().contains("n_routed_experts 4096")
                && e.getMessage().contains("holds only 411"), e.getMessage());
    }

    /** Where a tensor's bytes start in its file: after the 8-byte header length and the header. */
    static long dataOffset(Path file, String tensor) throws IOException {
        long headerLength;
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            headerLength = b.getLong(0);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return 8 + headerLength + f.info(tensor).begin();
        }
    }

    /** Overwrites bytes of the file at {@code offset}. */
    static void poke(Path file, long offset, byte... bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    private record Corruption(String tensor, long element, int elementBytes, byte[] bits, String shown) {}

    /**
     * One NaN or infinity in a bf16 norm, an embedding row, an fp32 block scale or an FP8 code (both NaN codes)
     * is refused, naming the file, the tensor, the element and its coordinates; allowed, it loads.
     */
    @Test
    void nonFiniteWeightsAreRefusedNamingFileTensorAndElement() throws IOException {
        String norm = CheckpointLayout.name(1, CheckpointLayout.POST_ATTENTION_NORM);
        String scale = CheckpointLayout.scaleOf(CheckpointLayout.name(0, CheckpointLayout.KV_A_PROJ));
        String fp8 = CheckpointLayout.expertPrefix(2, 15) + CheckpointLayout.DOWN_PROJ;
        Corruption[] cases = {
            new Corruption(norm, 200, 2, new byte[] {(byte) 0xC1, 0x7F}, "element 200 [200]: NaN (BF16 bits 0x7fc1)"),
            new Corruption(CheckpointLayout.EMBED_TOKENS, 3 * 256 + 7, 2, new byte[] {(byte) 0x80, (byte) 0xFF}, "element 775 [3, 7]: -inf (BF16 bits 0xff80)"),
            new Corruption(scale, 1, 4, new byte[] {0, 0, (byte) 0x80, 0x7F}, "element 1 [0, 1]: +inf (F32 bits 0x7f800000)"),
            new Corruption(fp8, 129, 1, new byte[] {0x7F}, "element 129 [1, 1]: NaN (F8_E4M3 bits 0x7f)"),
            new Corruption(fp8, 5, 1, new byte[] {(byte) 0xFF}, "element 5 [0, 5]: NaN (F8_E4M3 bits 0xff)"),
        };
        for (Corruption k : cases) {
            Path dir = tmp.resolve("c" + k.element() + k.tensor().length());
            TinyCheckpointWriter.write(dir, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.SHARDED);
            Path file;
            try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
                file = ck.fileOf(k.tensor());
            }
            poke(file, dataOffset(file, k.tensor()) + k.element() * k.elementBytes(), k.bits());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> CheckpointLoader.open(dir), k.tensor());
            assertEquals(file, e.file());
            assertEquals(k.tensor(), e.tensor());
            assertTrue(e.getMessage().contains(k.shown()) && e.getMessage().contains("--allow-non-finite"), e.getMessage());
            try (CheckpointLoader allowed = CheckpointLoader.open(dir, true)) {
                assertEquals(3, allowed.weights().layers().size());
            }
        }
    }

    @Test
    void aFiniteCheckpointLoadsWithTheCheckOn() throws IOException {
        TinyCheckpointWriter.write(tmp, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.PLAIN);
        try (CheckpointLoader loader = CheckpointLoader.open(tmp)) {
            assertEquals(ModelPresets.tiny().withQuantization(loader.config().quantization()), loader.config());
        }
        assertTrue(Files.isRegularFile(tmp.resolve("model.safetensors")));
    }
}
