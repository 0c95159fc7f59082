package org.dsv32.conformance.properties;

import org.dsv32.cuda.CudaBackend;
import org.dsv32.spec.backend.Backend;

/** {@link MoeProperties} for the cuda backend; skipped as UNAVAILABLE without a GPU, NOT IMPLEMENTED without the operation. */
class CudaMoeConformanceProperties extends MoeProperties {
    @Override protected Backend backend() { return new CudaBackend(); }
}
