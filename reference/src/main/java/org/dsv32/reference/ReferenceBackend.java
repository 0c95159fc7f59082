package org.dsv32.reference;

import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.RegistryBackend;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.MtpOp;

/**
 * The float64 reference backend ({@code reference}): defines what every other backend must compute.
 * Subclass it and re-register one operation to make a mutant.
 */
public class ReferenceBackend extends RegistryBackend {
    public ReferenceBackend() {
        // One line per operation: the class that implements it.
        register(BlockOp.class, ReferenceBlock::new);
        register(ModelOp.class, ReferenceModel::new);
        register(MtpOp.class, ReferenceMtp::new);
    }

    @Override public String name() { return "reference"; }

    @Override public String description() { return "float64, single-threaded, readable; defines the semantics"; }

    @Override public Availability availability() { return Availability.yes(); }
}
