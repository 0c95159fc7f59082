package org.dsv32.cuda;

import java.util.List;

/**
 * Every kernel of the committed PTX: its module (the resource {@code /ptx/MODULE.ptx}, compiled from
 * {@code cuda/src/main/cuda/MODULE.cu}), its entry name and its parameter list. Launches are checked against the
 * parameter list before they reach the driver (a wrong argument would otherwise be silent memory corruption), and
 * {@code CudaKernelSignatureTest} checks the list against the {@code .param} declarations of the PTX itself.
 */
enum CudaKernel {
    ACT_QUANT("act_quant", "dsv32_act_quant", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32),
    FP8_GEMM("fp8_gemm", "dsv32_fp8_gemm", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32, Param.I32),
    FP8_GEMV("fp8_gemm", "dsv32_fp8_gemv", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32),
    FP8_GROUPED_GEMM("fp8_gemm", "dsv32_fp8_grouped_gemm", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR,
            Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32),
    FP8_DEQUANT("fp8_gemm", "dsv32_fp8_dequant", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32, Param.I32),
    SGEMM("dense_gemm", "dsv32_sgemm", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32),
    SGEMV("dense_gemm", "dsv32_sgemv", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32),
    SGEMM_BF16W("dense_gemm", "dsv32_sgemm_bf16w", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32),
    SGEMV_BF16W("dense_gemm", "dsv32_sgemv_bf16w", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32),
    EMBED_BF16("embedding", "dsv32_embed_bf16", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32),
    EMBED_F32("embedding", "dsv32_embed_f32", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32),
    RMSNORM("norms", "dsv32_rmsnorm", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.F32),
    RMSNORM_RESIDUAL("norms", "dsv32_rmsnorm_residual", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.F32),
    LAYERNORM("norms", "dsv32_layernorm", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.F32),
    ROPE("rope", "dsv32_rope", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32),
    HADAMARD("hadamard", "dsv32_hadamard", Param.PTR, Param.PTR, Param.I32, Param.F32),
    MOE_GATE("moe_gate", "dsv32_moe_gate", Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32,
            Param.F32, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR),
    INDEXER_SCORE_FP8("indexer", "dsv32_indexer_score_fp8", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR,
            Param.I32, Param.I32, Param.I32, Param.I32),
    INDEXER_SCORE_F32("indexer", "dsv32_indexer_score_f32", Param.PTR, Param.PTR, Param.PTR, Param.PTR,
            Param.I32, Param.I32, Param.I32, Param.I32),
    TOPK_ROWS("indexer", "dsv32_topk_rows", Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32),
    MLA_ABSORB_Q("mla_decode", "dsv32_mla_absorb_q", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32, Param.I32),
    MLA_SPARSE_ATTEND("mla_decode", "dsv32_mla_sparse_attend", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR,
            Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32, Param.I32, Param.F32),
    MLA_EXPAND_V("mla_decode", "dsv32_mla_expand_v", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32,
            Param.I32, Param.I32),
    SWIGLU("moe", "dsv32_swiglu", Param.PTR, Param.PTR, Param.PTR, Param.I32),
    MOE_COMBINE("moe", "dsv32_moe_combine", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32),
    // the backward GEMMs: a, sa, b, sb, c, then rows, inner, cols, aRow, aInner, saRow, saBlock, sbBlock, sbColDiv, aScaled, bScaled
    BWD_GEMM_Q8Q8("fp8_backward", "dsv32_bwd_gemm_q8q8", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32,
            Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32),
    BWD_GEMM_F32Q8("fp8_backward", "dsv32_bwd_gemm_f32q8", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32,
            Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32),
    BWD_GEMM_F32F32("fp8_backward", "dsv32_bwd_gemm_f32f32", Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32,
            Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32, Param.I32),
    BWD_QUANT("fp8_backward", "dsv32_bwd_quant", Param.PTR, Param.PTR, Param.PTR, Param.I32, Param.I32, Param.I32, Param.I32,
            Param.I32, Param.I32, Param.I32);

    /** A kernel parameter: a device pointer ({@link DeviceBuffer}), a 32-bit int or an fp32 float. */
    enum Param {
        PTR(".u64"), I32(".u32"), F32(".f32");

        /** The PTX type nvcc declares for this C parameter type (pointers and int as unsigned bit patterns). */
        final String ptxType;

        Param(String ptxType) { this.ptxType = ptxType; }

        boolean accepts(Object arg) {
            return switch (this) {
                case PTR -> arg instanceof DeviceBuffer;
                case I32 -> arg instanceof Integer;
                case F32 -> arg instanceof Float;
            };
        }
    }

    final String module;
    final String entry;
    final List<Param> params;

    CudaKernel(String module, String entry, Param... params) {
        this.module = module;
        this.entry = entry;
        this.params = List.of(params);
    }

    /** Classpath resource of the PTX module holding this kernel. */
    String resource() { return "/ptx/" + module + ".ptx"; }

    /** Throws an IllegalArgumentException naming the kernel and parameter when {@code args} do not fit. */
    void checkArguments(Object... args) {
        if (args.length != params.size()) {
            throw new IllegalArgumentException(entry + ": " + args.length + " arguments for " + params.size() + " parameters " + params);
        }
        for (int i = 0; i < args.length; i++) {
            if (!params.get(i).accepts(args[i])) {
                throw new IllegalArgumentException(entry + ": argument " + i + " is "
                        + (args[i] == null ? "null" : args[i].getClass().getSimpleName()) + ", parameter is " + params.get(i));
            }
        }
    }
}
