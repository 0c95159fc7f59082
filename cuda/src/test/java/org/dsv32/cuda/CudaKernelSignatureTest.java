package org.dsv32.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java launcher's idea of every kernel (CudaKernel) agrees with the PTX on the class path: each kernel's module
 * exists, declares the entry, and its .param list has the same number and types of parameters. No GPU needed; a
 * mismatch here would be memory corruption at launch.
 */
class CudaKernelSignatureTest {
    private static final Pattern ENTRY = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param (\\.\\w+) \\w+");

    static Map<String, List<String>> entries(String module) {
        byte[] image = CudaKernels.ptxImage("/ptx/" + module + ".ptx");
        assertEquals(0, image[image.length - 1], "the PTX image handed to cuModuleLoadData must end with NUL");
        String ptx = new String(image, 0, image.length - 1, StandardCharsets.US_ASCII);
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) {
            List<String> types = new ArrayList<>();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) types.add(p.group(1));
            out.put(m.group(1), types);
        }
        return out;
    }

    @Test
    void everyKernelMatchesItsPtxEntry() {
        for (CudaKernel k : CudaKernel.values()) {
            List<String> ptxTypes = entries(k.module).get(k.entry);
            assertNotNull(ptxTypes, k.entry + " is not an entry of " + k.resource());
            assertEquals(ptxTypes, k.params.stream().map(p -> p.ptxType).toList(), k.entry + ": parameter types");
        }
    }

    @Test
    void everyPtxEntryHasALauncher() {
        Set<String> modules = new java.util.TreeSet<>();
        for (CudaKernel k : CudaKernel.values()) modules.add(k.module);
        Set<String> known = new java.util.HashSet<>();
        for (CudaKernel k : CudaKernel.values()) known.add(k.entry);
        for (String module : modules) {
            for (String entry : entries(module).keySet()) assertTrue(known.contains(entry), entry + " in " + module + ".ptx has no CudaKernel");
        }
        assertEquals(EnumSet.allOf(CudaKernel.class).size(), known.size(), "duplicate entry names");
    }

    @Test
    void launchArgumentsAreChecked() {
        DeviceBuffer b = new DeviceBuffer(null, null, 16);
        CudaKernel.HADAMARD.checkArguments(b, b, 128, 0.5f);
        assertThrows(IllegalArgumentException.class, () -> CudaKernel.HADAMARD.checkArguments(b, b, 128));
        assertThrows(IllegalArgumentException.class, () -> CudaKernel.HADAMARD.checkArguments(b, b, 128, 0.5));
        assertThrows(IllegalArgumentException.class, () -> CudaKernel.HADAMARD.checkArguments(b, 7, 128, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> CudaKernel.HADAMARD.checkArguments(b, b, 128L, 0.5f));
    }
}
