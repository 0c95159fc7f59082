package org.dsv32.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * The PTX modules of one context, loaded with {@code cuModuleLoadData} (the driver JIT-compiles them for the
 * device; no toolkit is needed at run time), and the launcher of their kernels through {@code cuLaunchKernel}.
 * Owned by {@link CudaContext}, which makes its context current before calling in.
 */
final class CudaKernels {
    private final Map<String, CUmodule> modules = new LinkedHashMap<>();
    private final Map<CudaKernel, CUfunction> functions = new EnumMap<>(CudaKernel.class);

    /** Loads every module and looks up every kernel; the context must be current. Unloads what it loaded on failure. */
    static CudaKernels load() {
        CudaKernels k = new CudaKernels();
        try {
            for (CudaKernel kernel : CudaKernel.values()) {
                CUmodule module = k.modules.get(kernel.module);
                if (module == null) {
                    module = new CUmodule();
                    try {
                        cuModuleLoadData(module, ptxImage(kernel.resource()));
                    } catch (RuntimeException e) {
                        throw new IllegalStateException("cannot load PTX module " + kernel.resource() + ": " + e.getMessage(), e);
                    }
                    k.modules.put(kernel.module, module);
                }
                CUfunction f = new CUfunction();
                cuModuleGetFunction(f, module, kernel.entry);
                k.functions.put(kernel, f);
            }
            return k;
        } catch (RuntimeException e) {
            k.unload();
            throw e;
        }
    }

    /** The PTX text of a classpath resource, NUL-terminated as cuModuleLoadData requires. */
    static byte[] ptxImage(String resource) {
        try (InputStream in = CudaKernels.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("PTX resource " + resource + " is missing from the class path (run cuda/build-ptx.sh)");
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read PTX resource " + resource, e);
        }
    }

    /**
     * Launches {@code kernel} on the default stream with a grid of gridX x gridY blocks of blockX threads and
     * {@code sharedBytes} of dynamic shared memory. Arguments are checked against the kernel's parameter list.
     * Asynchronous: errors of the kernel itself surface at the next synchronising call (a copy back).
     */
    void launch(CudaKernel kernel, int gridX, int gridY, int blockX, int sharedBytes, Object... args) {
        kernel.checkArguments(args);
        if (gridX <= 0 || gridY <= 0) return;   // nothing to do (an empty tensor)
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (kernel.params.get(i)) {
                case PTR -> {
                    DeviceBuffer b = (DeviceBuffer) args[i];
                    if (b.isFreed()) throw new IllegalStateException(kernel.entry + ": argument " + i + " was freed");
                    yield Pointer.to(b.pointer);
                }
                case I32 -> Pointer.to(new int[] {(Integer) args[i]});
                case F32 -> Pointer.to(new float[] {(Float) args[i]});
            };
        }
        cuLaunchKernel(functions.get(kernel), gridX, gridY, 1, blockX, 1, 1, sharedBytes, null, Pointer.to(params), null);
    }

    void unload() {
        for (CUmodule m : modules.values()) {
            try {
                cuModuleUnload(m);
            } catch (RuntimeException ignored) {
                // the context is going away anyway; keep unloading the others
            }
        }
        modules.clear();
        functions.clear();
    }
}
