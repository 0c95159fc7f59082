package org.dsv32.spec.checkpoint;

import java.util.Arrays;
import java.util.Objects;
import org.dsv32.spec.io.DType;

/**
 * One tensor of a checkpoint as the layout prescribes it: name, dtype, shape in the checkpoint's own order
 * (Linear weights are [out][in]) and role.
 */
public record TensorSpec(String name, DType dtype, long[] shape, Role role) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, name);
        Objects.requireNonNull(role, name);
        shape = shape.clone();
        for (long d : shape) if (d <= 0) throw new IllegalArgumentException(name + ": non-positive dimension in " + Arrays.toString(shape));
    }

    @Override public long[] shape() { return shape.clone(); }

    /** Dimension {@code i} of the shape. */
    public long dim(int i) { return shape[i]; }

    public int rank() { return shape.length; }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() { return Math.multiplyExact(elementCount(), (long) dtype.bytes()); }

    /** True for a {@code weight_scale_inv} block-scale tensor (bytes, not parameters). */
    public boolean isScale() { return name.endsWith(CheckpointLayout.SCALE_SUFFIX); }

    /** True for FP8 e4m3 weight codes (their scale tensor is {@link CheckpointLayout#scaleOf}(name)). */
    public boolean isFp8() { return dtype == DType.F8_E4M3; }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape) && role == t.role;
    }

    @Override public int hashCode() { return Objects.hash(name, dtype, Arrays.hashCode(shape), role); }

    @Override public String toString() { return name + " " + dtype + Arrays.toString(shape) + " " + role; }
}
