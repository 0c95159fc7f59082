// The DSA lightning indexer's score and its top-k selection (fact sheet, section 8; the float64 definition is
// ReferenceIndexer, whose fp8-mode arithmetic this follows step by step). For query t (absolute position
// startPos + t), H heads of D dims, key s:
//
//   fp8 mode    I(t,s) = ks(s) * sum_h w_h(t) * ReLU( qcode_h(t) . kcode(s) )     w_h = e_h * qs_h   (folded)
//   exact mode  I(t,s) =         sum_h w_h(t) * ReLU( q_h(t) . k(s) )             w_h = e_h
//   I(t,s) = -inf for s > startPos + t (causal)
//
// with e_h = (W_w x_t)_h * H^-1/2 * D^-1/2 and qs_h, ks(s) the act_quant scales (computed by the host and the other
// kernels). Where it rounds:
// - fp8 mode: the code dot products are EXACT. Every e4m3 value times 2^9 is an integer of at most 18 bits
//   (448 * 2^9 = 229376), so a product is an integer below 2^36 and 128 of them sum to below 2^43: an int64
//   accumulator holds the dot product exactly, and it converts to float64 exactly (scaled by 2^-18). An fp32
//   accumulator would not be exact (a tile spans about 2^17 between its largest and smallest code values), and the
//   tensor core's fp32 accumulation is not exact either. So the fp8-mode dots equal the float64 reference's.
// - exact mode: fp32 values (the host rounds the float64 q and the cached keys once), the dot an fp32 fma chain in
//   ascending dimension order.
// - the head combination in float64: each head's w_h (fp32, widened) times ReLU(dot), rounded products added per
//   lane (heads lane, lane + 32) and then over the 32 lanes in a fixed butterfly; finally times ks(s) (fp8). The
//   reference adds the heads in ascending order, so the sums can differ in the last float64 bit; equal inputs give
//   equal scores (the order is fixed per key), so exact ties stay ties.
// ReLU follows Java's Math.max(dot, 0): NaN stays NaN, -0 becomes +0. A NaN code (only made from a NaN input, whose
// scale is NaN too) is read as 480; the scale makes the score NaN anyway.
//
// Selection (dsv32_topk_rows): per query, among keys s <= startPos + t only, the top n = min(topk, visible) by
// score in descending order, ties to the lower key index, scores compared as Java's Double.compare does (NaN above
// +inf, -0.0 below +0.0): exactly the reference's sort, so equal scores give equal selections.
#include "dsv32_common.cuh"

#define IDX_THREADS 256
#define IDX_WARPS (IDX_THREADS / 32)
#define IDX_TILE_KEYS (2 * IDX_WARPS)   // each warp scores two keys of a tile at once
#define IDX_BLOCK_KEYS 256              // keys per block: the query is staged once per 256 keys
#define IDX_MAX_HEADS 64                // two heads per lane

// e4m3 code -> its value times 2^9, an exact integer: subnormal m * 2^-9, normal (8 + m) * 2^(e - 10).
__device__ __forceinline__ int e4m3_times512(uint32_t code) {
    int e = (code >> 3) & 0xF, m = code & 7;
    int mag = e == 0 ? m : (8 | m) << (e - 1);
    return (code & 0x80u) ? -mag : mag;
}

// The two element types: codes as exact integers with an int64 accumulator, or fp32 values with an fp32 one.
struct Fp8Elems {
    typedef int V;
    typedef long long Acc;
    typedef uint8_t Stored;
    static __device__ __forceinline__ V load(const uint8_t* p, long i) { return e4m3_times512(p[i]); }
    static __device__ __forceinline__ Acc mac(V a, V b, Acc acc) { return acc + (long long)a * b; }
    static __device__ __forceinline__ double value(Acc acc) { return __dmul_rn(__ll2double_rn(acc), 0x1p-18); }
};

struct F32Elems {
    typedef float V;
    typedef float Acc;
    typedef float Stored;
    static __device__ __forceinline__ V load(const float* p, long i) { return p[i]; }
    static __device__ __forceinline__ Acc mac(V a, V b, Acc acc) { return __fmaf_rn(a, b, acc); }
    static __device__ __forceinline__ double value(Acc acc) { return (double)acc; }
};

// Java's Math.max(x, 0.0): NaN stays NaN, -0.0 and negatives give +0.0.
__device__ __forceinline__ double relu_java(double x) { return (x > 0.0 || isnan(x)) ? x : 0.0; }

__device__ __forceinline__ double warp_sum_f64(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = __dadd_rn(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Mapping: grid (ceil(S / 256), T), 256 threads. The block stages query t's H x D elements in shared memory (row h
// rotated by h positions so that 32 lanes reading dimension d of 32 consecutive heads hit 32 distinct banks), then
// walks its 256 keys in tiles of 16 (staged too); warp w scores keys 2w and 2w + 1 of a tile, lane l heads l and
// l + 32. Dynamic shared memory: (H + 16) * D elements of 4 bytes and H floats. D must be a power of two, H <= 64.
template <class E>
__device__ __forceinline__ void indexer_score(const typename E::Stored* __restrict__ q, const float* __restrict__ w,
                                              const typename E::Stored* __restrict__ k,
                                              const float* __restrict__ kscale, double* __restrict__ scores,
                                              int S, int H, int D, int startPos) {
    typedef typename E::V V;
    typedef typename E::Acc Acc;
    extern __shared__ __align__(16) unsigned char smem[];
    V* qs = reinterpret_cast<V*>(smem);           // [H][D], element (h, d) at h * D + ((d + h) & (D - 1))
    V* ks = qs + H * D;                           // [16][D]
    float* ws = reinterpret_cast<float*>(ks + IDX_TILE_KEYS * D);   // [H]

    const int t = blockIdx.y, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int s0 = blockIdx.x * IDX_BLOCK_KEYS, s1 = min(S, s0 + IDX_BLOCK_KEYS);
    const int visEnd = min(s1, startPos + t + 1);   // keys [s0, visEnd) are visible
    double* out = scores + (long)t * S;

    for (int s = max(s0, visEnd) + tid; s < s1; s += IDX_THREADS) out[s] = -INFINITY;
    if (visEnd <= s0) return;   // the whole block is in the future of this query (uniform: no barrier skipped)

    for (int i = tid; i < H * D; i += IDX_THREADS) {
        int h = i / D, d = i - h * D;
        qs[h * D + ((d + h) & (D - 1))] = E::load(q, (long)t * H * D + i);
    }
    for (int h = tid; h < H; h += IDX_THREADS) ws[h] = w[(long)t * H + h];

    const int h0 = lane, h1 = lane + 32;
    for (int tile0 = s0; tile0 < visEnd; tile0 += IDX_TILE_KEYS) {
        __syncthreads();   // the previous tile is no longer read (and, the first time, q and w are staged)
        for (int i = tid; i < IDX_TILE_KEYS * D; i += IDX_THREADS) {
            int r = i / D;
            ks[i] = tile0 + r < visEnd ? E::load(k, (long)tile0 * D + i) : (V)0;
        }
        __syncthreads();

        const int ka = 2 * warp, kb = ka + 1;
        Acc acc00 = 0, acc01 = 0, acc10 = 0, acc11 = 0;   // acc<head><key>
        const V* qa = qs + h0 * D;
        const V* qb = qs + h1 * D;
        const V* ksa = ks + ka * D;
        const V* ksb = ks + kb * D;
        for (int d = 0; d < D; d++) {
            V x0 = h0 < H ? qa[(d + h0) & (D - 1)] : (V)0;
            V x1 = h1 < H ? qb[(d + h1) & (D - 1)] : (V)0;
            V ya = ksa[d], yb = ksb[d];
            acc00 = E::mac(x0, ya, acc00);
            acc01 = E::mac(x0, yb, acc01);
            acc10 = E::mac(x1, ya, acc10);
            acc11 = E::mac(x1, yb, acc11);
        }
        // Combine the heads, key a then key b.
#pragma unroll
        for (int j = 0; j < 2; j++) {
            Acc a0 = j == 0 ? acc00 : acc01, a1 = j == 0 ? acc10 : acc11;
            double part = 0.0;
            if (h0 < H) part = __dadd_rn(part, __dmul_rn((double)ws[h0], relu_java(E::value(a0))));
            if (h1 < H) part = __dadd_rn(part, __dmul_rn((double)ws[h1], relu_java(E::value(a1))));
            double total = warp_sum_f64(part);
            int s = tile0 + ka + j;
            if (lane == 0 && s < visEnd) out[s] = kscale != nullptr ? __dmul_rn(total, (double)kscale[s]) : total;
        }
    }
}

// fp8 mode: q codes [T][H][D], w [T][H] (e_h * qs_h), k codes [S][D], k scales [S]; scores [T][S] float64.
extern "C" __global__ void __launch_bounds__(IDX_THREADS)
dsv32_indexer_score_fp8(const uint8_t* __restrict__ q, const float* __restrict__ w, const uint8_t* __restrict__ k,
                        const float* __restrict__ kscale, double* __restrict__ scores, int S, int H, int D,
                        int startPos) {
    indexer_score<Fp8Elems>(q, w, k, kscale, scores, S, H, D, startPos);
}

// exact mode: q [T][H][D] fp32, w [T][H] (e_h), k [S][D] fp32; scores [T][S] float64.
extern "C" __global__ void __launch_bounds__(IDX_THREADS)
dsv32_indexer_score_f32(const float* __restrict__ q, const float* __restrict__ w, const float* __restrict__ k,
                        double* __restrict__ scores, int S, int H, int D, int startPos) {
    indexer_score<F32Elems>(q, w, k, nullptr, scores, S, H, D, startPos);
}

// ---------------------------------------------------------------------------------------------------------------
// Top-k per query row. Mapping: one block of 1024 threads per row t. The scores are mapped to 64-bit keys whose
// unsigned order is Double.compare's order (NaN canonicalised first, as Double.compare does); then
//   1. radix select, 8 passes of 8 bits from the top: a 256-bin histogram (shared-memory atomics: counts do not
//      depend on their order) of the keys that match the bits chosen so far, and warp 0 picks the bin in which
//      the n-th largest key lies. After the passes `kth` is that key exactly and `needEq` says how many keys equal
//      to it are selected (the n - needEq larger ones all are).
//   2. collection in ascending key index, one chunk of 1024 keys at a time with block-wide ballot prefix counts:
//      every key > kth, and the first needEq keys == kth (the lowest indices: ties to the lower index);
//   3. a bitonic sort of the n selected (padded to a power of two) by (key descending, index ascending), a total
//      order, so the output is the reference's sorted list.
// n <= TOPK_MAX (the host checks, and selects on the CPU otherwise). Output: selected [T][topk], the first n of
// each row written.
// ---------------------------------------------------------------------------------------------------------------
#define TOPK_THREADS 1024
#define TOPK_MAX 2048

__device__ __forceinline__ unsigned long long order_key(double v) {
    unsigned long long u = isnan(v) ? 0x7ff8000000000000ull : (unsigned long long)__double_as_longlong(v);
    return (u >> 63) ? ~u : (u | 0x8000000000000000ull);
}

// Whether (ka, ia) ranks before (kb, ib): larger key, or equal key and lower index.
__device__ __forceinline__ bool ranks_before(unsigned long long ka, int ia, unsigned long long kb, int ib) {
    return ka > kb || (ka == kb && ia < ib);
}

extern "C" __global__ void __launch_bounds__(TOPK_THREADS)
dsv32_topk_rows(const double* __restrict__ scores, int* __restrict__ selected, int S, int startPos, int topk) {
    __shared__ unsigned long long keys[TOPK_MAX];
    __shared__ int idx[TOPK_MAX];
    __shared__ unsigned int hist[256];
    __shared__ unsigned int warpCounts[2][32];
    __shared__ unsigned long long sPrefix;
    __shared__ int sRemaining;
    __shared__ int sBase[2];

    const int t = blockIdx.x, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, warps = blockDim.x >> 5;
    const double* row = scores + (long)t * S;
    const int visible = min(S, startPos + t + 1);
    const int n = min(topk, visible);
    if (n <= 0 || n > TOPK_MAX) return;   // the host never launches n > TOPK_MAX (it selects on the CPU then)

    for (int b = tid; b < 256; b += blockDim.x) hist[b] = 0;
    if (tid == 0) {
        sPrefix = 0;
        sRemaining = n;
        sBase[0] = 0;
        sBase[1] = 0;
    }
    __syncthreads();

    // 1. radix select
    unsigned long long prefix = 0, mask = 0;
    for (int shift = 56; shift >= 0; shift -= 8) {
        for (int s = tid; s < visible; s += blockDim.x) {
            unsigned long long key = order_key(row[s]);
            if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);
        }
        __syncthreads();
        if (warp == 0) {
            // Lane l owns bins 255 - 8l down to 248 - 8l; an inclusive scan over lanes counts the keys above.
            const unsigned int remaining = (unsigned int)sRemaining;
            const int top = 255 - 8 * lane;
            unsigned int c = 0;
            for (int i = 0; i < 8; i++) c += hist[top - i];
            unsigned int incl = c;
#pragma unroll
            for (int o = 1; o < 32; o <<= 1) {
                unsigned int v = __shfl_up_sync(0xffffffffu, incl, o);
                if (lane >= o) incl += v;
            }
            unsigned int ballot = __ballot_sync(0xffffffffu, incl >= remaining);
            if (lane == __ffs(ballot) - 1) {
                unsigned int above = incl - c;
                int b = top;
                while (b > top - 7 && above + hist[b] < remaining) {
                    above += hist[b];
                    b--;
                }
                sRemaining = (int)(remaining - above);
                sPrefix = prefix | ((unsigned long long)b << shift);
            }
        }
        __syncthreads();
        prefix = sPrefix;
        mask |= 0xFFull << shift;
        for (int b = tid; b < 256; b += blockDim.x) hist[b] = 0;
        __syncthreads();
    }
    const unsigned long long kth = prefix;
    const int needEq = sRemaining;
    const int nGreater = n - needEq;

    // 2. collection in ascending index order
    const unsigned int lower = (1u << lane) - 1u;
    for (int base = 0; base < visible; base += blockDim.x) {
        int s = base + tid;
        unsigned long long key = s < visible ? order_key(row[s]) : 0ull;
        bool gt = s < visible && key > kth;
        bool eq = s < visible && key == kth;
        unsigned int bg = __ballot_sync(0xffffffffu, gt), be = __ballot_sync(0xffffffffu, eq);
        if (lane == 0) {
            warpCounts[0][warp] = __popc(bg);
            warpCounts[1][warp] = __popc(be);
        }
        __syncthreads();
        int offG = sBase[0], offE = sBase[1];
        for (int i = 0; i < warp; i++) {
            offG += warpCounts[0][i];
            offE += warpCounts[1][i];
        }
        offG += __popc(bg & lower);
        offE += __popc(be & lower);
        if (gt) {
            keys[offG] = key;
            idx[offG] = s;
        }
        if (eq && offE < needEq) {
            keys[nGreater + offE] = key;
            idx[nGreater + offE] = s;
        }
        __syncthreads();   // sBase and warpCounts read by every thread
        if (tid == 0) {
            int g = 0, e = 0;
            for (int i = 0; i < warps; i++) {
                g += warpCounts[0][i];
                e += warpCounts[1][i];
            }
            sBase[0] += g;
            sBase[1] += e;
        }
        __syncthreads();
    }

    // 3. bitonic sort of [0, P), the padding ranks last (key 0 is below every real key: it would be a negative NaN)
    int P = 1;
    while (P < n) P <<= 1;
    for (int i = n + tid; i < P; i += blockDim.x) {
        keys[i] = 0ull;
        idx[i] = 0x7fffffff;
    }
    __syncthreads();
    for (int kk = 2; kk <= P; kk <<= 1) {
        for (int j = kk >> 1; j > 0; j >>= 1) {
            for (int i = tid; i < P; i += blockDim.x) {
                int l = i ^ j;
                if (l > i) {
                    unsigned long long ki = keys[i], kl = keys[l];
                    int ii = idx[i], il = idx[l];
                    bool swap = (i & kk) == 0 ? ranks_before(kl, il, ki, ii) : ranks_before(ki, ii, kl, il);
                    if (swap) {
                        keys[i] = kl;
                        keys[l] = ki;
                        idx[i] = il;
                        idx[l] = ii;
                    }
                }
            }
            __syncthreads();
        }
    }
    for (int i = tid; i < n; i += blockDim.x) selected[(long)t * topk + i] = idx[i];
}
