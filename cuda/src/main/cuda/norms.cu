// Row normalisations (fact sheet, section 6), fp32, one block per row (blockDim.x a multiple of 32, at most 1024),
// each thread striding over the columns. Reductions use block_sum: a fixed order, so results are deterministic.
#include "dsv32_common.cuh"

// y = w * x / sqrt(mean(x^2) + eps), computed as (x * r) * w with r = rsqrt(mean + eps) correctly rounded.
__device__ __forceinline__ void rmsnorm_row(const float* __restrict__ x, const float* __restrict__ w,
                                            float* __restrict__ y, int cols, float eps, float* scratch) {
    float ss = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) ss = __fmaf_rn(x[c], x[c], ss);
    ss = block_sum(ss, scratch);
    float r = __frsqrt_rn(__fadd_rn(__fdiv_rn(ss, (float)cols), eps));
    for (int c = threadIdx.x; c < cols; c += blockDim.x) y[c] = __fmul_rn(__fmul_rn(x[c], r), w[c]);
}

// x, y [rows][cols]; w [cols].
extern "C" __global__ void dsv32_rmsnorm(const float* __restrict__ x, const float* __restrict__ w,
                                         float* __restrict__ y, int cols, float eps) {
    __shared__ float scratch[32];
    long off = (long)blockIdx.x * cols;
    rmsnorm_row(x + off, w, y + off, cols, eps, scratch);
}

// The blocks' fused form: residual <- residual + x (residual MODIFIED, in fp32), then y = RMSNorm(residual).
extern "C" __global__ void dsv32_rmsnorm_residual(const float* __restrict__ x, float* __restrict__ residual,
                                                  const float* __restrict__ w, float* __restrict__ y, int cols,
                                                  float eps) {
    __shared__ float scratch[32];
    long off = (long)blockIdx.x * cols;
    float* res = residual + off;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) res[c] = __fadd_rn(res[c], x[off + c]);
    __syncthreads();   // each thread re-reads only its own columns, but keep the sum visible to the whole block
    rmsnorm_row(res, w, y + off, cols, eps, scratch);
}

// LayerNorm with the biased variance (the indexer key): y = ((x - mean) / sqrt(var + eps)) * w + b. Two passes
// (mean, then the centred sum of squares), which avoids the cancellation of E[x^2] - mean^2.
extern "C" __global__ void dsv32_layernorm(const float* __restrict__ x, const float* __restrict__ w,
                                           const float* __restrict__ b, float* __restrict__ y, int cols, float eps) {
    __shared__ float scratch[32];
    const float* xr = x + (long)blockIdx.x * cols;
    float* yr = y + (long)blockIdx.x * cols;
    float s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s = __fadd_rn(s, xr[c]);
    float mean = __fdiv_rn(block_sum(s, scratch), (float)cols);
    float v = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        float d = __fsub_rn(xr[c], mean);
        v = __fmaf_rn(d, d, v);
    }
    float var = __fdiv_rn(block_sum(v, scratch), (float)cols);
    float r = __frsqrt_rn(__fadd_rn(var, eps));
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        yr[c] = __fmaf_rn(__fmul_rn(__fsub_rn(xr[c], mean), r), w[c], b[c]);
}
