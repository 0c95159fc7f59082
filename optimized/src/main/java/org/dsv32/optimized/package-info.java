/**
 * The {@code simd} backend: DeepSeek-V3.2 operations in float32 over FP8/BF16/FP32 data with
 * {@code jdk.incubator.vector}, multi-threaded and deterministic.
 *
 * <h2>Vector width</h2>
 * {@code -Ddsv32.vectorBits} = 0 (scalar), 128, 256 or 512, default the CPU's preferred width
 * ({@link org.dsv32.optimized.SimdSpecies}; tests switch it with {@code SimdSpecies.withBits}). The Vector API only
 * compiles to SIMD code when the species is a JIT constant, so each kernel family is one template class whose
 * {@code static final} species comes from its class data, loaded once per width as a hidden class. Writing kernels
 * for C2: a method may hold only a few dozen vector operations (past C2's inlining node budget the remaining
 * operations are no longer intrinsics and the method becomes many times slower), and vectors must not be passed to
 * or returned from methods that C2 might not inline (their exact type is lost) — hence the array-based hand-offs in
 * the GEMV.
 *
 * <h2>Threads and determinism</h2>
 * {@code -Ddsv32.threads} (default: available processors), {@link org.dsv32.optimized.SimdThreads}. Work is cut
 * into units fixed by the shape (128 output columns x 192 rows of x), never by the thread count, and every output
 * element is computed inside one unit in one fixed order: results are bitwise identical for any thread count.
 *
 * <h2>GEMM and GEMV ({@link org.dsv32.optimized.SimdFp8Gemm}, {@code SimdGemmDriver},
 * {@link org.dsv32.optimized.SimdDenseGemm})</h2>
 * Every output element follows one canonical order (documented on {@code SimdGemmProblem}): per 128-wide k-block a
 * sequential fp32 FMA chain over k, promoted with {@code acc = fma(blk, sa * sw, acc)}. Vector lanes run across
 * output columns, so each lane performs exactly the scalar sequence: GEMM, GEMV, the scalar path and every vector
 * width give the same bits for the same element, whatever the tiling. The weight is read from its segments (codes
 * and scales, or bf16/fp32 values): L rows x 4L bytes are transposed in registers and each e4m3 code is decoded by
 * shifting its 7 magnitude bits into fp32 position and multiplying by 2^120 (exact, subnormals included; the NaN
 * code is mapped to NaN). The GEMM decodes one 128 x 128 panel per k-block into a per-thread buffer reused by all
 * rows of x (6 x 4-vector register tile); nothing is ever dequantised as a whole.
 *
 * <h2>Numerics against the float64 reference</h2>
 * <ul>
 *   <li>Inputs cross the contract as float64 and are rounded to fp32 on entry; results are fp32 values.</li>
 *   <li>act_quant: fp32 amax, floor 1e-4f, s = amax * fp32(1/448), ue8m0 from the bits, q = e4m3(x / s) with x / s
 *       in fp32. With ue8m0 scales x / s is exact, so codes and scales equal the reference's bit for bit (NaN and
 *       infinity handled alike: a NaN tile has a NaN scale and NaN codes; an infinite amax gives scale +inf, zeros
 *       and a NaN code). With plain scales the rounded quotient can move a code by one step when the exact quotient
 *       lies within 2^-24 (relative) of an e4m3 midpoint: measured 9 codes in 10.24 million Gaussian inputs
 *       (about 2^-20 per element).</li>
 *   <li>FP8 GEMM: the e4m3 products qa * qw are exact in fp32 (at most 8 significant bits); a block sum of 128
 *       of them is exact only while the products' range fits 24 bits, otherwise each FMA rounds: per element
 *       |y32 - y64| <= (blockCols + B + 3) 2^-24 sum|a w sa sw| (B = number of k-blocks). Exact mode: the same bound
 *       with a = x in fp32 and the code values dequantised by their block scale in the promotion.</li>
 *   <li>RMSNorm / LayerNorm: fp32 sums (lane-parallel, then the lanes folded in a fixed tree order, never
 *       reduceLanes(ADD), whose order differs between interpreted and compiled code), relative error O(n 2^-24). The fused
 *       residual form leaves the fp32 sum in the residual.</li>
 *   <li>RoPE: angle p * f_i, cos and sin in float64, then rounded to fp32; one FMA per output.</li>
 *   <li>Hadamard: fast Walsh-Hadamard butterflies in fp32 then one multiply by fp32(n^-1/2); identical at every
 *       width.</li>
 *   <li>SwiGLU: silu(g) * u = g / (1 + fp32(Math.exp(-g))) * u elementwise, identical at every width (the Vector API's
 *       exp is a different function compiled and interpreted, so it would make results depend on the JIT).</li>
 * </ul>
 */
package org.dsv32.optimized;
