package org.dsv32.spec.ops;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.IndexerWeights;

/**
 * The DSA lightning indexer of one layer (spec/SEMANTICS.md §8):
 * I(t, s) = sum_h w_h(t) * 128^-0.5 * ReLU(q_h(t) . k(s)), w_h(t) = (W_w x_t)_h * 64^-0.5, causal, top-k.
 */
public interface IndexerOp extends Operation {
    /**
     * Scores T new tokens at positions startPos.. against every cached key plus their own keys.
     *
     * @param x       the attention input (after the block's input RMSNorm), [T][D]
     * @param qLatent MLA's c_q = RMSNorm_q(W_qa x), [T][q_lora_rank]
     * @param cache   MODIFIED: the T new indexer keys are appended (it must hold exactly startPos keys before)
     */
    IndexerResult select(TensorF64 x, TensorF64 qLatent, int startPos, IndexerWeights w, LayerCache cache);

    /**
     * The indexer of one layer over a ragged batch (spec/SEMANTICS.md §10c): sequence b feeds {@code x.get(b)} at
     * {@code startPos[b]} against its own {@code caches.get(b)}. The result of sequence b equals
     * {@code select(x.get(b), qLatent.get(b), startPos[b], w, caches.get(b))} alone: padding neither scores nor is
     * selected. This default loops over the sequences; the reference overrides it with a padded layout.
     */
    default List<IndexerResult> selectRagged(List<TensorF64> x, List<TensorF64> qLatent, int[] startPos, IndexerWeights w, List<LayerCache> caches) {
        checkRagged(x, qLatent, startPos, caches);
        List<IndexerResult> out = new ArrayList<>();
        for (int b = 0; b < x.size(); b++) out.add(select(x.get(b), qLatent.get(b), startPos[b], w, caches.get(b)));
        return out;
    }

    /** The argument rules of {@link #selectRagged}: {@link RaggedBatch#checkLayerCall} and {@link #checkInputs} per sequence, before any cache changes. */
    static void checkRagged(List<TensorF64> x, List<TensorF64> qLatent, int[] startPos, List<LayerCache> caches) {
        RaggedBatch.checkLayerCall("indexer", x.size(), startPos, caches);
        if (qLatent.size() != x.size()) throw new IllegalArgumentException("indexer: ragged batch of " + x.size() + " x but " + qLatent.size() + " c_q");
        for (int b = 0; b < x.size(); b++) {
            try {
                checkInputs(x.get(b), qLatent.get(b), startPos[b], caches.get(b));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("sequence " + b + " of the ragged batch: " + e.getMessage(), e);
            }
        }
    }

    /** The argument rules every backend applies to {@link #select}, with one wording: one c_q row per token, a cache of exactly startPos keys. */
    static void checkInputs(TensorF64 x, TensorF64 qLatent, int startPos, LayerCache cache) {
        if (qLatent.rows() != x.rows()) {
            throw new IllegalArgumentException("indexer: " + x.rows() + " tokens in x but " + qLatent.rows() + " rows in c_q");
        }
        checkCache(cache, startPos);
    }

    /** The cache must hold exactly the startPos keys before the new tokens. */
    static void checkCache(LayerCache cache, int startPos) {
        if (cache.indexLength() != startPos) {
            throw new IllegalArgumentException("indexer: key cache holds " + cache.indexLength() + " keys, expected startPos " + startPos);
        }
    }
}
