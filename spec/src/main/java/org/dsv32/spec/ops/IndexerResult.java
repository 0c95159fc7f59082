package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/**
 * The indexer's output for T query tokens over S = startPos + T keys: {@code scores} [T][S] (−∞ for future keys)
 * and, per query, the selected key indices — the top min(index_topk, S) by score, in descending score order,
 * ties to the lower index.
 */
public record IndexerResult(TensorF64 scores, int[][] selected) {}
