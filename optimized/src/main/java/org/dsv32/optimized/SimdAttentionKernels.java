package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;

/**
 * Vector kernels of the layer operations (attention, indexer) for one vector width: obtain with {@link #current()}.
 * Dot products accumulate per lane with FMA, reduce the lanes once in a fixed tree order (never reduceLanes, whose
 * order differs between the interpreter and compiled code), then add a scalar FMA tail; so a result depends on the
 * vector width (the lane split) but never on the thread count or on the JIT's progress. The kernels whose lanes run
 * across outputs instead ({@link #axpy}, {@link #axpyRows}, {@link #gatherSums}, {@link #indexScores}) give the same
 * bits at every width: each lane performs the scalar sequence.
 */
interface SimdAttentionKernels {
    static SimdAttentionKernels current() { return Slot.KERNELS.get(); }

    /** Holds the remembered instance ({@link SimdKernelSlot}). */
    final class Slot {
        private Slot() {}

        static final SimdKernelSlot<SimdAttentionKernels> KERNELS = new SimdKernelSlot<>(SimdAttentionKernels.class, SimdAttentionKernelsTemplate.class);
    }

    /** The vector width these kernels were compiled for (0: scalar). */
    int bits();

    /** sum a_i b_i over n floats. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** y_i = fma(alpha, x_i, y_i) (y is MODIFIED). */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * {@code rows} axpys in a row, y_i = fma(alpha_r, x_{r,i}, y_i) for r ascending, x_r at xOff + r * xStride (y is
     * MODIFIED): bitwise the same as calling {@link #axpy} for each r in order, with y held in registers across the
     * rows instead of being reloaded and stored for each.
     */
    void axpyRows(float[] alpha, int aOff, int rows, float[] x, int xOff, int xStride, float[] y, int yOff, int n);

    /**
     * out[outOff + r] = {@link #dot}(a, aOff + r * aStride, b, bOff, n) for r in [0, rows): bitwise the same as the
     * separate calls, several rows sharing each load of b.
     */
    void dots(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff);

    /**
     * The float {@link #dots} of the same a rows against two b rows, b at bOff and bOff2: out[outOff + r] against the
     * first, out[outOff2 + r] against the second; bitwise the separate {@link #dot}s, each load of an a row shared
     * by both (the absorbed MLA's q~ rows against two cached latents: eight independent FMA chains, where one b row
     * gives four).
     */
    void dots2(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int bOff2, int n, float[] out, int outOff, int outOff2);

    /**
     * Weighted sums of gathered rows: for r in [0, rows) and i in [0, n),
     * {@code y[yOff + r * yStride + i] = fma chain over j = 0 .. m-1 ascending of p[pOff + r * pStride + j] * x[xOff + idx[idxOff + j] * xStride + i]},
     * starting from y's value when {@code accumulate}, else from +0 (y is MODIFIED): bitwise the same as calling
     * {@link #axpy}(p_rj, x, idx[idxOff + j] * xStride, y_r, ...) for j ascending (after zeroing y's rows unless
     * accumulating), with the rows' sums held in registers across the m gathered x rows (the absorbed MLA's o~ = sum_j
     * p_j c_kv(s_j) of four heads at once, each latent loaded once for the four). A chain split into consecutive
     * calls, the later ones accumulating, gives the same bits as one call.
     */
    void gatherSums(float[] p, int pOff, int pStride, int rows, int[] idx, int idxOff, int m, float[] x, int xOff, int xStride,
                    float[] y, int yOff, int yStride, int n, boolean accumulate);

    /**
     * Whether {@link #axpyRowsFp8} and {@link #dotsFp8} run in vector registers at this width for weight blocks of
     * {@code blockCols} columns (else they are correct but scalar: a caller should read a float32 copy instead).
     */
    boolean fp8Rows(int blockCols);

    /**
     * y[yOff + i] = the FMA chain from +0 over r ascending of alpha[aOff + r] * w_{r,i}, i in [0, n) (y is
     * OVERWRITTEN), where w_{r,i} = fp32(decodeE4M3(code) * scale) with the code of row r, column i the byte at
     * {@code cOff + r * cStride + i} of {@code codes} and its scale {@code rs[rsOff + r * scols + i / bc]}:
     * bitwise {@link #axpyRows} from a zeroed y over the rows dequantised to float32 ({@link SimdDequant}), for codes
     * without the e4m3 NaN (S.1111.111), which it does not decode as NaN. The absorbed MLA's q~ = W_uk^T q_nope read
     * from kv_b's bytes instead of a four times larger float32 copy.
     */
    void axpyRowsFp8(float[] alpha, int aOff, int rows, MemorySegment codes, long cOff, long cStride, float[] rs, int rsOff, int scols,
                     int bc, float[] y, int yOff, int n);

    /**
     * {@link #dotsRuns} with the a rows FP8 codes dequantised on the fly, as {@link #axpyRowsFp8} reads them:
     * bitwise {@link #dotsRuns} on the rows dequantised to float32, for codes without the e4m3 NaN (the absorbed
     * MLA's W_uv o~).
     */
    void dotsFp8(MemorySegment codes, long cOff, long cStride, int rows, float[] rs, int rsOff, int scols, int bc, float[] b, int bOff, int n,
                 float[] out, int outOff);

    /**
     * out[outOff + r] = a row . b, n floats, in the FP8 kernels' order: over each run of 4L columns c (L the lane
     * count), lane l of chain k accumulates a[c + 4l + k] b[c + 4l + k] by FMA, runs ascending; then the chains are
     * added (0 + 1) + (2 + 3) lane-wise, the lanes reduced in the tree order, and the columns past the last whole run
     * added by a scalar FMA tail. (Scalar kernels: the tail alone.) The float32-copy twin of {@link #dotsFp8}.
     */
    void dotsRuns(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff);

    /**
     * Rows of n floats with each row's columns put in the order {@link #dotsRuns} reads them: dst row r (at dstOff + r
     * n) holds, for each whole run of 4L columns c, dst[c + k L + l] = src[c + 4l + k] of src row r (at srcOff + r n),
     * and the columns past the last whole run as they are (scalar kernels: a plain copy). A copy made once, so that
     * {@link #dotsRunOrdered} reads a row with plain vector loads.
     */
    void runOrderRows(float[] src, int srcOff, int rows, int n, float[] dst, int dstOff);

    /** {@link #dotsRuns} bitwise, with the a rows stored as {@link #runOrderRows} writes them (b as it is). */
    void dotsRunOrdered(float[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff);

    /**
     * Rows of n floats (n a multiple of 2L, L the lane count; vector kernels only) whose values are bf16 numbers
     * (low 16 bits zero) packed two to an int: for each pair of L-column vectors from c, dst[c / 2 + l] holds the
     * bits of src[c + l] in its high half and those of src[c + L + l] in its low half; n / 2 ints per row. Half the
     * bytes of the floats, and one AND or one shift gives a vector of them back exactly ({@link #axpyRowsPacked},
     * {@link #dotsRunPacked}). The absorbed MLA's kv_b when its values are bf16 numbers (ue8m0 scales: an e4m3 value
     * times a power of two).
     */
    void packBf16Pairs(float[] src, int srcOff, int rows, int n, int[] dst, int dstOff);

    /** {@link #axpyRows} bitwise, with the x rows as {@link #packBf16Pairs} writes them (xOff, xStride in ints; n a multiple of 2L). */
    void axpyRowsPacked(float[] alpha, int aOff, int rows, int[] x, int xOff, int xStride, float[] y, int yOff, int n);

    /**
     * {@link #dotsRunOrdered} bitwise, with the a rows (in run order) as {@link #packBf16Pairs} writes them (aOff,
     * aStride in ints; n a multiple of 4L).
     */
    void dotsRunPacked(int[] a, int aOff, int aStride, int rows, float[] b, int bOff, int n, float[] out, int outOff);

    /**
     * Rows gathered as columns: dst[dstOff + c * width + j] = src[rowStarts[rowsOff + j] + c] for j in [0, n), c in
     * [0, dims) (a copy: no arithmetic). The attended keys transposed for {@link #keyLaneScores}.
     */
    void gatherColumns(float[] src, int[] rowStarts, int rowsOff, int n, int dims, float[] dst, int dstOff, int width);

    /**
     * Scores with the keys in vector lanes: out[outOff + r * outStride + j] = (the FMA chain from +0 over c = 0 ..
     * dims-1 ascending of kt[c * width + j] * q[qOff + r * qStride + c]) * scale, for rows r in [0, rows) and keys j
     * in [0, keys); kt holds the keys transposed (dim c of key j at c * width + j). No lane reduction: the same bits
     * at every width and for any grouping of rows or keys. The absorbed MLA's scores, [q~ | q_pe] . [c_kv | k_pe]
     * as one chain, eight heads by 2L keys per pass (each key vector loaded once for eight heads).
     */
    void keyLaneScores(float[] q, int qOff, int qStride, int rows, float[] kt, int width, int keys, int dims, float scale,
                       float[] out, int outOff, int outStride);

    /**
     * In place on x[off, off + n): p_j = e_j / sum, e_j = exp(x_j - max) in float32 by a fixed polynomial (about one
     * ulp; the same bits at every width, interpreted or compiled: never Math.exp's intrinsic or the Vector API's
     * exp), the sum over j ascending, max subtracted first. The attention's softmax (both MLA forms).
     */
    void softmax(float[] x, int off, int n);

    /** x_i *= s (x is MODIFIED). */
    void scale(float[] x, int off, int n, float s);

    /*
     * Heads in vector lanes (the absorbed MLA at the real dimensions): a matrix of [rows][hp] floats, hp the heads
     * padded to whole groups of headGroup() = four vectors' lanes, stored group by group: element (r, h) at
     * (h / G) * rows * G + r * G + h % G, so that a group's values of one row are one run of four vectors and the
     * kernels step from row to row by a constant. Each lane runs the same scalar chain as keyLaneScores, softmax and
     * gatherSums do per head, so the bits are theirs, at every width and for any grouping.
     */

    /** Heads per group of the head-lane layout: four vectors' lanes (4 when scalar). */
    int headGroup();

    /** Columns per row of the latent slices {@link #headLaneSums} reads: a constant stride. */
    int LANE_SLICE = 32;

    /**
     * Scores with the heads in vector lanes, for the attended keys [sOff, sOff + keys) of m: for each group g of the
     * head-lane layout ({@link #headGroup} G heads), each such key j and head h of the group,
     * {@code out[g m G + j G + h] = (the FMA chain from +0 over c = 0 .. dims1-1 of x1[starts1[j] + c] * qt[g D G + c G + h],
     * continued over c = 0 .. dims2-1 of x2[starts2[j] + c] * qt[g D G + (dims1 + c) G + h]) * scale}, D = dims1 + dims2:
     * qt the queries [D][hp] and out the scores [m][hp] in the head-lane layout, the keys' rows read in place (the
     * absorbed MLA's latent rows, then their k_pe rows). Bitwise {@link #keyLaneScores}' score of the same query row
     * and the key's [x1 | x2] row.
     */
    void headLaneScores(float[] qt, int groups, int dims1, float[] x1, int[] starts1, int dims2, float[] x2, int[] starts2, int sOff, int keys,
                        int m, float scale, float[] out);

    /**
     * {@link #softmax} of each of the L lanes (L: the lanes of a vector, 1 when scalar) over the n rows x[off + r G + l]
     * (a vector's column of the head-lane layout, G = {@link #headGroup}): bitwise the same as softmax of the lane's
     * values copied into a row (the max in any order, the exps one per value, the sum over the rows ascending from +0,
     * each value divided by it).
     */
    void headLaneSoftmax(float[] x, int off, int n);

    /**
     * Weighted sums with the heads in vector lanes: for each group g of the head-lane layout, column i in [0, n) (n
     * at most {@link #LANE_SLICE}) and head h of the group, {@code y[g R G + (yRow + i) G + h] = fma chain over j = 0 ..
     * m-1 ascending of x[xOff + j LANE_SLICE + i] * p[g M G + (pRow + j) G + h]}, from y's value when {@code accumulate}, else
     * from +0 (p the probabilities [M][hp] and y [R][hp] in the head-lane layout, x a slice of m latent rows; y is
     * MODIFIED): bitwise {@link #gatherSums}' sum of head h's probabilities over the same rows; a chain split into
     * consecutive calls, the later ones accumulating, gives the same bits as one call.
     */
    void headLaneSums(float[] p, int groups, int bigM, int pRow, int m, float[] x, int xOff, int n, float[] y, int bigR, int yRow, boolean accumulate);

    /**
     * Keys per tile of the indexer's transposed key layout: key s, dim d of a [keys][dim] set lives at
     * {@code (s / KEY_TILE) * KEY_TILE * dim + d * KEY_TILE + s % KEY_TILE}, so that KEY_TILE keys' values of one
     * dim are contiguous (one 512-bit vector) and vector lanes can run across keys.
     */
    int KEY_TILE = 16;

    /** Where key s, dim d lives in the {@link #KEY_TILE} layout. */
    static int tiled(int s, int d, int dim) { return (s / KEY_TILE) * KEY_TILE * dim + d * KEY_TILE + s % KEY_TILE; }

    /**
     * Heads per group of the indexer's packed query layout: head h, dim d of a [heads][dim] query lives at
     * {@code (h / QUERY_GROUP) * QUERY_GROUP * dim + d * QUERY_GROUP + h % QUERY_GROUP} (groups padded with zero
     * heads), so that the score kernel finds the eight values it broadcasts for one dim side by side: one address
     * register plus constant displacements, and a constant index stride the JIT's range-check elimination accepts.
     */
    int QUERY_GROUP = 8;

    /** Where head h, dim d lives in the {@link #QUERY_GROUP} layout. */
    static int packed(int h, int d, int dim) { return (h / QUERY_GROUP) * QUERY_GROUP * dim + d * QUERY_GROUP + h % QUERY_GROUP; }

    /** q [heads][dim] from qOff in the {@link #QUERY_GROUP} layout (a new array, padded heads zero). */
    static float[] packQuery(float[] q, int qOff, int heads, int dim) {
        float[] p = new float[(heads + QUERY_GROUP - 1) / QUERY_GROUP * QUERY_GROUP * dim];
        packHeads(q, qOff, 0, heads, dim, p);
        return p;
    }

    /** Heads [h0, h1) of a query, [h1 - h0][dim] from q[qOff], into their places of packed ({@link #QUERY_GROUP} layout). */
    static void packHeads(float[] q, int qOff, int h0, int h1, int dim, float[] packed) {
        for (int h = h0; h < h1; h++) for (int d = 0; d < dim; d++) packed[packed(h, d, dim)] = q[qOff + (h - h0) * dim + d];
    }

    /**
     * The lightning indexer's head-weighted scores of keys [key0, key0 + n) for one query, before the key's scale:
     * <pre>
     *   dot_h(s) = fma chain over d = 0 .. dim-1 ascending of q_h[d] * k_s[d], from +0
     *   out[outOff + s - key0] = fma chain over h = 0 .. heads-1 ascending of w[wOff + h] * max(dot_h(s), 0), from +0
     * </pre>
     * all in float32, q in the {@link #QUERY_GROUP} layout from qOff ({@link #packQuery}), keys in the
     * {@link #KEY_TILE} layout of {@code keys} (native-order floats, fastest 64-byte aligned; key0 a multiple of KEY_TILE; the
     * layout must hold the keys from key0 up to n rounded up to 32: lanes past n read there and are dropped). Vector lanes
     * run across keys, each lane doing exactly the scalar sequence above: the result is the same bits at every vector
     * width and for any split of the keys. For e4m3 code values every product is exact in float32, only the sums
     * round.
     */
    void indexScores(java.lang.foreign.MemorySegment keys, int key0, int n, int dim, float[] q, int qOff, int heads, float[] w, int wOff, float[] out, int outOff);
}
