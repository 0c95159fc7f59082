package org.dsv32.conformance.golden;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dsv32.spec.checkpoint.CheckpointLayout;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.DType;
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

/**
 * The weights of a golden case as {@link Weight} views, looked up by their Hugging Face names (spec/SEMANTICS.md
 * §11) in the case file and its shared weights file. A projection is FP8 exactly when its
 * {@code *.weight_scale_inv} sibling is present: then its codes must be F8_E4M3 [N][K] and the scale F32
 * [ceil(N/128)][ceil(K/128)] (the config's block size); otherwise a dense bf16/fp16/fp32/fp64 tensor. Shapes are
 * checked against the case's configuration where the contract fixes them; problems are CORRUPTED. Not thread-safe.
 */
public final class CaseWeights {
    /** Where the tensors come from: a case file (with its weights file), or tensors in memory. */
    public interface Source {
        boolean has(String name);

        TensorData raw(String name) throws GoldenException;

        /** Names the source in errors. */
        Path file();

        ModelConfig config();
    }

    private final Source c;
    private final ModelConfig config;

    public CaseWeights(Source c) {
        this.c = c;
        this.config = c.config();
    }

    /** Tensors in memory (the generator builds the reference's weights from what it is about to write). */
    public static Source inMemory(List<TensorData> tensors, ModelConfig config, String what) {
        java.util.Map<String, TensorData> byName = new java.util.LinkedHashMap<>();
        for (TensorData t : tensors) byName.put(t.name(), t);
        Path name = Path.of(what);
        return new Source() {
            @Override public boolean has(String n) { return byName.containsKey(n); }

            @Override public TensorData raw(String n) throws GoldenException {
                TensorData t = byName.get(n);
                if (t == null) throw GoldenException.corrupted(what + ": tensor '" + n + "' is missing");
                return t;
            }

            @Override public Path file() { return name; }

            @Override public ModelConfig config() { return config; }
        };
    }

    /** A projection [rows][cols] (FP8 with block scales, or dense); rows/cols of -1 are not checked. */
    public Weight linear(String name, int rows, int cols) throws GoldenException {
        String scale = CheckpointLayout.scaleOf(name);
        if (!c.has(scale)) return dense(name, rows, cols);
        TensorData codes = c.raw(name), s = c.raw(scale);
        long[] cs = codes.shape();
        if (codes.dtype() != DType.F8_E4M3 || cs.length != 2) {
            throw GoldenException.corrupted(c.file() + ": tensor '" + name + "' has a " + scale + " sibling, so it must be F8_E4M3 [N][K]; found "
                    + codes.dtype() + Arrays.toString(cs));
        }
        checkShape(name, cs, rows, cols);
        int br = config.quantization() == null ? 128 : config.quantization().blockRows();
        int bc = config.quantization() == null ? 128 : config.quantization().blockCols();
        int n = (int) cs[0], k = (int) cs[1];
        long[] want = {Fp8BlockWeight.scaleRows(n, br), Fp8BlockWeight.scaleCols(k, bc)};
        if (s.dtype() != DType.F32 || !Arrays.equals(s.shape(), want)) {
            throw GoldenException.corrupted(c.file() + ": tensor '" + scale + "' must be F32 " + Arrays.toString(want) + " for "
                    + name + " " + Arrays.toString(cs) + " in " + br + "x" + bc + " blocks; found " + s.dtype() + Arrays.toString(s.shape()));
        }
        return new Fp8BlockWeight(name, codes.bytes(), s.bytes(), n, k, br, bc);
    }

    /** A dense 2-D weight, or a 1-D one seen as one row; rows/cols of -1 are not checked. */
    public DenseWeight dense(String name, int rows, int cols) throws GoldenException {
        TensorData t = c.raw(name);
        if (!(t.dtype() == DType.BF16 || t.dtype() == DType.F16 || t.dtype() == DType.F32 || t.dtype() == DType.F64)) {
            throw GoldenException.corrupted(c.file() + ": tensor '" + name + "' is " + t.dtype() + ", expected BF16, F16, F32 or F64");
        }
        long[] s = t.shape();
        if (s.length == 1) {
            if (rows > 1) throw GoldenException.corrupted(c.file() + ": tensor '" + name + "' is 1-D " + Arrays.toString(s) + ", expected [" + rows + "][" + cols + "]");
            checkShape(name, new long[] {1, s[0]}, 1, cols);
            return new DenseWeight(name, t.bytes(), t.dtype(), 1, (int) s[0]);
        }
        if (s.length != 2) throw GoldenException.corrupted(c.file() + ": tensor '" + name + "' has rank " + s.length + ", expected 1 or 2");
        checkShape(name, s, rows, cols);
        return new DenseWeight(name, t.bytes(), t.dtype(), (int) s[0], (int) s[1]);
    }

    /** A 1-D weight of length n (norm weights, biases). */
    public DenseWeight vector(String name, int n) throws GoldenException { return dense(name, 1, n); }

    private void checkShape(String name, long[] s, int rows, int cols) throws GoldenException {
        if ((rows >= 0 && s[0] != rows) || (cols >= 0 && s[1] != cols) || s[0] < 1 || s[1] < 1) {
            throw GoldenException.corrupted(c.file() + ": tensor '" + name + "' has shape " + Arrays.toString(s) + ", expected ["
                    + (rows < 0 ? "N" : rows) + ", " + (cols < 0 ? "K" : cols) + "]");
        }
    }

    // ---------------------------------------------------------------- modules, under a name prefix (no trailing dot)

    /** {@code prefix}.gate_proj / up_proj / down_proj of a SwiGLU of input width d (intermediate width free). */
    public MlpWeights mlp(String prefix, int d) throws GoldenException {
        Weight gate = linear(prefix + ".gate_proj.weight", -1, d);
        Weight up = linear(prefix + ".up_proj.weight", gate.rows(), d);
        Weight down = linear(prefix + ".down_proj.weight", d, gate.rows());
        return new MlpWeights(gate, up, down);
    }

    /** The router and correction bias of {@code prefix} (= model.layers.i.mlp) and, when asked, every expert. */
    public MoeWeights moe(String prefix, boolean withExperts) throws GoldenException {
        int d = config.hiddenSize(), e = config.nRoutedExperts();
        Weight router = dense(prefix + ".gate.weight", e, d);
        String biasName = prefix + ".gate.e_score_correction_bias";
        Weight bias = c.has(biasName) ? vector(biasName, e) : null;
        List<MlpWeights> experts = new ArrayList<>();
        MlpWeights shared = null;
        if (withExperts) {
            for (int j = 0; j < e; j++) experts.add(mlp(prefix + ".experts." + j, d));
            if (config.nSharedExperts() > 0) shared = mlp(prefix + ".shared_experts", d);
        }
        return new MoeWeights(router, bias, List.copyOf(experts), shared);
    }

    /** The indexer under {@code prefix} (= model.layers.i.self_attn.indexer). */
    public IndexerWeights indexer(String prefix) throws GoldenException {
        ModelConfig k = config;
        int dim = k.indexHeadDim();
        return new IndexerWeights(linear(prefix + ".wq_b.weight", k.indexNHeads() * dim, k.qLoraRank()),
                linear(prefix + ".wk.weight", dim, k.hiddenSize()),
                vector(prefix + ".k_norm.weight", dim), vector(prefix + ".k_norm.bias", dim),
                dense(prefix + ".weights_proj.weight", k.indexNHeads(), k.hiddenSize()));
    }

    /** MLA attention with its indexer under {@code prefix} (= model.layers.i.self_attn). */
    public AttentionWeights attention(String prefix) throws GoldenException {
        ModelConfig k = config;
        int d = k.hiddenSize(), h = k.numAttentionHeads();
        return new AttentionWeights(
                linear(prefix + ".q_a_proj.weight", k.qLoraRank(), d),
                vector(prefix + ".q_a_layernorm.weight", k.qLoraRank()),
                linear(prefix + ".q_b_proj.weight", h * k.qkHeadDim(), k.qLoraRank()),
                linear(prefix + ".kv_a_proj_with_mqa.weight", k.kvCacheWidth(), d),
                vector(prefix + ".kv_a_layernorm.weight", k.kvLoraRank()),
                linear(prefix + ".kv_b_proj.weight", h * (k.qkNopeHeadDim() + k.vHeadDim()), k.kvLoraRank()),
                linear(prefix + ".o_proj.weight", d, h * k.vHeadDim()),
                indexer(prefix + ".indexer"));
    }

    /** Decoder block {@code i} (model.layers.i.*): dense FFN or MoE as the configuration says for that index. */
    public LayerWeights layer(int i) throws GoldenException {
        String p = "model.layers." + i;
        int d = config.hiddenSize();
        boolean moe = config.isMoeLayer(i);
        return new LayerWeights(i, vector(p + ".input_layernorm.weight", d), vector(p + ".post_attention_layernorm.weight", d),
                attention(p + ".self_attn"), moe ? null : mlp(p + ".mlp", d), moe ? moe(p + ".mlp", true) : null);
    }

    /** The whole checkpoint: embedding, every layer, final norm, LM head, and the MTP layers. */
    public ModelWeights model() throws GoldenException {
        int d = config.hiddenSize(), v = config.vocabSize();
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) layers.add(layer(i));
        List<MtpWeights> mtp = new ArrayList<>();
        for (int k = 0; k < config.numNextnPredictLayers(); k++) {
            int i = CheckpointLayout.firstMtpLayer(config) + k;
            String p = "model.layers." + i + ".";
            String head = p + CheckpointLayout.MTP_HEAD;
            mtp.add(new MtpWeights(vector(p + CheckpointLayout.MTP_ENORM, d), vector(p + CheckpointLayout.MTP_HNORM, d),
                    dense(p + CheckpointLayout.MTP_EH_PROJ, d, 2 * d), layer(i), vector(p + CheckpointLayout.MTP_HEAD_NORM, d),
                    c.has(head) ? dense(head, v, d) : null));
        }
        return new ModelWeights(config, dense(CheckpointLayout.EMBED_TOKENS, v, d), List.copyOf(layers),
                vector(CheckpointLayout.FINAL_NORM, d), dense(CheckpointLayout.LM_HEAD, v, d), List.copyOf(mtp));
    }
}
