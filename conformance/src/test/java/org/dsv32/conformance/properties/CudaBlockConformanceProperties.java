package org.dsv32.conformance.properties;

import org.dsv32.cuda.CudaBackend;
import org.dsv32.spec.backend.Backend;

/** {@link BlockProperties} for the cuda backend; skipped as UNAVAILABLE without a GPU, NOT IMPLEMENTED without the operation. */
class CudaBlockConformanceProperties extends BlockProperties {
    @Override protected Backend backend() { return new CudaBackend(); }
}
