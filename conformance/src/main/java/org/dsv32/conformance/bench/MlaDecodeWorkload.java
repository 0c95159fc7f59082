package org.dsv32.conformance.bench;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dsv32.optimized.SimdActQuant;
import org.dsv32.spec.analysis.ModelCost;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.AttentionResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.AttentionWeights;

/**
 * One decode step of MLA attention with DSA (spec/SEMANTICS.md §7 and §8) in fp8 mode: a single token at position
 * {@code cached} against a cache of {@code cached} earlier tokens (the real model: 4096, top-k 2048 at the real head
 * dimensions), through {@link MlaAttentionOp#forward}: the q/kv projections, the indexer over every cached key, the
 * absorbed attention over the selected keys and the output projection. Timed calls decode successive tokens on one
 * cache, as a real decode does (a backend may keep its own copy of the cache in step, which a fresh cache per call
 * would rebuild inside the timing): the cache holds {@code cached} to {@code cached + }{@value #REFRESH}{@code  - 1}
 * tokens; after that a fresh copy is made and one untimed call brings it (and any backend-side copy) up to date.
 *
 * <p>Work: 2 x the multiply-adds of q_a, q_b, kv_a, o and the indexer's projections; 2 H rank (nope + v) for the
 * absorption of kv_b; 2 H (2 rank + rope) per attended key; 2 indexer heads x dim per scored key. Bytes: every weight
 * (kv_b is read whole) plus, in the FP8 layout, the attended cache entries and every indexer key.
 */
public final class MlaDecodeWorkload implements LayerWorkload, TorchLayer {
    private final ModelConfig config;
    private final OpContext context;
    private final int cached;
    private final Arena arena = Arena.ofShared();
    private final AttentionWeights weights;
    private final TensorF64 x;
    private final double[][] latents, ropeKeys;
    private final byte[][] keyCodes;
    private final float[] keyScales;

    public MlaDecodeWorkload(ModelConfig config, int cached, long seed) {
        if (cached < 1) throw new IllegalArgumentException("mla_decode needs at least one cached token, got " + cached);
        this.config = config;
        this.context = new OpContext(config, PrecisionMode.FP8);
        this.cached = cached;
        this.weights = BenchLayers.attention(arena, config, seed);
        this.x = floats(BenchData.gaussian(config.hiddenSize(), 1, seed + 20), 1, config.hiddenSize());
        int rank = config.kvLoraRank(), rope = config.qkRopeHeadDim(), dim = config.indexHeadDim();
        // the cache as the fp8 model leaves it: the latent round-tripped through act_quant, the index keys as codes + scale
        float[] lat = BenchData.gaussian(cached * rank, 1, seed + 21);
        byte[] codes = new byte[lat.length];
        float[] scales = new float[cached * (rank / SimdActQuant.TILE)], values = new float[lat.length];
        SimdActQuant.quantize(lat, cached, rank, config.activationScaleFormat(), codes, scales, values);
        float[] pe = BenchData.gaussian(cached * rope, 1, seed + 22);
        float[] keys = BenchData.gaussian(cached * dim, 1, seed + 23);
        byte[] kc = new byte[keys.length];
        float[] ks = new float[cached * (dim / SimdActQuant.TILE)];
        SimdActQuant.quantize(keys, cached, dim, config.activationScaleFormat(), kc, ks, null);
        latents = new double[cached][rank];
        ropeKeys = new double[cached][rope];
        keyCodes = new byte[cached][];
        keyScales = new float[cached];
        for (int s = 0; s < cached; s++) {
            for (int c = 0; c < rank; c++) latents[s][c] = (double) values[s * rank + c] * scales[(s * rank + c) / SimdActQuant.TILE];
            for (int d = 0; d < rope; d++) ropeKeys[s][d] = pe[s * rope + d];
            keyCodes[s] = java.util.Arrays.copyOfRange(kc, s * dim, (s + 1) * dim);
            keyScales[s] = ks[s * (dim / SimdActQuant.TILE)];
        }
    }

    @Override public String op() { return "mla_decode"; }

    @Override
    public Map<String, Object> shape() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("cached", cached);
        s.put("topk", Math.min(config.indexTopk(), cached + 1));
        s.put("heads", config.numAttentionHeads());
        return s;
    }

    @Override
    public double flops() {
        ModelConfig c = config;
        int keys = cached + 1, attended = Math.min(c.indexTopk(), keys), h = c.numAttentionHeads();
        double macs = BenchLayers.macs(weights.qA()) + BenchLayers.macs(weights.qB()) + BenchLayers.macs(weights.kvA())
                + BenchLayers.macs(weights.o()) + BenchLayers.macs(weights.indexer().wqB())
                + BenchLayers.macs(weights.indexer().wk()) + BenchLayers.macs(weights.indexer().weightsProj())
                + (double) h * c.kvLoraRank() * (c.qkNopeHeadDim() + c.vHeadDim())
                + (double) h * attended * (2.0 * c.kvLoraRank() + c.qkRopeHeadDim())
                + (double) c.indexNHeads() * c.indexHeadDim() * keys;
        return 2 * macs;
    }

    @Override
    public double bytes() {
        AttentionWeights w = weights;
        ModelCost cost = ModelCost.of(config);
        int keys = cached + 1, attended = Math.min(config.indexTopk(), keys);
        double b = 0;
        for (var wt : List.of(w.qA(), w.qANorm(), w.qB(), w.kvA(), w.kvANorm(), w.kvB(), w.o(), w.indexer().wqB(),
                w.indexer().wk(), w.indexer().kNormWeight(), w.indexer().kNormBias(), w.indexer().weightsProj())) {
            b += BenchLayers.bytes(wt);
        }
        return b + (double) attended * cost.fp8KvBytesPerTokenPerLayer()
                + (double) keys * cost.indexerCacheBytesPerToken() / config.numHiddenLayers();
    }

    /** A new cache holding the {@code cached} tokens. */
    public LayerCache freshCache() {
        LayerCache c = new LayerCache();
        for (int s = 0; s < cached; s++) {
            c.appendLatent(latents[s], ropeKeys[s]);
            c.appendIndexKey(keyCodes[s], keyScales[s]);
        }
        return c;
    }

    /** Tokens a cache may grow by before the timed calls start again from a fresh one. */
    static final int REFRESH = 64;

    /** Decodes the token x at the cache's next position. */
    public AttentionResult forward(MlaAttentionOp op, LayerCache cache, int[][] forced) {
        return op.forward(x, cache.length(), weights, cache, forced);
    }

    @Override
    public Optional<Call> call(Backend backend) {
        return backend.operation(MlaAttentionOp.class, context).map(op -> {
            LayerCache[] cache = new LayerCache[1];
            Runnable before = () -> {
                if (cache[0] == null || cache[0].length() >= cached + REFRESH) {
                    cache[0] = freshCache();
                    forward(op, cache[0], null);
                }
            };
            return new Call(before, () -> forward(op, cache[0], null), 1,
                    "one cache decoding on: " + (cached + 1) + " to " + (cached + REFRESH - 1) + " cached");
        });
    }

    private AttentionResult reference;

    @Override
    public double check(Backend referenceBackend, Backend candidate) {
        Optional<MlaAttentionOp> op = candidate.operation(MlaAttentionOp.class, context);
        if (op.isEmpty()) return Double.NaN;
        if (reference == null) reference = forward(referenceBackend.require(MlaAttentionOp.class, context), freshCache(), null);
        AttentionResult got = forward(op.get(), freshCache(), reference.indexer().selected());
        return LayerTolerance.check("mla_decode (" + cached + " cached, the reference's selection)", candidate.name(),
                got.output().toArray(), reference.output().toArray());
    }

    /**
     * PyTorch's form (bench_torch.py {@code MlaDecode}): the absorbed decode step on weights dequantised to the dtype,
     * the indexer not run but its selection given (the float64 reference's, in exact mode: PyTorch has no act_quant),
     * so the attention covers the same keys; the RoPE angles of the position are given as cos and sin. Its work is
     * this row's less the indexer's projections and scores.
     */
    @Override
    public TorchLayer.Case torchCase(java.nio.file.Path input, Backend referenceBackend) {
        ModelConfig c = config;
        OpContext exact = new OpContext(c, PrecisionMode.EXACT);
        AttentionResult r = forward(referenceBackend.require(MlaAttentionOp.class, exact), freshCache(), null);
        int[] selection = r.indexer().selected()[0];
        int rank = c.kvLoraRank(), rope = c.qkRopeHeadDim(), h = c.numAttentionHeads();
        double[] lat = new double[cached * rank], pe = new double[cached * rope];
        for (int s = 0; s < cached; s++) {
            System.arraycopy(latents[s], 0, lat, s * rank, rank);
            System.arraycopy(ropeKeys[s], 0, pe, s * rope, rope);
        }
        double[] f = c.ropeFrequencies(), cos = new double[f.length], sin = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            cos[i] = Math.cos(cached * f[i]);
            sin[i] = Math.sin(cached * f[i]);
        }
        AttentionWeights w = weights;
        new TorchLayer.Inputs().floats("x", x.toArray(), 1, c.hiddenSize())
                .weight("q_a", w.qA()).weight("q_a_norm", w.qANorm()).weight("q_b", w.qB()).weight("kv_a", w.kvA())
                .weight("kv_a_norm", w.kvANorm()).weight("kv_b", w.kvB()).weight("o", w.o())
                .floats("latents", lat, cached, rank).floats("k_pe", pe, cached, rope).ints("selection", selection, selection.length)
                .floats("cos", cos, cos.length).floats("sin", sin, sin.length)
                .meta("heads", h).meta("nope", c.qkNopeHeadDim()).meta("rope", rope).meta("v", c.vHeadDim()).meta("rank", rank)
                .meta("eps", c.rmsNormEps()).meta("softmax_scale", c.softmaxScale())
                .write(input);
        double macs = BenchLayers.macs(w.qA()) + BenchLayers.macs(w.qB()) + BenchLayers.macs(w.kvA()) + BenchLayers.macs(w.o())
                + (double) h * rank * (c.qkNopeHeadDim() + c.vHeadDim()) + (double) h * selection.length * (2.0 * rank + rope);
        double elements = macs(w.qA()) + macs(w.qB()) + macs(w.kvA()) + macs(w.kvB()) + macs(w.o()) + rank + c.qLoraRank()
                + (double) selection.length * (rank + rope);
        return new TorchLayer.Case("mla_decode", r.output().toArray(), "mla_decode (" + cached + " cached, the reference's selection, exact mode)",
                2 * macs, elements, "absorbed MLA decode through torch ops (matmul, bmm, softmax in float32), " + selection.length
                        + " keys of the float64 reference's selection given: the indexer is not run (its work is not counted)");
    }

    private static double macs(org.dsv32.spec.weights.Weight w) { return BenchLayers.macs(w); }

    static TensorF64 floats(float[] f, int rows, int cols) {
        double[] d = new double[f.length];
        for (int i = 0; i < d.length; i++) d[i] = f[i];
        return TensorF64.wrap(d, rows, cols);
    }

    @Override
    public void close() { arena.close(); }
}
