// Embedding lookup (fact sheet, section 10): out[t] = table[tokens[t]] as fp32 rows. The table is the checkpoint's
// bf16 [vocab][D] (dsv32_embed_bf16: each element widened exactly, bits << 16) or an fp32 copy of any other dtype
// (dsv32_embed_f32). Exact: no rounding. The host checks every id against the vocabulary. One thread per element.
#include "dsv32_common.cuh"

extern "C" __global__ void dsv32_embed_bf16(const uint16_t* __restrict__ table, const int* __restrict__ tokens,
                                            float* __restrict__ out, int T, int D) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long)T * D) return;
    long t = i / D, c = i % D;
    out[i] = __uint_as_float((uint32_t)table[(long)tokens[t] * D + c] << 16);
}

extern "C" __global__ void dsv32_embed_f32(const float* __restrict__ table, const int* __restrict__ tokens,
                                           float* __restrict__ out, int T, int D) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long)T * D) return;
    long t = i / D, c = i % D;
    out[i] = table[(long)tokens[t] * D + c];
}
