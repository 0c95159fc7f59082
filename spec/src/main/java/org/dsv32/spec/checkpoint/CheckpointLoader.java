package org.dsv32.spec.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelConfigReader;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.NonFiniteScan;
import org.dsv32.spec.io.SafetensorsCheckpoint;
import org.dsv32.spec.io.SafetensorsException;
import org.dsv32.spec.io.SafetensorsFile;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.weights.AttentionWeights;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.IndexerWeights;
import org.dsv32.spec.weights.LayerWeights;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.MtpWeights;
import org.dsv32.spec.weights.Weight;

import static org.dsv32.spec.checkpoint.CheckpointLayout.*;

/**
 * Loads a Hugging Face-layout DeepSeek-V3.2 checkpoint (config.json + safetensors, sharded or not) into
 * {@link ModelWeights} whose tensors are views on the memory-mapped files — nothing is copied to the heap.
 *
 * <p>Every tensor the layout of the configuration prescribes is looked up by its Hugging Face name and checked
 * (shape, and dtype class: FP8 codes with an F32 {@code weight_scale_inv} sibling, or a floating-point dense
 * tensor); a missing or mis-shaped tensor is an error naming it and the file. Layers with index
 * {@code >= num_hidden_layers} are the MTP layers; their stored copy of the embedding is not needed (the MTP
 * module shares the main embedding) and {@code shared_head.head} may be absent (the main head is used).
 *
 * <p>Opening takes time linear in the tensor count: the layout is built once per loader and every lookup is a
 * hash lookup (a real 61-layer checkpoint has about 91,000 tensors). Before the layout is built, a config.json
 * prescribing far more tensors than the files hold is refused. Each weight's bytes are scanned once for NaN and
 * infinities unless the caller allows them.
 */
public final class CheckpointLoader implements AutoCloseable {
    private final SafetensorsCheckpoint files;
    private final ModelConfig config;
    /** The layout of the config by name, built once: each tensor is then found in constant time. */
    private final Map<String, TensorSpec> layout;
    private final boolean allowNonFinite;
    private final ModelWeights weights;

    private CheckpointLoader(SafetensorsCheckpoint files, ModelConfig config, boolean allowNonFinite) throws IOException {
        this.files = files;
        this.config = config;
        this.allowNonFinite = allowNonFinite;
        requireEnoughTensors(files, config);
        this.layout = byName(config);
        this.weights = build();
    }

    /**
     * Opens the checkpoint in {@code dir} (which must hold config.json), refusing weights with NaN or infinite
     * values. Close it to unmap the files.
     */
    public static CheckpointLoader open(Path dir) throws IOException { return open(dir, false); }

    /**
     * Opens the checkpoint in {@code dir} (which must hold config.json). Every weight the model uses is scanned for
     * NaN and infinities ({@link NonFiniteScan}: FP8 codes, their block scales, every dense tensor) and the first
     * one found is an error naming the file, the tensor and the element, unless {@code allowNonFinite}. Close it to
     * unmap the files.
     */
    public static CheckpointLoader open(Path dir, boolean allowNonFinite) throws IOException {
        SafetensorsCheckpoint files = SafetensorsCheckpoint.open(dir);
        try {
            Path configJson = files.configFile().orElseThrow(() -> new SafetensorsException(
                    dir, "no config.json beside the safetensors files"));
            return new CheckpointLoader(files, ModelConfigReader.read(configJson), allowNonFinite);
        } catch (IOException | RuntimeException e) {
            files.close();
            throw e;
        }
    }

    /**
     * Refuses, before the layout is built, a config.json that prescribes far more tensors than the files hold
     * (more than twice as many): such a checkpoint cannot load, and listing the layout of a hostile config would
     * take memory out of all proportion to the files. A checkpoint missing a few tensors passes here, so that the
     * lookup by name reports the first missing one.
     */
    private static void requireEnoughTensors(SafetensorsCheckpoint files, ModelConfig config) throws SafetensorsException {
        long prescribed = totals(config).tensors();
        if (prescribed > 2L * files.size() + 16) {
            throw new SafetensorsException(files.root(), String.format(Locale.ROOT,
                    "config.json prescribes %,d tensors (num_hidden_layers %d, n_routed_experts %d, num_nextn_predict_layers %d), "
                            + "but the checkpoint holds only %,d", prescribed, config.numHiddenLayers(), config.nRoutedExperts(),
                    config.numNextnPredictLayers(), files.size()));
        }
    }

    public ModelConfig config() { return config; }

    public ModelWeights weights() { return weights; }

    public SafetensorsCheckpoint files() { return files; }

    @Override
    public void close() { files.close(); }

    private ModelWeights build() throws IOException {
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) layers.add(layer(i));
        List<MtpWeights> mtp = new ArrayList<>();
        for (int k = 0; k < config.numNextnPredictLayers(); k++) {
            int i = firstMtpLayer(config) + k;
            Weight head = files.contains(name(i, MTP_HEAD)) ? dense(name(i, MTP_HEAD)) : null;
            mtp.add(new MtpWeights(dense(name(i, MTP_ENORM)), dense(name(i, MTP_HNORM)), dense(name(i, MTP_EH_PROJ)),
                    layer(i), dense(name(i, MTP_HEAD_NORM)), head));
        }
        return new ModelWeights(config, dense(EMBED_TOKENS), List.copyOf(layers), dense(FINAL_NORM), dense(LM_HEAD), List.copyOf(mtp));
    }

    private LayerWeights layer(int i) throws IOException {
        IndexerWeights indexer = config.indexNHeads() == 0 ? null : new IndexerWeights(
                linear(name(i, INDEXER_WQ_B)), linear(name(i, INDEXER_WK)), dense(name(i, INDEXER_K_NORM_WEIGHT)),
                dense(name(i, INDEXER_K_NORM_BIAS)), dense(name(i, INDEXER_WEIGHTS_PROJ)));
        AttentionWeights attn = new AttentionWeights(linear(name(i, Q_A_PROJ)), dense(name(i, Q_A_NORM)),
                linear(name(i, Q_B_PROJ)), linear(name(i, KV_A_PROJ)), dense(name(i, KV_A_NORM)),
                linear(name(i, KV_B_PROJ)), linear(name(i, O_PROJ)), indexer);
        MlpWeights mlp = null;
        MoeWeights moe = null;
        if (config.isMoeLayer(i)) {
            List<MlpWeights> experts = new ArrayList<>();
            for (int j = 0; j < config.nRoutedExperts(); j++) experts.add(swiglu(expertPrefix(i, j)));
            MlpWeights shared = config.nSharedExperts() > 0 ? swiglu(name(i, SHARED_EXPERTS)) : null;
            moe = new MoeWeights(dense(name(i, ROUTER)), dense(name(i, ROUTER_BIAS)), List.copyOf(experts), shared);
        } else {
            mlp = swiglu(name(i, MLP));
        }
        return new LayerWeights(i, dense(name(i, INPUT_NORM)), dense(name(i, POST_ATTENTION_NORM)), attn, mlp, moe);
    }

    private MlpWeights swiglu(String prefix) throws IOException {
        return new MlpWeights(linear(prefix + GATE_PROJ), linear(prefix + UP_PROJ), linear(prefix + DOWN_PROJ));
    }

    /** A projection: FP8 codes with their block scales when the checkpoint is quantised, else a dense tensor. */
    private Weight linear(String name) throws IOException {
        TensorSpec spec = find(layout, name);
        if (!spec.isFp8()) return dense(name);
        TensorData codes = checked(spec);
        TensorSpec scaleSpec = find(layout, scaleOf(name));
        TensorData scales = checked(scaleSpec);
        if (scales.dtype() != DType.F32) {
            throw new SafetensorsException(files.fileOf(scaleSpec.name()), scaleSpec.name(), "block scales must be F32, found " + scales.dtype());
        }
        var q = config.quantization();
        return new Fp8BlockWeight(name, codes.bytes(), scales.bytes(), (int) spec.dim(0), (int) spec.dim(1), q.blockRows(), q.blockCols());
    }

    private static final Set<DType> DENSE_TYPES = Set.of(DType.BF16, DType.F16, DType.F32, DType.F64);

    /** A bf16 / fp16 / fp32 / fp64 tensor of rank 1 (one row) or 2. */
    private DenseWeight dense(String name) throws IOException {
        TensorSpec spec = find(layout, name);
        TensorData t = checked(spec);
        if (!DENSE_TYPES.contains(t.dtype())) {
            throw new SafetensorsException(files.fileOf(name), name, "expected a bf16/fp16/fp32/fp64 tensor, found " + t.dtype());
        }
        long[] s = spec.shape();
        int rows = s.length == 1 ? 1 : Math.toIntExact(s[0]);
        int cols = Math.toIntExact(s[s.length - 1]);
        return new DenseWeight(name, t.bytes(), t.dtype(), rows, cols);
    }

    /** The tensor named by the spec, after checking presence, shape and (for FP8 codes) dtype. */
    private TensorData checked(TensorSpec spec) throws IOException {
        String name = spec.name();
        if (!files.contains(name)) {
            throw new SafetensorsException(files.root(), name, "missing tensor (expected " + spec.dtype()
                    + Arrays.toString(spec.shape()) + " for this config.json)");
        }
        SafetensorsFile.TensorInfo info = files.info(name);
        if (!Arrays.equals(info.shape(), spec.shape())) {
            throw new SafetensorsException(files.fileOf(name), name, "shape " + Arrays.toString(info.shape()) + ", expected "
                    + Arrays.toString(spec.shape()) + " for this config.json");
        }
        if (spec.isFp8() && info.dtype() != DType.F8_E4M3) {
            throw new SafetensorsException(files.fileOf(name), name, "expected F8_E4M3 codes (the config has quantization_config), found " + info.dtype());
        }
        TensorData t = files.tensor(name);
        if (!allowNonFinite) {
            long bad = NonFiniteScan.firstNonFinite(t);
            if (bad >= 0) {
                throw new SafetensorsException(files.fileOf(name), name, "non-finite weight at "
                        + NonFiniteScan.describe(t.bytes(), t.dtype(), info.shape(), bad)
                        + " (the checkpoint is corrupt; --allow-non-finite loads it anyway)");
            }
        }
        return t;
    }
}
