package org.dsv32.optimized;

/**
 * The k best of n values by partial selection: one pass over the values keeping the current k best in a binary
 * heap whose root is the worst of them, O(n log k), then the heap sorted (k log k). Ties go to the lower index, so
 * the result is a deterministic function of the values, the same as a stable full sort would give.
 */
final class SimdTopK {
    private SimdTopK() {}

    /** How values compare. */
    enum Order {
        /**
         * {@link Double#compare}: NaN above +inf, -0.0 below 0.0 (the reference indexer sorts with it).
         */
        TOTAL,
        /** Numeric, NaN below everything, -0.0 equal to 0.0 (the reference MoE gate). */
        NAN_LAST
    }

    /**
     * The indices of the {@code k} largest of values[0, n) (k is clamped to n), largest first, ties to the lower
     * index. values is not modified.
     */
    static int[] select(double[] values, int n, int k, Order order) {
        k = Math.min(k, n);
        if (k <= 0) return new int[0];
        int[] heap = new int[k];
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (size < k) {
                heap[size] = i;
                siftUp(heap, size++, values, order);
            } else if (better(i, heap[0], values, order)) {
                heap[0] = i;
                siftDown(heap, size, values, order);
            }
        }
        int[] out = new int[k];
        for (int r = k - 1; r >= 0; r--) { // pop the worst first
            out[r] = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, size, values, order);
        }
        return out;
    }

    /** Whether index a ranks before index b. */
    static boolean better(int a, int b, double[] v, Order order) {
        int c = compare(v[a], v[b], order);
        return c != 0 ? c > 0 : a < b;
    }

    private static int compare(double x, double y, Order order) {
        if (order == Order.TOTAL) return Double.compare(x, y);
        boolean xn = Double.isNaN(x), yn = Double.isNaN(y);
        if (xn || yn) return xn == yn ? 0 : (xn ? -1 : 1);
        return x > y ? 1 : (x < y ? -1 : 0);
    }

    /** Min-heap on "better": the root is the worst kept index. */
    private static void siftUp(int[] h, int i, double[] v, Order order) {
        int x = h[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!better(h[p], x, v, order)) break;
            h[i] = h[p];
            i = p;
        }
        h[i] = x;
    }

    private static void siftDown(int[] h, int size, double[] v, Order order) {
        if (size == 0) return;
        int i = 0, x = h[0];
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && better(h[c], h[c + 1], v, order)) c++;
            if (!better(x, h[c], v, order)) break;
            h[i] = h[c];
            i = c;
        }
        h[i] = x;
    }
}
