// fp32 linear layers y = x W^T for the weights that are not FP8 (embedding-sized LM head, MoE router, indexer
// weights projection: bf16 in the checkpoint, fp32 here, fact sheet section 5) and for the exact precision mode
// (FP8 weights dequantised once to fp32). x [M][K], W [N][K], y [M][N], all fp32 row-major.
#include "dsv32_common.cuh"

// ---------------------------------------------------------------------------------------------------------------
// Tiled SGEMM: block tile 64 x 64, k-step 16, 256 threads each computing a 4 x 4 micro-tile. Shared tiles are
// stored k-major (transposed) so the inner loop reads 4 consecutive floats of A and of W per thread. Every output
// is the sum over k in ascending order with one fma per term: deterministic and independent of the grid.
// ---------------------------------------------------------------------------------------------------------------
#define SB 64
#define SK 16

extern "C" __global__ void __launch_bounds__(256)
dsv32_sgemm(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y, int M, int N, int K) {
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
            Wt[k][r] = (n0 + r < N && gk < K) ? w[(long)(n0 + r) * K + gk] : 0.0f;
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

// ---------------------------------------------------------------------------------------------------------------
// GEMV (M = 1, decode; the LM head and router of one token): one warp per output n, 8 warps per block. Lane l
// sums k = l, l + 32, ... with fma (coalesced 128-byte reads of the W row), then a fixed butterfly adds the lanes.
// ---------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(256)
dsv32_sgemv(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y, int N, int K) {
    const int lane = threadIdx.x & 31;
    const int n = blockIdx.x * 8 + (threadIdx.x >> 5);
    if (n >= N) return;
    const float* row = w + (long)n * K;
    float s = 0.0f;
    for (int k = lane; k < K; k += 32) s = __fmaf_rn(x[k], row[k], s);
    s = warp_sum(s);
    if (lane == 0) y[n] = s;
}
