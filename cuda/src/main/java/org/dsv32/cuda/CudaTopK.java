package org.dsv32.cuda;

import java.util.Arrays;

/**
 * The indexer's selection on the CPU, for rows the GPU kernel does not take (more than
 * {@link CudaIndexer#GPU_TOPK_MAX} keys to return): among the first {@code visible} scores of a row, the top
 * min(topk, visible) in descending {@link Double#compare} order (NaN first, -0.0 below 0.0), ties to the lower
 * index — the reference's rule, and the GPU kernel's.
 */
final class CudaTopK {
    private CudaTopK() {}

    /** The selected indices of row scores[offset, offset + visible), best first. scores is not modified. */
    static int[] select(double[] scores, int offset, int visible, int topk) {
        Integer[] order = new Integer[visible];
        for (int s = 0; s < visible; s++) order[s] = s;
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(scores[offset + b], scores[offset + a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int n = Math.max(0, Math.min(topk, visible));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = order[i];
        return out;
    }
}
