// Helpers shared by the dsv32 kernels. Every kernel is extern "C" so that its PTX entry name is the C name the
// Java side looks up (org.dsv32.cuda.KernelSignature); parameters are only pointers, int and float so that the
// Java launcher can pass them without knowing C++ layouts.
//
// Number formats follow the fact sheet, section 1: e4m3 is E4M3FN (no infinity, NaN only S.1111.111, max 448),
// rounding to it is round-to-nearest-even with saturation (the kernels' "satfinite" conversion), decoding is exact.
#pragma once
#include <stdint.h>

#define DSV32_TILE 128          // act_quant tile and FP8 weight block (fact sheet, sections 2-4)
#define DSV32_E4M3_MAX 448.0f

// fp32(1/448): the scale multiplies this rounded reciprocal, it does not divide by 448 (fact sheet, section 3).
#define DSV32_INV_E4M3_MAX 0x1.24924ap-9f  // bits 0x3b124925

// max that propagates NaN (torch's amax does; fmaxf would drop it). PTX max.NaN exists from sm_80.
__device__ __forceinline__ float max_nan(float a, float b) {
    float d;
    asm("max.NaN.f32 %0, %1, %2;" : "=f"(d) : "f"(a), "f"(b));
    return d;
}

// Two fp32 -> two e4m3 codes, round-to-nearest-even, saturating to +-448 (satfinite: out-of-range and +-inf
// clamp, NaN gives the NaN code). Returns lo in bits 0..7 and hi in bits 8..15.
__device__ __forceinline__ uint32_t e4m3x2_encode(float lo, float hi) {
    uint16_t d;
    // cvt's first source goes to the upper byte.
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(d) : "f"(hi), "f"(lo));
    return (uint32_t)d;
}

// Four fp32 -> four e4m3 codes packed little-endian in a 32-bit word (element 0 in the lowest byte).
__device__ __forceinline__ uint32_t e4m3x4_encode(float a, float b, float c, float d) {
    return e4m3x2_encode(a, b) | (e4m3x2_encode(c, d) << 16);
}

// Two e4m3 codes (bits 0..7 and 8..15) -> two exact fp32 values (through f16, which holds every e4m3 value).
__device__ __forceinline__ float2 e4m3x2_decode(uint32_t codes) {
    uint32_t h2;
    uint16_t c = (uint16_t)(codes & 0xFFFFu);
    asm("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(h2) : "h"(c));
    float lo, hi;
    asm("{ .reg .f16 l, h;\n\t mov.b32 {l, h}, %2;\n\t cvt.f32.f16 %0, l;\n\t cvt.f32.f16 %1, h; }"
        : "=f"(lo), "=f"(hi) : "r"(h2));
    return make_float2(lo, hi);
}

__device__ __forceinline__ float e4m3_decode(uint8_t code) { return e4m3x2_decode(code).x; }

// Warp reductions with a fixed butterfly order, so results do not depend on scheduling (bitwise deterministic).
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max_nan(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = max_nan(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Block-wide sum for blockDim.x a multiple of 32 (at most 1024); every thread gets the result. `scratch` holds
// 32 floats of shared memory. The order of additions is fixed by the thread layout: deterministic.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();  // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}
