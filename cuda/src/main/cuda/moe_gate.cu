// The MoE router after its fp32 logits (fact sheet, section 9; the logits come from dsv32_sgemm / dsv32_sgemv):
//   s = sigmoid(logit)                          fp32, 1 / (1 + exp(-logit)) with the accurate expf
//   b = s + e_score_correction_bias             selection only
//   group score = sum of the two largest b of each of the G groups of E / G consecutive experts
//   keep the topk_group best groups; every expert of another group gets b = -inf (not 0)
//   select the k experts of largest b
//   w_i = s_i / sum(selected s) * routed_scaling_factor   (s without the bias; the sum only when norm != 0)
// Ties go to the lower index, for groups and experts; NaN ranks below everything, -inf included. The kept groups
// and the experts are written in selection order (descending score).
//
// Mapping: one block per token. Threads compute s and b for their experts into shared memory, one thread per
// group computes the group score, and thread 0 makes the (inherently sequential, at most E * k comparisons)
// selections: selection is a handful of microseconds next to the router GEMV, and sequential code is easy to
// check against the definition. Dynamic shared memory: E floats (b), E bytes (taken flags) and G floats.
#include "dsv32_common.cuh"

// u ranks strictly before v (u better): larger, and any number beats NaN.
__device__ __forceinline__ bool ranks_before(float u, float v) {
    if (isnan(u)) return false;
    if (isnan(v)) return true;
    return u > v;
}

extern "C" __global__ void dsv32_moe_gate(const float* __restrict__ logits, const float* __restrict__ bias,
                                          int E, int G, int topkGroup, int k, int norm, float scaling,
                                          float* __restrict__ sOut, float* __restrict__ bOut,
                                          float* __restrict__ groupOut, int* __restrict__ groupsOut,
                                          int* __restrict__ expertsOut, float* __restrict__ weightsOut) {
    extern __shared__ float smem[];
    float* b = smem;                               // [E]
    float* gscore = smem + E;                      // [G]
    unsigned char* taken = (unsigned char*)(smem + E + G);   // [E]
    const long tok = blockIdx.x;
    const int per = E / G;

    for (int e = threadIdx.x; e < E; e += blockDim.x) {
        float s = __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-logits[tok * E + e])));
        sOut[tok * E + e] = s;
        b[e] = __fadd_rn(s, bias[e]);
        taken[e] = 0;
    }
    __syncthreads();
    for (int g = threadIdx.x; g < G; g += blockDim.x) {
        // The two best of the group (ties to the lower index); a one-expert group scores its only member.
        int first = -1, second = -1;
        for (int e = g * per; e < (g + 1) * per; e++) {
            if (first < 0 || ranks_before(b[e], b[first])) { second = first; first = e; }
            else if (second < 0 || ranks_before(b[e], b[second])) second = e;
        }
        float sum = b[first];
        if (second >= 0) sum = __fadd_rn(sum, b[second]);
        gscore[g] = sum;
        groupOut[tok * G + g] = sum;
    }
    __syncthreads();
    if (threadIdx.x != 0) return;

    // Kept groups: topkGroup passes of "best not yet kept", scanning upwards so that ties keep the lower index.
    unsigned long long keptMask = 0;   // G <= 64 (checked by the host)
    for (int pick = 0; pick < topkGroup; pick++) {
        int best = -1;
        for (int g = 0; g < G; g++) {
            if (keptMask >> g & 1ull) continue;
            if (best < 0 || ranks_before(gscore[g], gscore[best])) best = g;
        }
        keptMask |= 1ull << best;
        groupsOut[tok * topkGroup + pick] = best;
    }
    for (int e = 0; e < E; e++) {
        if (!(keptMask >> (e / per) & 1ull)) b[e] = -INFINITY;
        bOut[tok * E + e] = b[e];
    }
    // Experts: k passes over the masked selection scores.
    float sum = 0.0f;
    for (int pick = 0; pick < k; pick++) {
        int best = -1;
        for (int e = 0; e < E; e++) {
            if (taken[e]) continue;
            if (best < 0 || ranks_before(b[e], b[best])) best = e;
        }
        taken[best] = 1;
        expertsOut[tok * k + pick] = best;
        float s = sOut[tok * E + best];
        weightsOut[tok * k + pick] = s;
        sum = __fadd_rn(sum, s);
    }
    for (int pick = 0; pick < k; pick++) {
        float w = weightsOut[tok * k + pick];
        if (norm) w = __fdiv_rn(w, sum);
        weightsOut[tok * k + pick] = __fmul_rn(w, scaling);
    }
}
