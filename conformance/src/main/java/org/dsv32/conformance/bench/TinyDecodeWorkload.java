package org.dsv32.conformance.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.ModelSession;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.Weight;

/**
 * Decoding with the whole model on the tiny checkpoint ({@code ./dsv32 tiny-checkpoint}'s default, ue8m0): a fresh
 * session, a prefill of {@code prompt} tokens (untimed), then {@code decode} tokens fed one at a time (timed), in fp8
 * mode through {@link ModelOp}. Reports seconds per decoded token.
 */
public final class TinyDecodeWorkload implements AutoCloseable {
    private final Path dir;
    private final CheckpointLoader loader;
    private final ModelWeights weights;
    private final OpContext context;
    private final int[] prompt, decode;

    public TinyDecodeWorkload(int promptTokens, int decodeTokens, long seed) {
        try {
            dir = Files.createTempDirectory("dsv32-bench-tiny");
            TinyCheckpointWriter.write(dir, ModelPresets.tiny(), seed, TinyCheckpointWriter.Variant.UE8M0);
            loader = CheckpointLoader.open(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the tiny checkpoint for the decode benchmark", e);
        }
        weights = loader.weights();
        context = new OpContext(weights.config(), PrecisionMode.FP8);
        java.util.Random r = new java.util.Random(seed);
        int vocab = weights.config().vocabSize();
        prompt = r.ints(promptTokens, 0, vocab).toArray();
        decode = r.ints(decodeTokens, 0, vocab).toArray();
    }

    public ModelConfig config() { return weights.config(); }

    public int decodeTokens() { return decode.length; }

    public int promptTokens() { return prompt.length; }

    /** A decode run on a backend: {@code prepare} opens a session and feeds the prompt, {@code run} decodes. */
    public Optional<LayerWorkload.Call> call(Backend backend) {
        return backend.operation(ModelOp.class, context).map(model -> {
            ModelSession[] s = new ModelSession[1];
            return new LayerWorkload.Call(() -> {
                s[0] = model.open(weights);
                s[0].forward(prompt);
            }, () -> {
                for (int t : decode) s[0].forward(new int[] {t});
            }, 1.0 / decode.length, "");
        });
    }

    /** The logits of the last decoded token on a backend (for comparing backends), or empty. */
    public Optional<double[]> lastLogits(Backend backend) {
        return backend.operation(ModelOp.class, context).map(model -> {
            ModelSession s = model.open(weights);
            s.forward(prompt);
            TensorF64 logits = null;
            for (int t : decode) logits = s.forward(new int[] {t});
            return logits.rowArray(logits.rows() - 1);
        });
    }

    /** About 2 x the weights one decoded token multiplies (top-k experts of average size; the embedding is a lookup). */
    public double flopsPerToken() {
        double macs = 0;
        for (LayerWeights l : weights.layers()) macs += layerElements(l, false);
        return 2 * (macs + elements(weights.lmHead()));
    }

    /** The weight bytes one decoded token reads (same accounting; one embedding row). */
    public double bytesPerToken() {
        double b = 0;
        for (LayerWeights l : weights.layers()) b += layerElements(l, true);
        return b + BenchLayers.bytes(weights.lmHead()) + BenchLayers.bytes(weights.finalNorm())
                + BenchLayers.bytes(weights.embedding()) / weights.embedding().rows();
    }

    private double layerElements(LayerWeights l, boolean bytes) {
        var a = l.attention();
        double s = 0;
        for (Weight w : new Weight[] {a.qA(), a.qB(), a.kvA(), a.kvB(), a.o(), a.indexer().wqB(), a.indexer().wk(), a.indexer().weightsProj()}) {
            s += bytes ? BenchLayers.bytes(w) : elements(w);
        }
        if (l.mlp() != null) return s + mlp(l.mlp(), bytes);
        double experts = 0;
        for (MlpWeights e : l.moe().experts()) experts += mlp(e, bytes);
        s += experts / l.moe().expertCount() * config().numExpertsPerTok();
        s += bytes ? BenchLayers.bytes(l.moe().router()) : elements(l.moe().router());
        return l.moe().shared() == null ? s : s + mlp(l.moe().shared(), bytes);
    }

    private static double mlp(MlpWeights m, boolean bytes) {
        return bytes ? BenchLayers.bytes(m.gate()) + BenchLayers.bytes(m.up()) + BenchLayers.bytes(m.down())
                : elements(m.gate()) + elements(m.up()) + elements(m.down());
    }

    private static double elements(Weight w) { return (double) w.rows() * w.cols(); }

    @Override
    public void close() {
        loader.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing a benchmark for
        }
    }
}
