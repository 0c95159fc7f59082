package org.dsv32.cuda;

import jcuda.driver.JCudaDriver;
import org.dsv32.spec.backend.Availability;

/** Finds out, once, whether the CUDA driver and a device are there. Never throws. */
final class CudaProbe {
    private CudaProbe() {}

    private static volatile Availability cached;

    static Availability probe() {
        Availability a = cached;
        if (a == null) cached = a = doProbe();
        return a;
    }

    private static Availability doProbe() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")
                || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
            return Availability.no("JCuda natives are packaged for linux-x86_64 only");
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] == 0) return Availability.no("no CUDA device found");
            return Availability.yes();
        } catch (Throwable t) {
            String m = t.getMessage() == null ? t.toString() : t.getMessage();
            if (m.contains("libcuda")) return Availability.no("no NVIDIA driver (libcuda.so.1 not found)");
            return Availability.no(t.getClass().getSimpleName() + ": " + firstLine(m));
        }
    }

    static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
