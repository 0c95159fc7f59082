// Rotary embedding (fact sheet, section 6). The angles p * f_i are NOT formed on the GPU: at position 160000 an
// fp32 angle would be off by about 0.01 rad. The host computes cos and sin of p * f_i in float64 from the
// configuration's YaRN frequencies and passes them rounded to fp32: cs [rows][d/2][2] = (cos, sin).
//
// Mapping: one thread per rotated pair (a, b) of a row:
//   interleaved (MLA)          pair i = (2i, 2i + 1)
//   half-split (NeoX, indexer) pair i = (i, i + d/2)
// (a, b) -> (a cos - b sin, a sin + b cos), each product rounded, no fma (so both layouts round alike).
#include "dsv32_common.cuh"

extern "C" __global__ void dsv32_rope(const float* __restrict__ x, const float* __restrict__ cs,
                                      float* __restrict__ y, int rows, int d, int interleaved) {
    int half = d / 2;
    long p = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= (long)rows * half) return;
    long r = p / half;
    int i = (int)(p % half);
    long ia = r * d + (interleaved ? 2 * i : i);
    long ib = ia + (interleaved ? 1 : half);
    float a = x[ia], b = x[ib];
    float c = cs[2 * p], s = cs[2 * p + 1];
    y[ia] = __fsub_rn(__fmul_rn(a, c), __fmul_rn(b, s));
    y[ib] = __fadd_rn(__fmul_rn(a, s), __fmul_rn(b, c));
}
