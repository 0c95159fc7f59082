package org.dsv32.spec.checkpoint;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.io.DType;

/**
 * Every tensor of a Hugging Face DeepSeek-V3.2 checkpoint for a configuration, in order (spec/SEMANTICS.md §2
 * and §11): the single source of tensor names for the generator, the loader and the tests.
 *
 * <p>Shapes are as stored: a Linear weight is [out][in]. Every attention projection, the indexer's {@code wq_b} and
 * {@code wk}, the dense FFN and every expert (routed and shared) are FP8 e4m3 codes followed by their
 * {@code weight_scale_inv} sibling, F32 [ceil(out/128)][ceil(in/128)] (the block size of {@code quantization_config});
 * without a quantization config they are BF16 and have no scale. BF16 always: the embedding, the router
 * {@code gate.weight}, the indexer {@code weights_proj}, {@code lm_head}, every norm weight and bias, the MTP
 * {@code eh_proj} [D][2D]. F32: {@code e_score_correction_bias}.
 *
 * <p>Order: {@code model.embed_tokens}, layers 0 .. num_hidden_layers-1, {@code model.norm}, {@code lm_head}, then
 * the MTP layers stored as layers num_hidden_layers .. + num_nextn_predict_layers - 1. Within a layer:
 * input_layernorm, self_attn (q_a_proj, q_a_layernorm, q_b_proj, kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj,
 * o_proj, indexer wq_b, wk, k_norm weight and bias, weights_proj), post_attention_layernorm, then mlp (dense
 * gate/up/down, or gate.weight, gate.e_score_correction_bias, experts 0.., shared_experts). An MTP layer starts with
 * its copy of the embedding ({@code embed_tokens}, present in the published checkpoint although the model shares
 * the main one), enorm, hnorm, eh_proj, then the block, then shared_head.norm and shared_head.head.
 *
 * <p>The shared experts are one SwiGLU of intermediate size moe_intermediate_size * n_shared_experts, as Hugging
 * Face stores them.
 */
public final class CheckpointLayout {
    private CheckpointLayout() {}

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";
    /** Appended to a weight's name ({@code ...weight}) to name its block-scale tensor. */
    public static final String SCALE_SUFFIX = "_scale_inv";

    // Names relative to layerPrefix(i).
    public static final String INPUT_NORM = "input_layernorm.weight";
    public static final String POST_ATTENTION_NORM = "post_attention_layernorm.weight";
    public static final String Q_A_PROJ = "self_attn.q_a_proj.weight";
    public static final String Q_A_NORM = "self_attn.q_a_layernorm.weight";
    public static final String Q_B_PROJ = "self_attn.q_b_proj.weight";
    public static final String KV_A_PROJ = "self_attn.kv_a_proj_with_mqa.weight";
    public static final String KV_A_NORM = "self_attn.kv_a_layernorm.weight";
    public static final String KV_B_PROJ = "self_attn.kv_b_proj.weight";
    public static final String O_PROJ = "self_attn.o_proj.weight";
    public static final String INDEXER_WQ_B = "self_attn.indexer.wq_b.weight";
    public static final String INDEXER_WK = "self_attn.indexer.wk.weight";
    public static final String INDEXER_K_NORM_WEIGHT = "self_attn.indexer.k_norm.weight";
    public static final String INDEXER_K_NORM_BIAS = "self_attn.indexer.k_norm.bias";
    public static final String INDEXER_WEIGHTS_PROJ = "self_attn.indexer.weights_proj.weight";
    public static final String MLP = "mlp.";
    public static final String ROUTER = "mlp.gate.weight";
    public static final String ROUTER_BIAS = "mlp.gate.e_score_correction_bias";
    public static final String SHARED_EXPERTS = "mlp.shared_experts.";
    public static final String GATE_PROJ = "gate_proj.weight";
    public static final String UP_PROJ = "up_proj.weight";
    public static final String DOWN_PROJ = "down_proj.weight";
    public static final String MTP_EMBED_TOKENS = "embed_tokens.weight";
    public static final String MTP_ENORM = "enorm.weight";
    public static final String MTP_HNORM = "hnorm.weight";
    public static final String MTP_EH_PROJ = "eh_proj.weight";
    public static final String MTP_HEAD_NORM = "shared_head.norm.weight";
    public static final String MTP_HEAD = "shared_head.head.weight";

    /** {@code "model.layers.<i>."}. */
    public static String layerPrefix(int layer) { return "model.layers." + layer + "."; }

    /** {@code layerPrefix(layer) + relative}. */
    public static String name(int layer, String relative) { return layerPrefix(layer) + relative; }

    /** {@code "model.layers.<layer>.mlp.experts.<j>."}. */
    public static String expertPrefix(int layer, int expert) { return layerPrefix(layer) + "mlp.experts." + expert + "."; }

    /** The block-scale tensor of an FP8 weight: {@code x.weight -> x.weight_scale_inv}. */
    public static String scaleOf(String weightName) {
        if (!weightName.endsWith(".weight")) throw new IllegalArgumentException("not a weight name: " + weightName);
        return weightName + SCALE_SUFFIX;
    }

    /** Layer index of the first MTP layer ({@code num_hidden_layers}). */
    public static int firstMtpLayer(ModelConfig c) { return c.numHiddenLayers(); }

    /** Every tensor: the main model, then the MTP layers. */
    public static List<TensorSpec> tensors(ModelConfig c) {
        List<TensorSpec> out = new ArrayList<>(mainTensors(c));
        out.addAll(mtpTensors(c));
        return Collections.unmodifiableList(out);
    }

    /** The main model: embedding, the decoder layers, final norm and LM head. */
    public static List<TensorSpec> mainTensors(ModelConfig c) {
        Listing sink = new Listing();
        main(new Builder(c, sink));
        return Collections.unmodifiableList(sink.out);
    }

    /** The MTP layers (empty when {@code num_nextn_predict_layers} is 0). */
    public static List<TensorSpec> mtpTensors(ModelConfig c) {
        Listing sink = new Listing();
        mtp(new Builder(c, sink));
        return Collections.unmodifiableList(sink.out);
    }

    /**
     * How many tensors the layout of {@code c} has and how many bytes they take, by role, computed without listing
     * them: the routed experts of a layer are counted as one expert times {@code n_routed_experts}, so the cost is
     * independent of the expert count (a config claiming 10^8 experts is sized, not enumerated). Sums saturate at
     * {@link Long#MAX_VALUE}.
     */
    public static Totals totals(ModelConfig c) {
        Counting sink = new Counting();
        Builder b = new Builder(c, sink);
        main(b);
        mtp(b);
        return new Totals(sink.tensors, sink.bytes, sink.largestElements, Collections.unmodifiableMap(sink.bytesByRole));
    }

    /**
     * The size of a layout ({@link #totals}): tensor count, bytes of all tensors, the element count of the largest
     * tensor, and bytes by role (every role present, zero where the config has none).
     */
    public record Totals(long tensors, long bytes, long largestElements, Map<Role, Long> bytesByRole) {
        /** The role holding the most bytes. */
        public Role largestRole() {
            return bytesByRole.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        }
    }

    /** The config.json key that multiplies the bytes of a role most directly, for messages about size. */
    public static String sizeKey(Role role) {
        return switch (role) {
            case ROUTED_EXPERT, GATE -> "n_routed_experts";
            case SHARED_EXPERT -> "n_shared_experts";
            case DENSE_FFN -> "intermediate_size";
            case EMBEDDING, HEAD -> "vocab_size";
            case ATTENTION -> "num_attention_heads";
            case INDEXER -> "index_n_heads";
            case NORM, MTP_PROJECTION -> "hidden_size";
        };
    }

    /** The value of {@link #sizeKey}(role) in {@code c}. */
    public static long sizeKeyValue(ModelConfig c, Role role) {
        return switch (role) {
            case ROUTED_EXPERT, GATE -> c.nRoutedExperts();
            case SHARED_EXPERT -> c.nSharedExperts();
            case DENSE_FFN -> c.intermediateSize();
            case EMBEDDING, HEAD -> c.vocabSize();
            case ATTENTION -> c.numAttentionHeads();
            case INDEXER -> c.indexNHeads();
            case NORM, MTP_PROJECTION -> c.hiddenSize();
        };
    }

    /**
     * Tensor specs the layout has built on the calling thread so far: the work counter of the loader's tests
     * (per thread, so tests running beside each other do not disturb each other's counts).
     */
    static long specsBuiltOnThisThread() { return SPECS_BUILT.get()[0]; }

    /**
     * Makes building more than {@code max} further specs on the calling thread throw an IllegalStateException
     * (Long.MAX_VALUE lifts the limit): a test bounding the work of an operation fails at once, rather than after
     * the minutes a quadratic version would take.
     */
    static void limitSpecsOnThisThread(long max) {
        long[] counter = SPECS_BUILT.get();
        counter[1] = max == Long.MAX_VALUE ? max : counter[0] + max;
    }

    /** Per thread: specs built, and the count past which building throws. */
    private static final ThreadLocal<long[]> SPECS_BUILT = ThreadLocal.withInitial(() -> new long[] {0, Long.MAX_VALUE});

    private static void main(Builder b) {
        ModelConfig c = b.c;
        b.dense(EMBED_TOKENS, Role.EMBEDDING, c.vocabSize(), c.hiddenSize());
        for (int i = 0; i < c.numHiddenLayers(); i++) b.block(i);
        b.dense(FINAL_NORM, Role.NORM, c.hiddenSize());
        b.dense(LM_HEAD, Role.HEAD, c.vocabSize(), c.hiddenSize());
    }

    private static void mtp(Builder b) {
        ModelConfig c = b.c;
        int d = c.hiddenSize();
        for (int k = 0; k < c.numNextnPredictLayers(); k++) {
            int i = firstMtpLayer(c) + k;
            b.dense(name(i, MTP_EMBED_TOKENS), Role.EMBEDDING, c.vocabSize(), d);
            b.dense(name(i, MTP_ENORM), Role.NORM, d);
            b.dense(name(i, MTP_HNORM), Role.NORM, d);
            b.dense(name(i, MTP_EH_PROJ), Role.MTP_PROJECTION, d, 2L * d);
            b.block(i);
            b.dense(name(i, MTP_HEAD_NORM), Role.NORM, d);
            b.dense(name(i, MTP_HEAD), Role.HEAD, c.vocabSize(), d);
        }
    }

    /** Every tensor by name, in layout order. Builds the whole layout: build it once and look names up in it. */
    public static Map<String, TensorSpec> byName(ModelConfig c) {
        Map<String, TensorSpec> m = new LinkedHashMap<>();
        for (TensorSpec t : tensors(c)) m.put(t.name(), t);
        return Collections.unmodifiableMap(m);
    }

    /**
     * The tensor named {@code name}, or an exception naming it. Builds the whole layout, so it costs time linear in
     * the tensor count: never call it in a loop over tensors (use {@link #byName} once and {@link #find(Map, String)}).
     */
    public static TensorSpec find(ModelConfig c, String name) {
        return find(byName(c), name);
    }

    /** The tensor named {@code name} in a {@link #byName} map, or an exception naming it. */
    public static TensorSpec find(Map<String, TensorSpec> layout, String name) {
        TensorSpec t = layout.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor '" + name + "' in the DeepSeek-V3.2 layout of this config");
        return t;
    }

    /** Where the builder's tensors go. */
    private interface Sink {
        /** Takes {@code t}, standing for {@code copies} tensors of its dtype, shape and role. */
        void add(TensorSpec t, long copies);

        /** Whether a run of same-shaped tensors may be given as one tensor and a copy count. */
        boolean countsCopies();
    }

    /** Collects every tensor, in order. */
    private static final class Listing implements Sink {
        final List<TensorSpec> out = new ArrayList<>();

        @Override
        public void add(TensorSpec t, long copies) {
            if (copies != 1) throw new IllegalStateException("a listing takes tensors one by one");
            out.add(t);
        }

        @Override public boolean countsCopies() { return false; }
    }

    /** Sums counts and bytes, saturating rather than overflowing. */
    private static final class Counting implements Sink {
        long tensors, bytes, largestElements;
        final Map<Role, Long> bytesByRole = new EnumMap<>(Role.class);

        Counting() { for (Role r : Role.values()) bytesByRole.put(r, 0L); }

        @Override
        public void add(TensorSpec t, long copies) {
            long b = saturatingMultiply(t.byteSize(), copies);
            tensors = saturatingAdd(tensors, copies);
            bytes = saturatingAdd(bytes, b);
            bytesByRole.merge(t.role(), b, Counting::saturatingAdd);
            largestElements = Math.max(largestElements, t.elementCount());
        }

        @Override public boolean countsCopies() { return true; }

        static long saturatingAdd(long a, long b) {
            long s = a + b;
            return s < a ? Long.MAX_VALUE : s;
        }

        static long saturatingMultiply(long a, long b) {
            return Math.multiplyHigh(a, b) != 0 || a * b < 0 ? Long.MAX_VALUE : a * b;
        }
    }

    private static final class Builder {
        final ModelConfig c;
        final QuantizationConfig q;
        final Sink sink;
        final long[] built = SPECS_BUILT.get();
        /** How many tensors each spec added now stands for (the routed experts when the sink counts copies). */
        long copies = 1;

        Builder(ModelConfig c, Sink sink) {
            this.c = c;
            this.q = c.quantization();
            this.sink = sink;
        }

        void add(TensorSpec t) {
            if (++built[0] > built[1]) throw new IllegalStateException("more tensor specs built on this thread than the limit a test set");
            sink.add(t, copies);
        }

        void dense(String name, Role role, long... shape) { add(new TensorSpec(name, DType.BF16, shape, role)); }

        /** A projection [rows][cols]: FP8 plus its scale when the model is quantised, else bf16. */
        void linear(String name, Role role, long rows, long cols) {
            if (q == null) {
                dense(name, role, rows, cols);
                return;
            }
            add(new TensorSpec(name, DType.F8_E4M3, new long[] {rows, cols}, role));
            add(new TensorSpec(scaleOf(name), DType.F32,
                    new long[] {ceilDiv(rows, q.blockRows()), ceilDiv(cols, q.blockCols())}, role));
        }

        void swiglu(String prefix, Role role, long inner) {
            long d = c.hiddenSize();
            linear(prefix + GATE_PROJ, role, inner, d);
            linear(prefix + UP_PROJ, role, inner, d);
            linear(prefix + DOWN_PROJ, role, d, inner);
        }

        void block(int i) {
            long d = c.hiddenSize(), h = c.numAttentionHeads();
            dense(name(i, INPUT_NORM), Role.NORM, d);
            linear(name(i, Q_A_PROJ), Role.ATTENTION, c.qLoraRank(), d);
            dense(name(i, Q_A_NORM), Role.NORM, c.qLoraRank());
            linear(name(i, Q_B_PROJ), Role.ATTENTION, h * c.qkHeadDim(), c.qLoraRank());
            linear(name(i, KV_A_PROJ), Role.ATTENTION, c.kvLoraRank() + c.qkRopeHeadDim(), d);
            dense(name(i, KV_A_NORM), Role.NORM, c.kvLoraRank());
            linear(name(i, KV_B_PROJ), Role.ATTENTION, h * (c.qkNopeHeadDim() + c.vHeadDim()), c.kvLoraRank());
            linear(name(i, O_PROJ), Role.ATTENTION, d, h * c.vHeadDim());
            if (c.indexNHeads() > 0) {
                long ih = c.indexNHeads(), id = c.indexHeadDim();
                linear(name(i, INDEXER_WQ_B), Role.INDEXER, ih * id, c.qLoraRank());
                linear(name(i, INDEXER_WK), Role.INDEXER, id, d);
                dense(name(i, INDEXER_K_NORM_WEIGHT), Role.NORM, id);
                dense(name(i, INDEXER_K_NORM_BIAS), Role.NORM, id);
                dense(name(i, INDEXER_WEIGHTS_PROJ), Role.INDEXER, ih, d);
            }
            dense(name(i, POST_ATTENTION_NORM), Role.NORM, d);
            if (!c.isMoeLayer(i)) {
                swiglu(name(i, MLP), Role.DENSE_FFN, c.intermediateSize());
                return;
            }
            dense(name(i, ROUTER), Role.GATE, c.nRoutedExperts(), d);
            add(new TensorSpec(name(i, ROUTER_BIAS), DType.F32, new long[] {c.nRoutedExperts()}, Role.GATE));
            if (sink.countsCopies()) {
                // every routed expert has the same tensors but for the index in their names
                copies = c.nRoutedExperts();
                swiglu(expertPrefix(i, 0), Role.ROUTED_EXPERT, c.moeIntermediateSize());
                copies = 1;
            } else {
                for (int j = 0; j < c.nRoutedExperts(); j++) swiglu(expertPrefix(i, j), Role.ROUTED_EXPERT, c.moeIntermediateSize());
            }
            if (c.nSharedExperts() > 0) {
                swiglu(name(i, SHARED_EXPERTS), Role.SHARED_EXPERT, (long) c.moeIntermediateSize() * c.nSharedExperts());
            }
        }
    }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }
}
