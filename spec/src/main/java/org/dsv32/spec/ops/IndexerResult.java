package org.dsv32.spec.ops;

import org.dsv32.spec.tensor.TensorF64;

/**
 * The indexer's output for T query tokens over S = startPos + T keys: {@code scores} [T][S] (−∞ for future keys)
 * and, per query at absolute position t, the selected key indices — only keys s &lt;= t, the top
 * min(index_topk, t + 1) of them by score, in descending score order, ties to the lower index. (The official demo
 * takes min(index_topk, S) over all columns, so early queries may also hold masked future keys that attention
 * ignores; they are left out here, which changes no attention output.)
 */
public record IndexerResult(TensorF64 scores, int[][] selected) {}
