package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.dsv32.spec.checkpoint.CheckpointLayout;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./dsv32 logits} refuses non-finite weights and outputs, and scripts too large for the heap. */
class LogitsCommandTest {
    @TempDir Path tmp;

    private Path checkpoint() throws IOException {
        Path dir = tmp.resolve("ck");
        TinyCheckpointWriter.write(dir, ModelPresets.tiny(), 1, TinyCheckpointWriter.Variant.UE8M0);
        return dir;
    }

    private Path script(String json) throws IOException {
        Path s = tmp.resolve("script.json");
        Files.writeString(s, json);
        return s;
    }

    /** Overwrites {@code count} elements of a tensor, from element {@code first}, with the little-endian {@code bits}. */
    static void overwrite(Path file, String tensor, long first, int count, byte[] bits) throws IOException {
        long headerLength, begin;
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            headerLength = b.getLong(0);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            begin = f.info(tensor).begin();
        }
        byte[] all = new byte[count * bits.length];
        for (int i = 0; i < count; i++) System.arraycopy(bits, 0, all, i * bits.length, bits.length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(all), 8 + headerLength + begin + first * bits.length);
        }
    }

    private CliRun logits(Path ck, Path script, Path out, String... extra) {
        String[] args = {"logits", "--checkpoint", ck.toString(), "--script", script.toString(), "--out", out.toString()};
        String[] all = Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        return CliRun.of(all);
    }

    @Test
    void aNanNormWeightIsRefusedWithExit2UnlessAllowed() throws IOException {
        Path ck = checkpoint();
        String norm = CheckpointLayout.name(2, CheckpointLayout.INPUT_NORM);
        overwrite(ck.resolve("model.safetensors"), norm, 17, 1, new byte[] {(byte) 0xC0, 0x7F});
        Path s = script("{\"sequences\": [{\"prompt\": [1, 2, 3], \"decode\": [4]}]}");
        Path out = tmp.resolve("out.safetensors");
        CliRun r = logits(ck, s, out);
        assertEquals(2, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("dsv32 logits: " + ck.resolve("model.safetensors") + ": tensor '" + norm
                + "': non-finite weight at element 17 [17]: NaN (BF16 bits 0x7fc0)"), r.err());
        assertFalse(Files.exists(out));

        // allowed, the weights load and the NaN reaches the logits, which the same flag lets through
        CliRun allowed = logits(ck, s, out, "--allow-non-finite");
        assertEquals(0, allowed.exit(), allowed.err());
        assertTrue(Files.exists(out));
        CliRun cmp = CliRun.of("compare", out.toString(), out.toString());
        assertEquals(1, cmp.exit(), "NaN logits never compare as agreement by default: " + cmp.out());
    }

    /**
     * Finite weights whose logits overflow float32 (an LM head of bf16 values near the float maximum): the
     * output check refuses them with exit 1, naming the tensor, and writes nothing.
     */
    @Test
    void nonFiniteLogitsAreRefusedWithExit1AndNothingWritten() throws IOException {
        Path ck = checkpoint();
        int vocab = ModelPresets.tiny().vocabSize(), hidden = ModelPresets.tiny().hiddenSize();
        overwrite(ck.resolve("model.safetensors"), CheckpointLayout.LM_HEAD, 0, vocab * hidden, new byte[] {0x7F, 0x7F});
        Path s = script("{\"sequences\": [{\"prompt\": [5, 6]}]}");
        Path out = tmp.resolve("out.safetensors");
        CliRun r = logits(ck, s, out);
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("dsv32 logits: logits 'seq0.step0' has a non-finite value at element ")
                && r.err().contains("inf (F32 bits 0x") && r.err().contains("nothing written to " + out), r.err());
        assertFalse(Files.exists(out));
        assertEquals(0, logits(ck, s, out, "--allow-non-finite").exit());
        assertTrue(Files.exists(out));
    }

    /** A prompt whose prefill would need more heap than the JVM has is refused before the run, naming it. */
    @Test
    void aScriptTooLargeForTheHeapIsRefusedNamingItsPromptAndTheBytes() throws IOException {
        Path ck = checkpoint();
        int[] prompt = new int[200_000];
        Path s = script("{\"sequences\": [{\"prompt\": " + Arrays.toString(prompt) + "}]}");
        CliRun r = logits(ck, s, tmp.resolve("out.safetensors"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().startsWith("dsv32 logits: " + s + ": sequences[0].prompt: 200000: ")
                && r.err().contains("bytes") && r.err().contains("of heap, more than"), r.err());
    }

    @Test
    void traceIsWrittenBesideTheLogitsWithTheRunsMetadata() throws IOException {
        Path ck = checkpoint(), out = tmp.resolve("logits.safetensors"), trace = tmp.resolve("trace.safetensors");
        CliRun r = logits(ck, script("{\"sequences\": [{\"prompt\": [1, 2, 3], \"decode\": [4]}]}"), out, "--trace", trace.toString());
        assertEquals(0, r.exit(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(trace)) {
            assertEquals("dsv32-trace-v1", f.metadata().get("format"));
            assertEquals("reference", f.metadata().get("backend"));
            assertTrue(f.names().contains("seq0.step1.layer0.indexer.selected"), f.names().toString());
            assertTrue(f.names().stream().noneMatch(n -> n.endsWith("hidden")), "hidden states only with --trace-hidden");
        }
    }

    @Test
    void aBadTraceRequestIsRefusedBeforeAnyWork() throws IOException {
        Path ck = checkpoint(), out = tmp.resolve("logits.safetensors");
        Path s = script("{\"sequences\": [{\"prompt\": [1]}]}");
        CliRun hiddenAlone = logits(ck, s, out, "--trace-hidden");
        assertEquals(2, hiddenAlone.exit());
        assertTrue(hiddenAlone.err().contains("--trace-hidden needs --trace"), hiddenAlone.err());
        CliRun directory = logits(ck, s, out, "--trace", tmp.toString());
        assertEquals(2, directory.exit());
        assertTrue(!Files.exists(out), "nothing is run when the trace path is refused");
    }

    @Test
    void bf16LogitsAreLabelledAndParityWarnsOnAnotherMode() throws IOException {
        Path ck = checkpoint(), out = tmp.resolve("bf16.safetensors");
        Path s = script("{\"sequences\": [{\"prompt\": [1, 2, 3], \"decode\": [4]}]}");
        CliRun r = logits(ck, s, out, "--precision", "bf16", "--backend", "simd");
        org.junit.jupiter.api.Assertions.assertEquals(0, r.exit(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            org.junit.jupiter.api.Assertions.assertEquals("bf16", f.metadata().get("precision"));
        }
        String[] parity = {"parity", "--checkpoint", ck.toString(), "--script", s.toString(), "--theirs", out.toString()};
        CliRun same = CliRun.of(java.util.stream.Stream.concat(java.util.Arrays.stream(parity), java.util.stream.Stream.of("--precision", "bf16")).toArray(String[]::new));
        org.junit.jupiter.api.Assertions.assertEquals(0, same.exit(), same.out() + same.err());
        org.junit.jupiter.api.Assertions.assertFalse(same.err().contains("warning"), same.err());
        CliRun other = CliRun.of(java.util.stream.Stream.concat(java.util.Arrays.stream(parity), java.util.stream.Stream.of("--precision", "fp8")).toArray(String[]::new));
        org.junit.jupiter.api.Assertions.assertTrue(other.err().contains("says precision bf16, ours runs fp8"), other.err());
    }
}
