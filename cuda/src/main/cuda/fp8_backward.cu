// The backward GEMMs of an FP8 linear layer (spec/SEMANTICS.md section 5b), with the numerics of the simd backend
// (optimized/SimdBackwardProblem): fp32 on the CUDA cores, so every element is bit for bit the simd result.
//
//   C[i][j] = sum over inner blocks b of 128 ( sum_{t in b} A[i][t] * B[t][j] ) * sb(b, j) * sa(i, b)
//
// in this order: blk = fma(A[i][t], B[t][j], blk) for t ascending from +0, then acc = fma(blk, sb * sa, acc) from
// +0, one thread per output element's chain. Dgrad dX = dY W: A = dY [m][N] quantised in 1x128 tiles along N per
// token (scales [m][N/128]), B = W [N][K] as stored with its block scale S[n/128][k/BC] per column. Wgrad
// dW = dY^T X: A(i, t) = dY[t][i] and B = X [m][K], both quantised in 128x1 tiles down the tokens (one scale per
// channel and 128-token block). Exact mode: the same GEMM on the unquantised values (W's codes with their scales).
// A is read through strides, so one kernel serves both: A(i, t) = a[i * aRow + t * aInner]; B is row-major
// [inner][cols]; sa(i, b) = sa[i * saRow + b * saBlock], sb(b, j) = sb[b * sbBlock + j / sbColDiv]; a missing
// scale (aScaled or bScaled 0) is 1. A ragged last block sums only its existing positions (no padded products, so
// an infinite B value next to the edge cannot make a NaN); rows and columns outside C are never written.
//
// The quantiser (dsv32_bwd_quant) is act_quant's rule (act_quant.cu) on tiles of 128 positions along any axis:
// amax = max(max |x|, fp32(1e-4)) with NaN propagating, s = fp32(amax * fp32(1/448)), rounded up to a power of two
// for ue8m0, codes = e4m3(x / s) by IEEE fp32 division, nearest-even, saturating; a ragged tile is quantised over
// its existing positions.
//
// Not tensor cores: the FP8 MMA's internal block sum is not an fp32 fma chain, and the point of these kernels is the
// reference order; a tensor-core variant would have to be checked at the backend's TENSOR_CORE_FP8 tier instead.
#include "dsv32_common.cuh"

#define BW_TILE 64        // output tile: 64 x 64 elements per block of 256 threads, 4 x 4 per thread
#define BW_STEP 32        // inner positions staged in shared memory at once (4 steps per 128-block)

__device__ __forceinline__ float bw_value(const uint8_t* __restrict__ p, long i) { return e4m3_decode(p[i]); }
__device__ __forceinline__ float bw_value(const float* __restrict__ p, long i) { return p[i]; }

template <typename TA, typename TB>
__device__ __forceinline__ void bwd_gemm(const TA* __restrict__ a, const float* __restrict__ sa, const TB* __restrict__ b,
                                         const float* __restrict__ sb, float* __restrict__ c, int rows, int inner, int cols,
                                         int aRow, int aInner, int saRow, int saBlock, int sbBlock, int sbColDiv,
                                         int aScaled, int bScaled) {
    __shared__ float As[BW_STEP][BW_TILE];   // [t][row]
    __shared__ float Bs[BW_STEP][BW_TILE];   // [t][col]
    const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
    const int row0 = blockIdx.y * BW_TILE, col0 = blockIdx.x * BW_TILE;
    const int blocks = (inner + DSV32_TILE - 1) / DSV32_TILE;

    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

    for (int bk = 0; bk < blocks; bk++) {
        float blk[4][4];
#pragma unroll
        for (int i = 0; i < 4; i++)
#pragma unroll
            for (int j = 0; j < 4; j++) blk[i][j] = 0.0f;
        const int blockEnd = min(inner, (bk + 1) * DSV32_TILE);
        for (int t0 = bk * DSV32_TILE; t0 < blockEnd; t0 += BW_STEP) {
            const int tl = min(BW_STEP, blockEnd - t0);
            // stage A and B (decoded); each thread 8 elements of each, coalesced along A's unit stride
#pragma unroll
            for (int e = 0; e < 8; e++) {
                int idx = threadIdx.x + e * 256;
                int r, t;
                if (aRow == 1) { r = idx & 63; t = idx >> 6; } else { t = idx & 31; r = idx >> 5; }
                float v = 0.0f;
                if (row0 + r < rows && t < tl) v = bw_value(a, (long)(row0 + r) * aRow + (long)(t0 + t) * aInner);
                As[t][r] = v;
                int cc = idx & 63, tb = idx >> 6;
                float w = 0.0f;
                if (col0 + cc < cols && tb < tl) w = bw_value(b, (long)(t0 + tb) * cols + col0 + cc);
                Bs[tb][cc] = w;
            }
            __syncthreads();
            for (int t = 0; t < tl; t++) {
                float av[4], bv[4];
#pragma unroll
                for (int i = 0; i < 4; i++) av[i] = As[t][ty + 16 * i];
#pragma unroll
                for (int j = 0; j < 4; j++) bv[j] = Bs[t][tx + 16 * j];
#pragma unroll
                for (int i = 0; i < 4; i++)
#pragma unroll
                    for (int j = 0; j < 4; j++) blk[i][j] = __fmaf_rn(av[i], bv[j], blk[i][j]);
            }
            __syncthreads();   // the stage is overwritten next
        }
        // promotion of this block: both scales at once, sb * sa as the simd kernels form it
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int r = row0 + ty + 16 * i;
            float s_a = aScaled && r < rows ? sa[(long)r * saRow + (long)bk * saBlock] : 1.0f;
#pragma unroll
            for (int j = 0; j < 4; j++) {
                int cj = col0 + tx + 16 * j;
                float s_b = bScaled && cj < cols ? sb[(long)bk * sbBlock + cj / sbColDiv] : 1.0f;
                acc[i][j] = __fmaf_rn(blk[i][j], __fmul_rn(s_b, s_a), acc[i][j]);
            }
        }
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int r = row0 + ty + 16 * i;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int cj = col0 + tx + 16 * j;
            if (r < rows && cj < cols) c[(long)r * cols + cj] = acc[i][j];
        }
    }
}

// Both operands e4m3 codes (fp8 mode). Grid (ceil(cols / 64), ceil(rows / 64)), 256 threads.
extern "C" __global__ void __launch_bounds__(256)
dsv32_bwd_gemm_q8q8(const uint8_t* __restrict__ a, const float* __restrict__ sa, const uint8_t* __restrict__ b,
                    const float* __restrict__ sb, float* __restrict__ c, int rows, int inner, int cols, int aRow, int aInner,
                    int saRow, int saBlock, int sbBlock, int sbColDiv, int aScaled, int bScaled) {
    bwd_gemm(a, sa, b, sb, c, rows, inner, cols, aRow, aInner, saRow, saBlock, sbBlock, sbColDiv, aScaled, bScaled);
}

// A fp32 (exact mode's dY), B e4m3 codes (W with its block scales).
extern "C" __global__ void __launch_bounds__(256)
dsv32_bwd_gemm_f32q8(const float* __restrict__ a, const float* __restrict__ sa, const uint8_t* __restrict__ b,
                     const float* __restrict__ sb, float* __restrict__ c, int rows, int inner, int cols, int aRow, int aInner,
                     int saRow, int saBlock, int sbBlock, int sbColDiv, int aScaled, int bScaled) {
    bwd_gemm(a, sa, b, sb, c, rows, inner, cols, aRow, aInner, saRow, saBlock, sbBlock, sbColDiv, aScaled, bScaled);
}

// Both fp32 (exact Wgrad, and Dgrad through a dense weight in either mode).
extern "C" __global__ void __launch_bounds__(256)
dsv32_bwd_gemm_f32f32(const float* __restrict__ a, const float* __restrict__ sa, const float* __restrict__ b,
                      const float* __restrict__ sb, float* __restrict__ c, int rows, int inner, int cols, int aRow, int aInner,
                      int saRow, int saBlock, int sbBlock, int sbColDiv, int aScaled, int bScaled) {
    bwd_gemm(a, sa, b, sb, c, rows, inner, cols, aRow, aInner, saRow, saBlock, sbBlock, sbColDiv, aScaled, bScaled);
}

// act_quant's ue8m0 rounding (the same bit rule as act_quant.cu's).
__device__ __forceinline__ float bw_ue8m0_round_up(float s) {
    uint32_t bits = __float_as_uint(s);
    uint32_t exp = (bits >> 23) & 0xFFu, man = bits & 0x7FFFFFu;
    if (exp == 0xFFu) return s;
    if (exp == 0u) return 1.17549435e-38f;
    if (man != 0u) exp++;
    return __uint_as_float(exp << 23);
}

// Tiles of 128 positions along one axis: line l, position p is x[l * lineStride + p * posStride], codes at the same
// index; the scale of line l, tile b goes to scales[l * scaleLine + b * scaleBlock]. One warp per (line, tile),
// lane k holding positions 32e + k of the tile (e = 0..3). Grid: ceil(lines * tiles / 4) blocks of 128 threads.
extern "C" __global__ void __launch_bounds__(128)
dsv32_bwd_quant(const float* __restrict__ x, uint8_t* __restrict__ codes, float* __restrict__ scales, int lines, int len,
                int lineStride, int posStride, int scaleLine, int scaleBlock, int ue8m0) {
    const int lane = threadIdx.x & 31;
    const long warp = ((long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int tiles = (len + DSV32_TILE - 1) / DSV32_TILE;
    if (warp >= (long)lines * tiles) return;
    const long line = warp / tiles;
    const int tile = (int)(warp % tiles);
    float v[4];
    float amax = 0.0f;
#pragma unroll
    for (int e = 0; e < 4; e++) {
        int p = tile * DSV32_TILE + 32 * e + lane;
        v[e] = p < len ? x[line * lineStride + (long)p * posStride] : 0.0f;
        amax = max_nan(amax, fabsf(v[e]));
    }
    amax = warp_max_nan(amax);
    amax = max_nan(amax, 0x1.a36e2ep-14f);   // fp32(1e-4), as act_quant.cu
    float s = __fmul_rn(amax, DSV32_INV_E4M3_MAX);
    if (ue8m0) s = bw_ue8m0_round_up(s);
#pragma unroll
    for (int e = 0; e < 4; e++) {
        int p = tile * DSV32_TILE + 32 * e + lane;
        if (p < len) codes[line * lineStride + (long)p * posStride] = (uint8_t)(e4m3x2_encode(__fdiv_rn(v[e], s), 0.0f) & 0xFFu);
    }
    if (lane == 0) scales[line * scaleLine + (long)tile * scaleBlock] = s;
}
