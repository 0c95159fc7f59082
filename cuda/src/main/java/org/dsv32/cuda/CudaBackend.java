package org.dsv32.cuda;

import java.util.Optional;
import org.dsv32.spec.backend.Availability;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.ops.Operation;

/** The GPU backend ({@code cuda}) through JCuda's driver API. */
public final class CudaBackend implements Backend {
    @Override public String name() { return "cuda"; }

    @Override public String description() { return "NVIDIA GPU through JCuda's driver API (PTX for sm_90)"; }

    @Override public Availability availability() { return CudaProbe.probe(); }

    @Override
    public <T extends Operation> Optional<T> operation(Class<T> type, OpContext context) {
        return Optional.empty();
    }
}
