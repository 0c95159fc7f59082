// The elementwise parts of the MoE layer around the grouped expert GEMM (fact sheet, section 9; ReferenceMoe and
// ReferenceMlp are the float64 definitions):
//   dsv32_swiglu       h = silu(g) * u,  silu(z) = z / (1 + exp(-z))              every expert's intermediate rows
//   dsv32_moe_combine  y[t] = sum over t's routed slots, in ascending expert index, of w_slot * down[row(slot)]
//                             + down[sharedRow(t)]                              (the shared expert, unscaled)
// fp32. silu is z divided by (1 + expf(-z)), each step correctly rounded except CUDA's accurate expf (about 2 ulp);
// for very negative z expf(-z) is +inf and silu gives -0, as the reference's limit. The combination is a gather per
// output element (no atomics): one fma per routed term in the reference's order (ascending expert, the host sorts
// each token's slots), then one addition of the shared term, so the result is deterministic.
#include "dsv32_common.cuh"

// g, u, h [n] fp32 (h may alias neither). One thread per element.
extern "C" __global__ void dsv32_swiglu(const float* __restrict__ g, const float* __restrict__ u, float* __restrict__ h,
                                        int n) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float z = g[i];
    h[i] = __fmul_rn(__fdiv_rn(z, __fadd_rn(1.0f, expf(-z))), u[i]);
}

// down [R][D]: the expert outputs of every routed (and shared) row; slotRows, slotWeights [T][k]: per token its
// routed rows (ascending expert) and gate weights, a row -1 for an unused slot; sharedRows [T]: the token's row of
// the shared expert, or -1. y [T][D]. One thread per output element.
extern "C" __global__ void dsv32_moe_combine(const float* __restrict__ down, const int* __restrict__ slotRows,
                                             const float* __restrict__ slotWeights, const int* __restrict__ sharedRows,
                                             float* __restrict__ y, int T, int k, int D) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long)T * D) return;
    int t = (int)(i / D), d = (int)(i % D);
    float acc = 0.0f;
    for (int j = 0; j < k; j++) {
        int r = slotRows[t * k + j];
        if (r >= 0) acc = __fmaf_rn(slotWeights[t * k + j], down[(long)r * D + d], acc);
    }
    int sr = sharedRows[t];
    if (sr >= 0) acc = __fadd_rn(acc, down[(long)sr * D + d]);
    y[i] = acc;
}
