package org.dsv32.conformance.bench;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dsv32.optimized.SimdActQuant;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerCache;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * The DSA lightning indexer scoring one query against {@code keys} keys (spec/SEMANTICS.md §8) in fp8 mode, through
 * {@link IndexerOp#select}: the query's projection, Hadamard and act_quant, its own key, the head weights, the score
 * of every key and the top-k. The cache holds {@code keys - 1} earlier keys (e4m3 codes and scales). Timed calls
 * score successive tokens on one cache, as in decoding, so it grows by one key per call; after
 * {@value MlaDecodeWorkload#REFRESH} a fresh copy is made and one untimed call brings any backend-side copy of it up
 * to date.
 *
 * <p>Work: 2 x the multiply-adds of wq_b, wk and weights_proj, plus 2 heads x dim per key. Bytes: those weights and
 * every key in the FP8 layout (dim codes + one fp32 scale).
 */
public final class IndexerWorkload implements LayerWorkload {
    private final ModelConfig config;
    private final OpContext context;
    private final int keys;
    private final Arena arena = Arena.ofShared();
    private final IndexerWeights weights;
    private final TensorF64 x, qLatent;
    private final byte[][] keyCodes;
    private final float[] keyScales;

    public IndexerWorkload(ModelConfig config, int keys, long seed) {
        if (keys < 2) throw new IllegalArgumentException("indexer needs at least 2 keys, got " + keys);
        this.config = config;
        this.context = new OpContext(config, PrecisionMode.FP8);
        this.keys = keys;
        this.weights = BenchLayers.indexer(arena, config, seed);
        this.x = MlaDecodeWorkload.floats(BenchData.gaussian(config.hiddenSize(), 1, seed + 30), 1, config.hiddenSize());
        this.qLatent = MlaDecodeWorkload.floats(BenchData.gaussian(config.qLoraRank(), 1, seed + 31), 1, config.qLoraRank());
        int dim = config.indexHeadDim(), cached = keys - 1;
        float[] k = BenchData.gaussian(cached * dim, 1, seed + 32);
        byte[] codes = new byte[k.length];
        float[] scales = new float[cached * (dim / SimdActQuant.TILE)];
        SimdActQuant.quantize(k, cached, dim, config.activationScaleFormat(), codes, scales, null);
        keyCodes = new byte[cached][];
        keyScales = new float[cached];
        for (int s = 0; s < cached; s++) {
            keyCodes[s] = java.util.Arrays.copyOfRange(codes, s * dim, (s + 1) * dim);
            keyScales[s] = scales[s * (dim / SimdActQuant.TILE)];
        }
    }

    @Override public String op() { return "indexer"; }

    @Override
    public Map<String, Object> shape() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("keys", keys);
        s.put("topk", Math.min(config.indexTopk(), keys));
        s.put("heads", config.indexNHeads());
        return s;
    }

    @Override
    public double flops() {
        return 2 * (BenchLayers.macs(weights.wqB()) + BenchLayers.macs(weights.wk()) + BenchLayers.macs(weights.weightsProj())
                + (double) config.indexNHeads() * config.indexHeadDim() * keys);
    }

    @Override
    public double bytes() {
        return BenchLayers.bytes(weights.wqB()) + BenchLayers.bytes(weights.wk()) + BenchLayers.bytes(weights.weightsProj())
                + BenchLayers.bytes(weights.kNormWeight()) + BenchLayers.bytes(weights.kNormBias())
                + (double) keys * (config.indexHeadDim() + 4);
    }

    /** A new key cache holding the keys - 1 earlier keys. */
    public LayerCache freshCache() {
        LayerCache c = new LayerCache();
        for (int s = 0; s < keyCodes.length; s++) c.appendIndexKey(keyCodes[s], keyScales[s]);
        return c;
    }

    /** Scores the token x against every key in the cache and its own. */
    public IndexerResult select(IndexerOp op, LayerCache cache) { return op.select(x, qLatent, cache.indexLength(), weights, cache); }

    @Override
    public Optional<Call> call(Backend backend) {
        return backend.operation(IndexerOp.class, context).map(op -> {
            LayerCache[] cache = new LayerCache[1];
            Runnable before = () -> {
                if (cache[0] == null || cache[0].indexLength() >= keys - 1 + MlaDecodeWorkload.REFRESH) {
                    cache[0] = freshCache();
                    select(op, cache[0]);
                }
            };
            return new Call(before, () -> select(op, cache[0]), 1,
                    "one cache scoring on: " + (keys + 1) + " to " + (keys + MlaDecodeWorkload.REFRESH - 1) + " keys");
        });
    }

    private IndexerResult reference;

    /** Compares the score of every key (the selection follows from them, ties aside). */
    @Override
    public double check(Backend referenceBackend, Backend candidate) {
        Optional<IndexerOp> op = candidate.operation(IndexerOp.class, context);
        if (op.isEmpty()) return Double.NaN;
        if (reference == null) reference = select(referenceBackend.require(IndexerOp.class, context), freshCache());
        IndexerResult got = select(op.get(), freshCache());
        return LayerTolerance.check("indexer (" + keys + " keys, scores)", candidate.name(), got.scores().toArray(), reference.scores().toArray());
    }

    @Override
    public void close() { arena.close(); }
}
