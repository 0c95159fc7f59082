package org.dsv32.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * Everything this process holds on one GPU, with one lifecycle: the device's primary context (retained on open,
 * released on close), the PTX modules ({@link CudaKernels}), the device copies of weights — uploaded once and
 * cached by identity of the {@link Weight} object — and every buffer allocated through it. {@link #close()} frees
 * all of it; using a closed context is an error.
 *
 * <p>JCuda exceptions are enabled: every failing driver call throws {@link jcuda.CudaException} naming the error.
 * All methods are synchronized and make the context current on the calling thread first, so operations may be
 * called from any thread (they are serialised on the device).
 */
public final class CudaContext implements AutoCloseable {
    /** The compute capability the PTX targets (sm_90); older devices cannot run the FP8 tensor-core kernels. */
    static final int REQUIRED_CAPABILITY = 90;
    private static final long CHUNK = 16L << 20;

    private final CUdevice device;
    private final CUcontext context;
    private final CudaKernels kernels;
    private final String description;
    private final Set<DeviceBuffer> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Weight, Fp8DeviceWeight> fp8Weights = new IdentityHashMap<>();
    private final Map<Weight, DeviceBuffer> f32Weights = new IdentityHashMap<>();
    private final Map<Weight, Fp8Bank> banks = new IdentityHashMap<>();
    private final Map<Weight, DeviceBuffer> bf16Weights = new IdentityHashMap<>();
    private boolean closed;

    /** An FP8 weight on the device: e4m3 codes [rows][cols] and fp32 block scales [ceil(rows/BR)][ceil(cols/BC)]. */
    record Fp8DeviceWeight(DeviceBuffer codes, DeviceBuffer scales, int rows, int cols, int blockRows, int blockCols) {}

    /**
     * Several FP8 weights of one shape packed on the device, for the grouped expert GEMM: codes [count][rows][cols]
     * and scales [count][ceil(rows/BR)][ceil(cols/BC)], member i at offset i times one weight's size.
     */
    record Fp8Bank(List<Weight> members, DeviceBuffer codes, DeviceBuffer scales, int rows, int cols, int blockRows, int blockCols) {
        int count() { return members.size(); }
    }

    private CudaContext(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        device = new CUdevice();
        cuDeviceGet(device, ordinal);
        int capability = capability(device);
        if (capability < REQUIRED_CAPABILITY) {
            throw new IllegalStateException("device " + ordinal + " (" + name(device) + ") has compute capability "
                    + capability / 10 + "." + capability % 10 + "; the kernels need sm_90 (FP8 tensor cores, PTX for sm_90)");
        }
        context = new CUcontext();
        cuDevicePrimaryCtxRetain(context, device);
        try {
            cuCtxSetCurrent(context);
            kernels = CudaKernels.load();
        } catch (RuntimeException e) {
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
        int[] driver = new int[1];
        cuDriverGetVersion(driver);
        long[] mem = new long[1];
        cuDeviceTotalMem(mem, device);
        description = name(device) + ", sm_" + capability + ", " + (mem[0] >> 30) + " GiB, driver API "
                + driver[0] / 1000 + "." + (driver[0] % 1000) / 10;
    }

    /** Opens device {@code ordinal}: retains its primary context and loads the PTX. Throws when that is impossible. */
    public static CudaContext open(int ordinal) { return new CudaContext(ordinal); }

    private static CudaContext shared;

    /**
     * The process-wide context on device 0 that {@link CudaBackend} uses, opened on first use and closed by a
     * shutdown hook. Throws (every time) when the device cannot be opened.
     */
    static synchronized CudaContext shared() {
        if (shared == null || shared.isClosed()) {
            CudaContext c = open(0);
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "dsv32-cuda-close"));
            shared = c;
        }
        return shared;
    }

    static int capability(CUdevice device) {
        int[] major = new int[1], minor = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        return major[0] * 10 + minor[0];
    }

    static String name(CUdevice device) {
        byte[] b = new byte[256];
        cuDeviceGetName(b, b.length, device);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Device name, capability, memory and driver version, for reports. */
    public String description() { return description; }

    public synchronized boolean isClosed() { return closed; }

    private void makeCurrent() {
        if (closed) throw new IllegalStateException("CUDA context is closed");
        cuCtxSetCurrent(context);
    }

    // ---- buffers ------------------------------------------------------------------------------------------------

    /** A new uninitialised device buffer of {@code bytes} bytes (at least 16 are allocated). */
    synchronized DeviceBuffer alloc(long bytes) {
        makeCurrent();
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, Math.max(16, bytes));
        DeviceBuffer b = new DeviceBuffer(this, p, bytes);
        live.add(b);
        return b;
    }

    synchronized void free(DeviceBuffer b) {
        if (!b.markFreed()) return;
        live.remove(b);
        if (closed) return;
        makeCurrent();
        cuMemFree(b.pointer);
    }

    synchronized DeviceBuffer upload(float[] data) {
        DeviceBuffer b = alloc(4L * data.length);
        if (data.length > 0) cuMemcpyHtoD(b.pointer, Pointer.to(data), 4L * data.length);
        return b;
    }

    synchronized DeviceBuffer upload(byte[] data) {
        DeviceBuffer b = alloc(data.length);
        if (data.length > 0) cuMemcpyHtoD(b.pointer, Pointer.to(data), data.length);
        return b;
    }

    synchronized DeviceBuffer upload(double[] data) {
        DeviceBuffer b = alloc(8L * data.length);
        if (data.length > 0) cuMemcpyHtoD(b.pointer, Pointer.to(data), 8L * data.length);
        return b;
    }

    synchronized DeviceBuffer upload(int[] data) {
        DeviceBuffer b = alloc(4L * data.length);
        if (data.length > 0) cuMemcpyHtoD(b.pointer, Pointer.to(data), 4L * data.length);
        return b;
    }

    /** Writes {@code data} into {@code b} from byte offset {@code offset} on (incremental cache uploads). */
    synchronized void write(DeviceBuffer b, long offset, float[] data) {
        checkRange(b, offset, 4L * data.length);
        makeCurrent();
        if (data.length > 0) cuMemcpyHtoD(b.pointer.withByteOffset(offset), Pointer.to(data), 4L * data.length);
    }

    synchronized void write(DeviceBuffer b, long offset, byte[] data) {
        checkRange(b, offset, data.length);
        makeCurrent();
        if (data.length > 0) cuMemcpyHtoD(b.pointer.withByteOffset(offset), Pointer.to(data), data.length);
    }

    /** Copies the first {@code bytes} bytes of {@code src} to the start of {@code dst}, on the device. */
    synchronized void copy(DeviceBuffer src, DeviceBuffer dst, long bytes) {
        checkRange(src, 0, bytes);
        checkRange(dst, 0, bytes);
        makeCurrent();
        if (bytes > 0) cuMemcpyDtoD(dst.pointer, src.pointer, bytes);
    }

    private static void checkRange(DeviceBuffer b, long offset, long bytes) {
        if (b.isFreed()) throw new IllegalStateException(b + " was freed");
        if (offset < 0 || offset + bytes > b.bytes) {
            throw new IllegalArgumentException("[" + offset + ", " + (offset + bytes) + ") is outside " + b);
        }
    }

    synchronized double[] downloadDoubles(DeviceBuffer b, int n) {
        makeCurrent();
        double[] out = new double[n];
        if (n > 0) cuMemcpyDtoH(Pointer.to(out), b.pointer, 8L * n);
        return out;
    }

    /** Copies the first {@code n} floats of {@code b} back (synchronises with every kernel launched before). */
    synchronized float[] downloadFloats(DeviceBuffer b, int n) {
        makeCurrent();
        float[] out = new float[n];
        if (n > 0) cuMemcpyDtoH(Pointer.to(out), b.pointer, 4L * n);
        return out;
    }

    synchronized int[] downloadInts(DeviceBuffer b, int n) {
        makeCurrent();
        int[] out = new int[n];
        if (n > 0) cuMemcpyDtoH(Pointer.to(out), b.pointer, 4L * n);
        return out;
    }

    synchronized byte[] downloadBytes(DeviceBuffer b, int n) {
        makeCurrent();
        byte[] out = new byte[n];
        if (n > 0) cuMemcpyDtoH(Pointer.to(out), b.pointer, n);
        return out;
    }

    /** Launches a kernel (see {@link CudaKernels#launch}). */
    synchronized void launch(CudaKernel kernel, int gridX, int gridY, int blockX, int sharedBytes, Object... args) {
        makeCurrent();
        kernels.launch(kernel, gridX, gridY, blockX, sharedBytes, args);
    }

    /** Waits for every launched kernel; a kernel's own failure is thrown here. */
    public synchronized void synchronize() {
        makeCurrent();
        cuCtxSynchronize();
    }

    // ---- weights, uploaded once ------------------------------------------------------------------------------------

    /** The device copy of an FP8 weight (codes and block scales as stored), uploaded on first use. */
    synchronized Fp8DeviceWeight fp8(Fp8BlockWeight w) {
        Fp8DeviceWeight d = fp8Weights.get(w);
        if (d != null) return d;
        makeCurrent();
        long n = (long) w.rows() * w.cols();
        DeviceBuffer codes = alloc(n);
        for (long off = 0; off < n; off += CHUNK) {
            int len = (int) Math.min(CHUNK, n - off);
            byte[] chunk = w.codes().asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
            cuMemcpyHtoD(codes.pointer.withByteOffset(off), Pointer.to(chunk), len);
        }
        float[] scales = new float[w.scaleRows() * w.scaleCols()];
        for (int br = 0, i = 0; br < w.scaleRows(); br++) for (int bc = 0; bc < w.scaleCols(); bc++) scales[i++] = w.scale(br, bc);
        d = new Fp8DeviceWeight(codes, upload(scales), w.rows(), w.cols(), w.blockRows(), w.blockCols());
        fp8Weights.put(w, d);
        return d;
    }

    /**
     * The weight as an fp32 matrix [rows][cols] on the device, made once: a dense weight is converted on the host
     * (bf16, fp16 and fp32 exactly; fp64 rounded to fp32), an FP8 weight is dequantised on the device from its
     * cached codes, {@code Q * S} (exact when S is a power of two).
     */
    synchronized DeviceBuffer f32(Weight w) {
        DeviceBuffer d = f32Weights.get(w);
        if (d != null) return d;
        makeCurrent();
        long n = (long) w.rows() * w.cols();
        d = alloc(4 * n);
        if (w instanceof Fp8BlockWeight q) {
            Fp8DeviceWeight dq = fp8(q);
            long threads = (n + 3) / 4;
            launch(CudaKernel.FP8_DEQUANT, Math.toIntExact((threads + 255) / 256), 1, 256, 0,
                    dq.codes(), dq.scales(), d, q.rows(), q.cols(), q.blockRows(), q.blockCols());
        } else {
            DenseWeight dw = (DenseWeight) w;
            long chunkElems = CHUNK / 4;
            for (long off = 0; off < n; off += chunkElems) {
                int len = (int) Math.min(chunkElems, n - off);
                float[] chunk = new float[len];
                for (int i = 0; i < len; i++) chunk[i] = dw.getFloat(off + i);
                cuMemcpyHtoD(d.pointer.withByteOffset(4 * off), Pointer.to(chunk), 4L * len);
            }
        }
        f32Weights.put(w, d);
        return d;
    }

    /**
     * A bf16 weight's raw 16-bit elements [rows][cols] on the device (little-endian, as stored), uploaded once: half
     * the memory of its fp32 copy; the _bf16w kernels widen each element exactly when they load it.
     */
    synchronized DeviceBuffer bf16(DenseWeight w) {
        if (w.dtype() != DType.BF16) throw new IllegalArgumentException(w.name() + " is " + w.dtype() + ", not BF16");
        DeviceBuffer d = bf16Weights.get(w);
        if (d != null) return d;
        makeCurrent();
        long n = 2L * w.rows() * w.cols();
        d = alloc(n);
        for (long off = 0; off < n; off += CHUNK) {
            int len = (int) Math.min(CHUNK, n - off);
            byte[] chunk = w.data().asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
            cuMemcpyHtoD(d.pointer.withByteOffset(off), Pointer.to(chunk), len);
        }
        bf16Weights.put(w, d);
        return d;
    }

    /**
     * The bank of {@code weights} (all FP8 with the same shape and blocks), uploaded on first use and cached by the
     * identity of its first member (and re-made when the members differ).
     */
    synchronized Fp8Bank fp8Bank(List<Fp8BlockWeight> weights) {
        Fp8BlockWeight first = weights.get(0);
        Fp8Bank bank = banks.get(first);
        if (bank != null && sameMembers(bank.members(), weights)) return bank;
        if (bank != null) {
            banks.remove(first);
            free(bank.codes());
            free(bank.scales());
        }
        for (Fp8BlockWeight w : weights) {
            if (w.rows() != first.rows() || w.cols() != first.cols() || w.blockRows() != first.blockRows() || w.blockCols() != first.blockCols()) {
                throw new IllegalArgumentException("FP8 bank: " + w.name() + " is " + w.rows() + "x" + w.cols() + " in "
                        + w.blockRows() + "x" + w.blockCols() + " blocks, " + first.name() + " is " + first.rows() + "x"
                        + first.cols() + " in " + first.blockRows() + "x" + first.blockCols());
            }
        }
        makeCurrent();
        long each = (long) first.rows() * first.cols();
        int scalesEach = first.scaleRows() * first.scaleCols();
        DeviceBuffer codes = alloc(each * weights.size());
        float[] scales = new float[scalesEach * weights.size()];
        for (int i = 0; i < weights.size(); i++) {
            Fp8BlockWeight w = weights.get(i);
            for (long off = 0; off < each; off += CHUNK) {
                int len = (int) Math.min(CHUNK, each - off);
                byte[] chunk = w.codes().asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
                cuMemcpyHtoD(codes.pointer.withByteOffset(i * each + off), Pointer.to(chunk), len);
            }
            int k = i * scalesEach;
            for (int br = 0; br < w.scaleRows(); br++) for (int bc = 0; bc < w.scaleCols(); bc++) scales[k++] = w.scale(br, bc);
        }
        bank = new Fp8Bank(List.copyOf(weights), codes, upload(scales), first.rows(), first.cols(), first.blockRows(), first.blockCols());
        banks.put(first, bank);
        return bank;
    }

    private static boolean sameMembers(List<Weight> a, List<Fp8BlockWeight> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) if (a.get(i) != b.get(i)) return false;
        return true;
    }

    /** Forgets (and frees) the device copies of every weight; they are uploaded again on next use. */
    public synchronized void clearWeights() {
        List<DeviceBuffer> all = new ArrayList<>(f32Weights.values());
        all.addAll(bf16Weights.values());
        bf16Weights.clear();
        for (Fp8Bank b : banks.values()) {
            all.add(b.codes());
            all.add(b.scales());
        }
        banks.clear();
        for (Fp8DeviceWeight d : fp8Weights.values()) {
            all.add(d.codes());
            all.add(d.scales());
        }
        f32Weights.clear();
        fp8Weights.clear();
        for (DeviceBuffer b : all) free(b);
    }

    /** Number of weights currently held on the device (FP8, fp32 and bf16 copies counted apart, a bank as one). */
    synchronized int cachedWeights() { return fp8Weights.size() + f32Weights.size() + bf16Weights.size() + banks.size(); }

    /** Frees every buffer (weights included), unloads the modules and releases the primary context. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            cuCtxSetCurrent(context);
            for (DeviceBuffer b : new ArrayList<>(live)) {
                b.markFreed();
                try {
                    cuMemFree(b.pointer);
                } catch (RuntimeException ignored) {
                    // keep freeing the rest; the context release below reclaims everything anyway
                }
            }
            live.clear();
            fp8Weights.clear();
            f32Weights.clear();
            banks.clear();
            bf16Weights.clear();
            kernels.unload();
        } finally {
            closed = true;
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
