// fp32 linear layers y = x W^T for the weights that are not FP8 (embedding-sized LM head, MoE router, indexer
// weights projection: bf16 in the checkpoint, fact sheet section 5) and for the exact precision mode (FP8 weights
// dequantised once to fp32). x [M][K], W [N][K], y [M][N], row-major; x and y fp32, W fp32 (dsv32_sgemm,
// dsv32_sgemv) or bf16 read as is (the _bf16w variants: each weight widened exactly to fp32 when loaded, so they
// compute bit for bit what the fp32 kernels compute on the widened weight, with half the memory and traffic).
#include "dsv32_common.cuh"

// A weight element as fp32: fp32 as is, bf16 (its 16 bits, little-endian) widened exactly.
__device__ __forceinline__ float weight_at(const float* w, long i) { return w[i]; }
__device__ __forceinline__ float weight_at(const uint16_t* w, long i) { return __uint_as_float((uint32_t)w[i] << 16); }

// ---------------------------------------------------------------------------------------------------------------
// Tiled SGEMM: block tile 64 x 64, k-step 16, 256 threads each computing a 4 x 4 micro-tile. Shared tiles are
// stored k-major (transposed) so the inner loop reads 4 consecutive floats of A and of W per thread. Every output
// is the sum over k in ascending order with one fma per term: deterministic and independent of the grid.
// ---------------------------------------------------------------------------------------------------------------
#define SB 64
#define SK 16

template <typename W>
__device__ __forceinline__ void sgemm_tile(const float* __restrict__ x, const W* __restrict__ w, float* __restrict__ y,
                                           int M, int N, int K) {
    __shared__ float At[SK][SB + 4];
    __shared__ float Wt[SK][SB + 4];
    const int m0 = blockIdx.y * SB, n0 = blockIdx.x * SB;
    const int tid = threadIdx.x;
    const int tm = (tid / 16) * 4, tn = (tid % 16) * 4;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += SK) {
        // 64 x 16 elements of each operand, 4 per thread; consecutive threads read consecutive k (coalesced rows).
#pragma unroll
        for (int e = 0; e < 4; e++) {
            int idx = tid + e * 256;
            int r = idx / SK, k = idx % SK;
            int gk = k0 + k;
            At[k][r] = (m0 + r < M && gk < K) ? x[(long)(m0 + r) * K + gk] : 0.0f;
            Wt[k][r] = (n0 + r < N && gk < K) ? weight_at(w, (long)(n0 + r) * K + gk) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < SK; k++) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) a[i] = At[k][tm + i];
#pragma unroll
            for (int j = 0; j < 4; j++) b[j] = Wt[k][tn + j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = __fmaf_rn(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int m = m0 + tm + i, n = n0 + tn + j;
            if (m < M && n < N) y[(long)m * N + n] = acc[i][j];
        }
}

extern "C" __global__ void __launch_bounds__(256)
dsv32_sgemm(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y, int M, int N, int K) {
    sgemm_tile(x, w, y, M, N, K);
}

extern "C" __global__ void __launch_bounds__(256)
dsv32_sgemm_bf16w(const float* __restrict__ x, const uint16_t* __restrict__ w, float* __restrict__ y, int M, int N,
                  int K) {
    sgemm_tile(x, w, y, M, N, K);
}

// ---------------------------------------------------------------------------------------------------------------
// GEMV (M = 1, decode; the LM head and router of one token): one warp per output n, 8 warps per block. Lane l
// sums k = l, l + 32, ... with fma (coalesced 128-byte reads of the W row), then a fixed butterfly adds the lanes.
// ---------------------------------------------------------------------------------------------------------------
template <typename W>
__device__ __forceinline__ void sgemv_warp(const float* __restrict__ x, const W* __restrict__ w, float* __restrict__ y,
                                           int N, int K) {
    const int lane = threadIdx.x & 31;
    const int n = blockIdx.x * 8 + (threadIdx.x >> 5);
    if (n >= N) return;
    const W* row = w + (long)n * K;
    float s = 0.0f;
    for (int k = lane; k < K; k += 32) s = __fmaf_rn(x[k], weight_at(row, k), s);
    s = warp_sum(s);
    if (lane == 0) y[n] = s;
}

extern "C" __global__ void __launch_bounds__(256)
dsv32_sgemv(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y, int N, int K) {
    sgemv_warp(x, w, y, N, K);
}

extern "C" __global__ void __launch_bounds__(256)
dsv32_sgemv_bf16w(const float* __restrict__ x, const uint16_t* __restrict__ w, float* __restrict__ y, int N, int K) {
    sgemv_warp(x, w, y, N, K);
}
