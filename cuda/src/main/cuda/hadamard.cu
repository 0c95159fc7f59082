// y = n^-1/2 H_n x per row, H_n in Sylvester order (H_2n = [[H, H], [H, -H]]), n a power of two (fact sheet,
// section 8: the indexer's q and k, n = 128).
//
// Mapping: one block per row, the row in shared memory (n floats of dynamic shared memory), log2(n) butterfly
// stages; stage h pairs (i, i + h) for i with bit h clear and writes (a + b, a - b). In natural index order these
// stages compute exactly the Sylvester-ordered product. The scale, fp32(n^-1/2) computed by the host in float64,
// is applied once at the end.
#include "dsv32_common.cuh"

extern "C" __global__ void dsv32_hadamard(const float* __restrict__ x, float* __restrict__ y, int n, float scale) {
    extern __shared__ float row[];
    const float* xr = x + (long)blockIdx.x * n;
    float* yr = y + (long)blockIdx.x * n;
    for (int i = threadIdx.x; i < n; i += blockDim.x) row[i] = xr[i];
    __syncthreads();
    for (int h = 1; h < n; h <<= 1) {
        for (int p = threadIdx.x; p < n / 2; p += blockDim.x) {
            int i = (p / h) * 2 * h + (p % h), j = i + h;
            float a = row[i], b = row[j];
            row[i] = __fadd_rn(a, b);
            row[j] = __fsub_rn(a, b);
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < n; i += blockDim.x) yr[i] = __fmul_rn(row[i], scale);
}
