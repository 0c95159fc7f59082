package org.dsv32.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A device allocation owned by a {@link CudaContext}. Closing it frees the memory; buffers still open when their
 * context closes are freed by the context. Not thread-safe on its own: use it under its context's lock.
 */
final class DeviceBuffer implements AutoCloseable {
    private final CudaContext owner;
    final CUdeviceptr pointer;
    final long bytes;
    private boolean freed;

    DeviceBuffer(CudaContext owner, CUdeviceptr pointer, long bytes) {
        this.owner = owner;
        this.pointer = pointer;
        this.bytes = bytes;
    }

    boolean isFreed() { return freed; }

    /** Marks the buffer freed; returns whether it was live (the context frees the memory once). */
    boolean markFreed() {
        boolean live = !freed;
        freed = true;
        return live;
    }

    @Override
    public void close() {
        if (owner != null) owner.free(this);
        else freed = true;
    }

    @Override
    public String toString() { return "DeviceBuffer[" + bytes + " bytes" + (freed ? ", freed" : "") + "]"; }
}
