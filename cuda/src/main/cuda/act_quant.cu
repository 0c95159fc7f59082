// Dynamic activation quantisation (fact sheet, section 3), on fp32 activations.
//
// Mapping: one warp per 128-column tile; lane l holds columns 4l..4l+3 of the tile (one float4 load, one 32-bit
// store of four codes). Per tile:
//   amax = max(max |x|, 1e-4)            NaN propagates (max.NaN), as torch's amax does
//   s    = amax * fp32(1/448)            one fp32 multiply, round-to-nearest
//   ue8m0: s rounded UP to a power of two from its fp32 bits (exponent, +1 when the mantissa is non-zero;
//          a subnormal s becomes 2^-126); a NaN or infinite s is kept
//   q    = e4m3(x / s)                   IEEE fp32 division, then nearest-even with saturation
// The scale written is the one the codes were made with. Differences from the float64 reference: the input is
// fp32 (x was rounded once to fp32) and x / s is an fp32 quotient; with a ue8m0 scale (a power of two) the
// quotient is exact, so the codes can differ only where that first fp32 rounding moved x across an e4m3
// rounding boundary.
#include "dsv32_common.cuh"

__device__ __forceinline__ float ue8m0_round_up(float s) {
    uint32_t bits = __float_as_uint(s);
    uint32_t exp = (bits >> 23) & 0xFFu, man = bits & 0x7FFFFFu;
    if (exp == 0xFFu) return s;                  // NaN or infinity: kept
    if (exp == 0u) return 1.17549435e-38f;       // subnormal (or zero): the smallest normal power of two
    if (man != 0u) exp++;                        // may reach 255: +infinity, as the bit rule gives
    return __uint_as_float(exp << 23);
}

// x [rows][cols] fp32 (cols a multiple of 128, rows 16-byte aligned); codes [rows][cols] e4m3;
// scales [rows][cols/128] fp32. ue8m0 != 0 selects the power-of-two scale format.
extern "C" __global__ void dsv32_act_quant(const float* __restrict__ x, uint8_t* __restrict__ codes,
                                           float* __restrict__ scales, int rows, int cols, int ue8m0) {
    int lane = threadIdx.x & 31;
    long warp = ((long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int tilesPerRow = cols / DSV32_TILE;
    if (warp >= (long)rows * tilesPerRow) return;
    long r = warp / tilesPerRow;
    int t = (int)(warp % tilesPerRow);
    long base = r * cols + (long)t * DSV32_TILE + 4 * lane;

    float4 v = *reinterpret_cast<const float4*>(x + base);
    float amax = max_nan(max_nan(fabsf(v.x), fabsf(v.y)), max_nan(fabsf(v.z), fabsf(v.w)));
    amax = warp_max_nan(amax);
    amax = max_nan(amax, 0x1.a36e2ep-14f);  // fp32(1e-4): same result as flooring in float64 then rounding
    float s = __fmul_rn(amax, DSV32_INV_E4M3_MAX);
    if (ue8m0) s = ue8m0_round_up(s);

    uint32_t packed = e4m3x4_encode(__fdiv_rn(v.x, s), __fdiv_rn(v.y, s), __fdiv_rn(v.z, s), __fdiv_rn(v.w, s));
    *reinterpret_cast<uint32_t*>(codes + base) = packed;
    if (lane == 0) scales[r * tilesPerRow + t] = s;
}
