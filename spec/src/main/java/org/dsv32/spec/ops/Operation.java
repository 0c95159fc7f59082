package org.dsv32.spec.ops;

/**
 * Marker of an operation contract. Each operation is one small interface, created by a
 * {@link org.dsv32.spec.backend.Backend} bound to an {@link org.dsv32.spec.backend.OpContext} (config and precision
 * mode). Operations are stateless apart from the caches passed to them, which the Javadoc names as modified.
 * Activations cross the boundary as {@link org.dsv32.spec.tensor.TensorF64} whatever a backend computes in.
 */
public interface Operation {}
