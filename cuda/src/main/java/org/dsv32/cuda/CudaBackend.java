package org.dsv32.cuda;

import java.util.List;
import java.util.Optional;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.BalanceLossOp;
import org.dsv32.spec.ops.ExpertBiasUpdateOp;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MtpLossOp;
import org.dsv32.spec.ops.SpeculativeDecodingOp;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.backend.OpContext;

/**
 * The GPU backend ({@code cuda}) through JCuda's driver API: PTX for sm_90 loaded with {@code cuModuleLoadData},
 * kernels launched with {@code cuLaunchKernel}; at run time only the NVIDIA driver ({@code libcuda.so.1}) is needed.
 *
 * <p>On the GPU: act_quant, linear (FP8 tensor-core GEMM with per-128-block promotion, GEMV for one row, fp32
 * GEMM/GEMV for dense weights — bf16 read as stored — and the exact mode), RMSNorm (plain and fused residual),
 * LayerNorm, RoPE (both layouts), Hadamard, the MoE gate, the indexer (score with exact FP8 code dots and the top-k
 * selection, over a device key cache), MLA attention for decode steps (sparse absorbed attention over the selected
 * keys, latent cache on the device; prefill goes to simd's MLA composed over this backend), the MoE layer (grouped
 * expert GEMM, fp8 mode; the exact mode composes the MLP per expert), the model (embedding lookup, LM head) and the
 * FP8 backward GEMMs (Dgrad and Wgrad in fp32 with simd's order, so simd's bits).
 * Delegated to {@code simd}, composed over this backend (their parts come from here): the MLP, block and MTP;
 * reports name them through {@link #delegateOf}.
 *
 * <p>Without a usable GPU (no driver, no device, an older device, a driver that cannot load the PTX)
 * {@link #availability()} says why and {@link #operation} offers nothing, so nothing can count as passed; no
 * native-library error escapes.
 */
public final class CudaBackend extends RegistryBackend {
    /**
     * The operations this backend implements itself, their arithmetic on the GPU (MLA attention: decode steps;
     * its prefill is delegated inside the operation, see CudaMla).
     */
    public static final List<Class<? extends Operation>> ON_GPU = List.of(ActQuantOp.class, LinearOp.class,
            RmsNormOp.class, LayerNormOp.class, RopeOp.class, HadamardOp.class, MoeGateOp.class, IndexerOp.class,
            MlaAttentionOp.class, MoeOp.class, ModelOp.class, Fp8BackwardOp.class);

    private static volatile Availability availability;

    public CudaBackend() {
        SimdBackend simd = new SimdBackend();
        register(ActQuantOp.class, (c, self) -> new CudaActQuant(gpu()));
        register(LinearOp.class, (c, self) -> new CudaLinear(c, gpu(), () -> simd.require(LinearOp.class, c)));
        register(RmsNormOp.class, (c, self) -> new CudaRmsNorm(gpu()));
        register(LayerNormOp.class, (c, self) -> new CudaLayerNorm(gpu()));
        register(RopeOp.class, (c, self) -> new CudaRope(c, gpu()));
        register(HadamardOp.class, (c, self) -> new CudaHadamard(gpu()));
        register(MoeGateOp.class, (c, self) -> new CudaMoeGate(c, gpu()));
        register(IndexerOp.class, (c, self) -> new CudaIndexer(c, gpu(), self));
        // decode steps on the GPU; prefill to simd's MLA, composed over this backend (see CudaMla)
        register(MlaAttentionOp.class, (c, self) ->
                new CudaMla(c, gpu(), self, () -> CudaComposed.of(MlaAttentionOp.class, simd, self, c)));
        register(MoeOp.class, (c, self) -> new CudaMoe(c, gpu(), self));
        delegateComposed(MlpOp.class, simd);
        register(Fp8BackwardOp.class, (c, self) -> new CudaFp8Backward(c, gpu()));
        delegate(ExpertBiasUpdateOp.class, simd);
        delegate(BalanceLossOp.class, simd);
        delegate(IndexerLossOp.class, simd); // O(T H S d) next to the indexer forward: the float32 CPU loss serves
        delegateComposed(BlockOp.class, simd);
        register(ModelOp.class, (c, self) -> new CudaModel(c, gpu(), self));
        delegateComposed(MtpOp.class, simd);
        delegateComposed(MtpLossOp.class, simd);
        delegateComposed(SpeculativeDecodingOp.class, simd);
    }

    @Override public String name() { return "cuda"; }

    /** The FP8 GEMM (fp8_gemm.cu) sums each 128-block on the tensor cores (mma.sync e4m3) before its fp32 promotion. */
    @Override public org.dsv32.spec.tolerance.Accumulator fp8GemmAccumulator() { return org.dsv32.spec.tolerance.Accumulator.TENSOR_CORE_FP8; }

    @Override public String description() { return "NVIDIA GPU through JCuda's driver API (PTX for sm_90, FP8 tensor cores)"; }

    /**
     * Available when the driver loads, a device of compute capability 9.0 or more is there, and the PTX modules
     * load on it (the driver JIT-compiles them). Decided once per process.
     */
    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            synchronized (CudaBackend.class) {
                a = availability;
                if (a == null) availability = a = probeAndOpen();
            }
        }
        return a;
    }

    private static Availability probeAndOpen() {
        Availability driver = CudaProbe.probe();
        if (!driver.available()) return driver;
        try {
            CudaContext.shared();
            return Availability.yes();
        } catch (Throwable t) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            return Availability.no(CudaProbe.firstLine(m));
        }
    }

    /** The device, for reports; empty when unavailable. */
    public Optional<String> device() {
        return availability().available() ? Optional.of(CudaContext.shared().description()) : Optional.empty();
    }

    /**
     * An unavailable backend offers no operation at all (the harness then reports it unavailable, never passed). Nor
     * does it in bf16 precision mode: the GPU kernels place the FP8 rounding points only, not the bf16 ones of
     * spec/SEMANTICS.md §5c, so a bf16 run reports NOT IMPLEMENTED rather than fp8 arithmetic under a bf16 label.
     */
    @Override
    public <T extends Operation> Optional<T> operation(Class<T> type, OpContext context) {
        if (!availability().available() || context.bf16()) return Optional.empty();
        return super.operation(type, context);
    }

    private static CudaContext gpu() { return CudaContext.shared(); }
}
