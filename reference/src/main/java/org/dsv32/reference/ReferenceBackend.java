package org.dsv32.reference;

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

/**
 * The float64 reference backend ({@code reference}): defines what every other backend must compute.
 * Subclass it and re-register one operation to make a mutant.
 */
public class ReferenceBackend extends RegistryBackend {
    public ReferenceBackend() {
        // One line per operation: the class that implements it.
        register(ActQuantOp.class, (ctx, self) -> new ReferenceActQuant(ctx, self));
        register(LinearOp.class, (ctx, self) -> new ReferenceLinear(ctx, self));
        register(Fp8BackwardOp.class, (ctx, self) -> new ReferenceFp8Backward(ctx, self));
        register(RmsNormOp.class, (ctx, self) -> new ReferenceRmsNorm(ctx, self));
        register(LayerNormOp.class, (ctx, self) -> new ReferenceLayerNorm(ctx, self));
        register(RopeOp.class, (ctx, self) -> new ReferenceRope(ctx, self));
        register(HadamardOp.class, (ctx, self) -> new ReferenceHadamard(ctx, self));
        register(MlpOp.class, (ctx, self) -> new ReferenceMlp(ctx, self));
        register(MoeGateOp.class, (ctx, self) -> new ReferenceMoeGate(ctx, self));
        register(MoeOp.class, (ctx, self) -> new ReferenceMoe(ctx, self));
        register(ExpertBiasUpdateOp.class, (ctx, self) -> new ReferenceExpertBiasUpdate(ctx, self));
        register(BalanceLossOp.class, (ctx, self) -> new ReferenceBalanceLoss(ctx, self));
        register(IndexerLossOp.class, (ctx, self) -> new ReferenceIndexerLoss(ctx, self));
        register(IndexerOp.class, (ctx, self) -> new ReferenceIndexer(ctx, self));
        register(MlaAttentionOp.class, (ctx, self) -> new ReferenceMla(ctx, self));
        register(BlockOp.class, (ctx, self) -> new ReferenceBlock(ctx, self));
        register(ModelOp.class, (ctx, self) -> new ReferenceModel(ctx, self));
        register(MtpOp.class, (ctx, self) -> new ReferenceMtp(ctx, self));
        register(MtpLossOp.class, (ctx, self) -> new ReferenceMtpLoss(ctx, self));
        register(SpeculativeDecodingOp.class, (ctx, self) -> new ReferenceSpeculativeDecoding(ctx, self));
    }

    @Override public String name() { return "reference"; }

    @Override public String description() { return "float64, single-threaded, readable; defines the semantics"; }

    @Override public Availability availability() { return Availability.yes(); }
}
