package org.dsv32.reference;

import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlpOp;
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
        register(RmsNormOp.class, (ctx, self) -> new ReferenceRmsNorm(ctx, self));
        register(LayerNormOp.class, (ctx, self) -> new ReferenceLayerNorm(ctx, self));
        register(RopeOp.class, (ctx, self) -> new ReferenceRope(ctx, self));
        register(HadamardOp.class, (ctx, self) -> new ReferenceHadamard(ctx, self));
        register(MlpOp.class, (ctx, self) -> new ReferenceMlp(ctx, self));
    }

    @Override public String name() { return "reference"; }

    @Override public String description() { return "float64, single-threaded, readable; defines the semantics"; }

    @Override public Availability availability() { return Availability.yes(); }
}
