// Sparse MLA attention in the absorbed form (fact sheet, section 7; ReferenceMla.absorbed is the float64
// definition). For query token t, head h, with n = qk_nope_head_dim, v = v_head_dim, R = kv_lora_rank, r = rope:
//
//   q~[c]  = sum_d W_kvb[h(n+v) + d][c] * q_nope[d]                 W_uk[h]^T q_nope            (dsv32_mla_absorb_q)
//   z_i    = (q~ . c_kv(s_i) + q_pe . k_pe(s_i)) * scale            over the attended keys s_i  (dsv32_mla_sparse_attend)
//   p_i    = exp(z_i - max z) / sum_j exp(z_j - max z)
//   o~[c]  = sum_i p_i * c_kv(s_i)[c]
//   o[j]   = sum_c W_kvb[h(n+v) + n + j][c] * o~[c]                 W_uv[h] o~                  (dsv32_mla_expand_v)
//
// W_kvb is the dequantised kv_b_proj in fp32 (exact with ue8m0 scales), c_kv and k_pe the cached latents in fp32 (the
// device mirror of the LayerCache; in fp8 mode c_kv already holds the FP8 round trip), no act_quant anywhere, as in
// the reference's absorbed form. The attended keys of a query are given by the host: the selected keys that are
// visible (s <= position), each once, in ascending index — the reference's set and summation order.
//
// Where it rounds: everything fp32 with fma chains in a fixed order — q~ and o over ascending d / c per thread;
// a logit as one warp's lane-strided sums over the 512 latent and 64 rope terms then a fixed butterfly, times
// scale; the softmax max and sum over the keys with fixed block reductions, p_i = e_i / sum (the reference divides
// the same way); o~ over ascending i. expf is CUDA's accurate expf (about 2 ulp). Deterministic.
#include "dsv32_common.cuh"

#define MLA_THREADS 256
#define MLA_MAX_NOPE 512
#define MLA_MAX_RANK 1024
#define MLA_MAX_ROPE 128

// Block-wide max that propagates NaN (Java's Math.max does), same layout rules as block_sum.
__device__ __forceinline__ float block_max_nan(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max_nan(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -INFINITY;
    return warp_max_nan(v);
}

// q~ [T][H][R] from q_nope [T][H][n] and W_kvb [H(n+v)][R]. Grid (T * H, ceil(R / 256)), 256 threads, thread c.
extern "C" __global__ void __launch_bounds__(MLA_THREADS)
dsv32_mla_absorb_q(const float* __restrict__ qNope, const float* __restrict__ wkvb, float* __restrict__ qTilde,
                   int H, int nope, int vdim, int rank) {
    __shared__ float qn[MLA_MAX_NOPE];
    const int th = blockIdx.x, h = th % H;
    for (int d = threadIdx.x; d < nope; d += blockDim.x) qn[d] = qNope[(long)th * nope + d];
    __syncthreads();
    const int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (c >= rank) return;
    const float* w = wkvb + (long)h * (nope + vdim) * rank + c;
    float acc = 0.0f;
    for (int d = 0; d < nope; d++) acc = __fmaf_rn(w[(long)d * rank], qn[d], acc);
    qTilde[(long)th * rank + c] = acc;
}

// o~ [T][H][R] from q~ [T][H][R], q_pe [T][H][r], the cache (latents [S][R], k_pe [S][r]) and the attended keys
// keys [T][maxKeys] (the first nKeys[t] of row t, ascending, each visible). Grid T * H (one CTA per query and head),
// 256 threads. Dynamic shared memory: maxKeys floats (logits, then probabilities) and maxKeys ints (key indices).
extern "C" __global__ void __launch_bounds__(MLA_THREADS)
dsv32_mla_sparse_attend(const float* __restrict__ qTilde, const float* __restrict__ qPe,
                        const float* __restrict__ latents, const float* __restrict__ kPe,
                        const int* __restrict__ keys, const int* __restrict__ nKeys, float* __restrict__ oTilde,
                        int H, int rank, int rope, int maxKeys, float scale) {
    __shared__ float qt[MLA_MAX_RANK];
    __shared__ float qp[MLA_MAX_ROPE];
    __shared__ float scratch[32];
    extern __shared__ float dyn[];
    float* p = dyn;                                   // [maxKeys]
    int* kidx = reinterpret_cast<int*>(dyn + maxKeys);   // [maxKeys]

    const int th = blockIdx.x, t = th / H;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const int nk = nKeys[t];
    for (int c = threadIdx.x; c < rank; c += blockDim.x) qt[c] = qTilde[(long)th * rank + c];
    for (int d = threadIdx.x; d < rope; d += blockDim.x) qp[d] = qPe[(long)th * rope + d];
    for (int i = threadIdx.x; i < nk; i += blockDim.x) kidx[i] = keys[(long)t * maxKeys + i];
    __syncthreads();

    // Logits: one warp per key.
    for (int i = warp; i < nk; i += warps) {
        const long s = kidx[i];
        const float* lat = latents + s * rank;
        const float* pe = kPe + s * rope;
        float part = 0.0f;
        for (int c = lane; c < rank; c += 32) part = __fmaf_rn(qt[c], lat[c], part);
        for (int d = lane; d < rope; d += 32) part = __fmaf_rn(qp[d], pe[d], part);
        float dot = warp_sum(part);
        if (lane == 0) p[i] = __fmul_rn(dot, scale);
    }
    __syncthreads();

    // Softmax over the attended keys.
    float m = -INFINITY;
    for (int i = threadIdx.x; i < nk; i += blockDim.x) m = max_nan(m, p[i]);
    m = block_max_nan(m, scratch);
    float sum = 0.0f;
    for (int i = threadIdx.x; i < nk; i += blockDim.x) {
        float e = expf(__fsub_rn(p[i], m));
        p[i] = e;
        sum = __fadd_rn(sum, e);
    }
    sum = block_sum(sum, scratch);   // its barriers also publish every p[i]
    for (int i = threadIdx.x; i < nk; i += blockDim.x) p[i] = __fdiv_rn(p[i], sum);
    __syncthreads();

    // o~ = sum_i p_i c_kv(s_i): thread c, keys in ascending order.
    for (int c = threadIdx.x; c < rank; c += blockDim.x) {
        float o = 0.0f;
        for (int i = 0; i < nk; i++) o = __fmaf_rn(p[i], latents[(long)kidx[i] * rank + c], o);
        oTilde[(long)th * rank + c] = o;
    }
}

// out [T][H * v] from o~ [T][H][R] and W_kvb: one warp per output (t, h, j), lanes over c, a fixed butterfly.
// Grid ceil(T * H * v / 8), 256 threads.
extern "C" __global__ void __launch_bounds__(MLA_THREADS)
dsv32_mla_expand_v(const float* __restrict__ oTilde, const float* __restrict__ wkvb, float* __restrict__ out,
                   int T, int H, int nope, int vdim, int rank) {
    const int lane = threadIdx.x & 31;
    const long g = (long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (g >= (long)T * H * vdim) return;   // whole warps leave together
    const int t = (int)(g / ((long)H * vdim));
    const int r = (int)(g % ((long)H * vdim));
    const int h = r / vdim, j = r % vdim;
    const float* row = wkvb + ((long)h * (nope + vdim) + nope + j) * rank;
    const float* o = oTilde + ((long)t * H + h) * rank;
    float part = 0.0f;
    for (int c = lane; c < rank; c += 32) part = __fmaf_rn(row[c], o[c], part);
    float s = warp_sum(part);
    if (lane == 0) out[g] = s;
}
