// FP8 block-scaled linear layers (fact sheet, sections 2 and 4):
//   y[m][n] = sum over 128-wide k-blocks b of ( sum_{k in b} qa[m][k] * qw[n][k] ) * sa[m][b] * sw[n / BR][b]
// qa, sa: the act_quant codes and scales of x [M][K] (K a multiple of 128); qw [N][K] e4m3 codes; sw the weight's
// weight_scale_inv [ceil(N / BR)][K / 128] (BR = block rows, 128 in the checkpoint; the block width must be 128,
// the Java side checks). N may be ragged (the kv down-projection has N = 576): edge blocks read their own scale
// row and out-of-range rows are never written.
//
// Where the rounding happens, as on Hopper in deployment: each 128-block's partial sum comes out of the FP8
// tensor core in fp32 (the tensor core's internal accumulation is not an exact sum; it is what the hardware does),
// and is then "promoted": multiplied by sa * sw (a product that is exact when sa is a ue8m0 power of two) and added
// with one fused multiply-add to an fp32 accumulator that never enters the tensor core. Output is fp32 (no bf16
// rounding: the LinearOp contract returns the fp32 sum).
#include "dsv32_common.cuh"

// ---------------------------------------------------------------------------------------------------------------
// Tensor-core GEMM: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 (sm_89 and later, so plain sm_90 PTX).
//
// Block tile 64 (M) x 64 (N) x 128 (K = one scale block), 128 threads = 4 warps as 2 x 2, warp tile 32 x 32 =
// 2 (m16) x 4 (n8) MMA tiles, 4 MMA k-steps of 32 per block. Shared tiles are row-major with rows padded from 128
// to 144 bytes: a fragment load reads word (row * 36 + t) for rows g = 0..7 and t = 0..3, i.e. bank 4g + t, all 32
// banks distinct.
//
// Fragments (PTX ISA, mma.m16n8k32 with 8-bit operands; g = lane / 4, t = lane % 4):
//   A (16 x 32, row-major): a0 = A[g][4t..4t+3], a1 = A[g+8][4t..4t+3], a2 = A[g][16+4t..], a3 = A[g+8][16+4t..]
//   B (32 x 8, "col" = our W rows, k contiguous): b0 = W[g][4t..4t+3], b1 = W[g][16+4t..]
//   C (16 x 8 fp32): c0, c1 = C[g][2t], C[g][2t+1]; c2, c3 = C[g+8][2t], C[g+8][2t+1]
// A and B use the same k positions for the same register and byte, so the sum over k does not depend on how the
// hardware orders k inside a fragment.
// ---------------------------------------------------------------------------------------------------------------
#define GB_M 64
#define GB_N 64
#define G_STRIDE 144   // bytes per shared row: 128 codes + 16 bytes of padding

__device__ __forceinline__ void mma_e4m3_16832(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Copies rows [row0, row0 + 64) x k-block kb of a [rows][K] code matrix into a padded shared tile; rows outside
// the matrix become zeros (their products are zero and they are never stored).
__device__ __forceinline__ void load_tile(uint8_t* tile, const uint8_t* __restrict__ src, int rows, int K,
                                          int row0, int kb) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int c = threadIdx.x + i * 128;     // 512 chunks of 16 bytes
        int r = c >> 3, col = (c & 7) * 16;
        uint4 v = make_uint4(0, 0, 0, 0);
        if (row0 + r < rows) v = *reinterpret_cast<const uint4*>(src + (long)(row0 + r) * K + (long)kb * DSV32_TILE + col);
        *reinterpret_cast<uint4*>(tile + r * G_STRIDE + col) = v;
    }
}

// One 64 x 64 output tile [m0, m0 + 64) x [n0, n0 + 64) of y = the formula above, for a block of 128 threads. Both
// the plain GEMM and the grouped expert GEMM run it.
__device__ __forceinline__ void fp8_gemm_tile(const uint8_t* __restrict__ qa, const float* __restrict__ sa,
                                              const uint8_t* __restrict__ qw, const float* __restrict__ sw,
                                              float* __restrict__ y, int M, int N, int K, int blockRows,
                                              int m0, int n0) {
    __shared__ __align__(16) uint8_t As[GB_M * G_STRIDE];
    __shared__ __align__(16) uint8_t Bs[GB_N * G_STRIDE];
    __shared__ float sAs[GB_M], sBs[GB_N];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
    const int kBlocks = K / DSV32_TILE;

    float acc[2][4][4];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[i][j][c] = 0.0f;

    for (int kb = 0; kb < kBlocks; kb++) {
        load_tile(As, qa, M, K, m0, kb);
        load_tile(Bs, qw, N, K, n0, kb);
        if (threadIdx.x < GB_M) {
            int m = m0 + threadIdx.x;
            sAs[threadIdx.x] = m < M ? sa[(long)m * kBlocks + kb] : 0.0f;
        } else {
            int n = n0 + threadIdx.x - GB_M;
            sBs[threadIdx.x - GB_M] = n < N ? sw[(long)(n / blockRows) * kBlocks + kb] : 0.0f;
        }
        __syncthreads();

        float part[2][4][4];
#pragma unroll
        for (int i = 0; i < 2; i++)
#pragma unroll
            for (int j = 0; j < 4; j++)
#pragma unroll
                for (int c = 0; c < 4; c++) part[i][j][c] = 0.0f;

#pragma unroll
        for (int kk = 0; kk < DSV32_TILE; kk += 32) {
            uint32_t a[2][4];
#pragma unroll
            for (int i = 0; i < 2; i++) {
                const uint8_t* lo = As + (wm + i * 16 + g) * G_STRIDE + kk + 4 * t;
                const uint8_t* hi = lo + 8 * G_STRIDE;
                a[i][0] = *reinterpret_cast<const uint32_t*>(lo);
                a[i][1] = *reinterpret_cast<const uint32_t*>(hi);
                a[i][2] = *reinterpret_cast<const uint32_t*>(lo + 16);
                a[i][3] = *reinterpret_cast<const uint32_t*>(hi + 16);
            }
#pragma unroll
            for (int j = 0; j < 4; j++) {
                const uint8_t* col = Bs + (wn + j * 8 + g) * G_STRIDE + kk + 4 * t;
                uint32_t b0 = *reinterpret_cast<const uint32_t*>(col);
                uint32_t b1 = *reinterpret_cast<const uint32_t*>(col + 16);
#pragma unroll
                for (int i = 0; i < 2; i++) mma_e4m3_16832(part[i][j], a[i], b0, b1);
            }
        }

        // Promotion of this block's partial sums into the fp32 accumulators.
#pragma unroll
        for (int i = 0; i < 2; i++)
#pragma unroll
            for (int j = 0; j < 4; j++)
#pragma unroll
                for (int c = 0; c < 4; c++) {
                    int r = wm + i * 16 + g + ((c & 2) ? 8 : 0);
                    int n = wn + j * 8 + 2 * t + (c & 1);
                    acc[i][j][c] = __fmaf_rn(part[i][j][c], __fmul_rn(sAs[r], sBs[n]), acc[i][j][c]);
                }
        __syncthreads();   // the tiles are overwritten by the next block
    }

#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int c = 0; c < 4; c++) {
                int m = m0 + wm + i * 16 + g + ((c & 2) ? 8 : 0);
                int n = n0 + wn + j * 8 + 2 * t + (c & 1);
                if (m < M && n < N) y[(long)m * N + n] = acc[i][j][c];
            }
}

extern "C" __global__ void __launch_bounds__(128)
dsv32_fp8_gemm(const uint8_t* __restrict__ qa, const float* __restrict__ sa, const uint8_t* __restrict__ qw,
               const float* __restrict__ sw, float* __restrict__ y, int M, int N, int K, int blockRows) {
    fp8_gemm_tile(qa, sa, qw, sw, y, M, N, K, blockRows, blockIdx.y * GB_M, blockIdx.x * GB_N);
}

// ---------------------------------------------------------------------------------------------------------------
// Grouped expert GEMM (fact sheet, sections 4 and 9): one launch computes, for every expert e, the rows routed to it
// times that expert's FP8 weight, with the tile above (the same promotion and rounding as dsv32_fp8_gemm):
//   y[r][n] = sum_b (sum_{k in b} qa[r][k] * qw_e[n][k]) * sa[r][b] * sw_e[n / BR][b]    for r in e's segment
// The activation rows are grouped by expert (segments of consecutive rows; act_quant codes qa [R][K], scales
// sa [R][K / 128]); the experts' weights are one bank: codes qw [E][N][K] and scales sw [E][ceil(N / BR)][K / 128].
// The host cuts every segment into tiles of at most 64 rows: tile i covers rows [tileRow0[i], + tileRows[i]) of
// expert tileExpert[i]. Grid (ceil(N / 64), tiles), 128 threads.
// ---------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(128)
dsv32_fp8_grouped_gemm(const uint8_t* __restrict__ qa, const float* __restrict__ sa, const uint8_t* __restrict__ qw,
                       const float* __restrict__ sw, float* __restrict__ y, const int* __restrict__ tileExpert,
                       const int* __restrict__ tileRow0, const int* __restrict__ tileRows, int N, int K,
                       int blockRows) {
    const int tile = blockIdx.y;
    const long e = tileExpert[tile], row0 = tileRow0[tile];
    const int kBlocks = K / DSV32_TILE, scaleRows = (N + blockRows - 1) / blockRows;
    fp8_gemm_tile(qa + row0 * K, sa + row0 * kBlocks, qw + e * N * K, sw + e * scaleRows * kBlocks, y + row0 * N,
                  tileRows[tile], N, K, blockRows, 0, blockIdx.x * GB_N);
}

// ---------------------------------------------------------------------------------------------------------------
// GEMV for decode (M = 1): the same formula without the tensor core (an m16 MMA would waste 15 of 16 rows).
// One warp per output n, 8 warps per block. A lane reads 16 codes of x and of W row n per step; lanes 8j..8j+7 of
// a step cover one 128-block, whose partial sum (exact e4m3 x e4m3 products, fp32 additions in a fixed tree) is
// reduced over those 8 lanes, promoted with one fma by sa[b] * sw[n / BR][b] into the accumulator of lane 8j, and
// the four group accumulators are added at the end. Deterministic; not bitwise equal to the tensor-core kernel
// (different order of the additions inside a block).
// ---------------------------------------------------------------------------------------------------------------
__device__ __forceinline__ float dot16_e4m3(uint4 a, uint4 w) {
    const uint32_t av[4] = {a.x, a.y, a.z, a.w}, wv[4] = {w.x, w.y, w.z, w.w};
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        float2 a01 = e4m3x2_decode(av[i]), a23 = e4m3x2_decode(av[i] >> 16);
        float2 w01 = e4m3x2_decode(wv[i]), w23 = e4m3x2_decode(wv[i] >> 16);
        s = __fmaf_rn(a01.x, w01.x, s);
        s = __fmaf_rn(a01.y, w01.y, s);
        s = __fmaf_rn(a23.x, w23.x, s);
        s = __fmaf_rn(a23.y, w23.y, s);
    }
    return s;
}

extern "C" __global__ void __launch_bounds__(256)
dsv32_fp8_gemv(const uint8_t* __restrict__ qa, const float* __restrict__ sa, const uint8_t* __restrict__ qw,
               const float* __restrict__ sw, float* __restrict__ y, int N, int K, int blockRows) {
    const int lane = threadIdx.x & 31;
    const int n = blockIdx.x * 8 + (threadIdx.x >> 5);
    if (n >= N) return;
    const int kBlocks = K / DSV32_TILE;
    const uint8_t* wrow = qw + (long)n * K;
    const float* swrow = sw + (long)(n / blockRows) * kBlocks;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += 512) {
        int k = k0 + lane * 16;
        float part = 0.0f;
        if (k < K) part = dot16_e4m3(*reinterpret_cast<const uint4*>(qa + k), *reinterpret_cast<const uint4*>(wrow + k));
        part += __shfl_xor_sync(0xffffffffu, part, 1);
        part += __shfl_xor_sync(0xffffffffu, part, 2);
        part += __shfl_xor_sync(0xffffffffu, part, 4);
        if ((lane & 7) == 0 && k < K) {
            int b = k / DSV32_TILE;
            acc = __fmaf_rn(part, __fmul_rn(sa[b], swrow[b]), acc);
        }
    }
    acc += __shfl_xor_sync(0xffffffffu, acc, 8);
    acc += __shfl_xor_sync(0xffffffffu, acc, 16);
    if (lane == 0) y[n] = acc;
}

// ---------------------------------------------------------------------------------------------------------------
// Dequantisation to fp32 for the exact precision mode: W[n][k] = decode(Q[n][k]) * S[n / BR][k / BC] (exact in
// fp32 when S is a power of two; one rounding otherwise). One thread per 4 codes (cols need not be a multiple
// of 4: the tail is done one by one).
// ---------------------------------------------------------------------------------------------------------------
extern "C" __global__ void dsv32_fp8_dequant(const uint8_t* __restrict__ q, const float* __restrict__ s,
                                             float* __restrict__ w, int rows, int cols, int blockRows, int blockCols) {
    long i = ((long)blockIdx.x * blockDim.x + threadIdx.x) * 4;
    long total = (long)rows * cols;
    int scaleCols = (cols + blockCols - 1) / blockCols;
    for (int e = 0; e < 4; e++) {
        long idx = i + e;
        if (idx >= total) return;
        int r = (int)(idx / cols), c = (int)(idx % cols);
        w[idx] = __fmul_rn(e4m3_decode(q[idx]), s[(long)(r / blockRows) * scaleCols + c / blockCols]);
    }
}
