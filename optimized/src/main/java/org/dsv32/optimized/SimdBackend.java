package org.dsv32.optimized;

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
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeOp;

/** The optimized CPU backend ({@code simd}): float32 over FP8/BF16 data with jdk.incubator.vector. */
public final class SimdBackend extends RegistryBackend {
    public SimdBackend() {
        // One line per operation: the class that implements it.
        register(ActQuantOp.class, (ctx, self) -> new SimdActQuant());
        register(LinearOp.class, (ctx, self) -> new SimdLinear(ctx, self.operation(ActQuantOp.class, ctx).orElse(null)));
        register(Fp8BackwardOp.class, (ctx, self) -> new SimdFp8Backward(ctx));
        register(RmsNormOp.class, (ctx, self) -> new SimdRmsNorm(ctx.bf16()));
        register(LayerNormOp.class, (ctx, self) -> new SimdLayerNorm(ctx.bf16()));
        register(RopeOp.class, (ctx, self) -> new SimdRope(ctx));
        register(HadamardOp.class, (ctx, self) -> new SimdHadamard(ctx.bf16()));
        register(MlpOp.class, SimdMlp::new);
        register(IndexerOp.class, SimdIndexer::new);
        register(MlaAttentionOp.class, SimdMla::new);
        register(MoeGateOp.class, SimdMoeGate::new);
        register(MoeOp.class, SimdMoe::new);
        register(ExpertBiasUpdateOp.class, (ctx, self) -> new SimdExpertBiasUpdate());
        register(BalanceLossOp.class, (ctx, self) -> new SimdBalanceLoss());
        register(IndexerLossOp.class, (ctx, self) -> new SimdIndexerLoss());
        register(BlockOp.class, SimdBlock::new);
        register(ModelOp.class, SimdModel::new);
        register(MtpOp.class, SimdMtp::new);
        register(MtpLossOp.class, SimdMtpLoss::new);
        // the loop is backend-generic bookkeeping; every logit it decides on comes from simd's model and MTP module
        register(SpeculativeDecodingOp.class, (ctx, self) -> new org.dsv32.spec.generate.SpeculativeDecoding(self, ctx));
    }

    @Override public String name() { return "simd"; }

    @Override public String description() {
        return "float32 over FP8/BF16 data, jdk.incubator.vector (" + SimdSpecies.bits() + "-bit), "
                + SimdThreads.threads() + " threads, deterministic";
    }

    @Override public Availability availability() { return Availability.yes(); }
}
