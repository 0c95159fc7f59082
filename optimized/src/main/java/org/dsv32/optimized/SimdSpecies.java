package org.dsv32.optimized;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.constant.ConstantDescs;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width of the {@code simd} backend: {@code -Ddsv32.vectorBits} = 0 (scalar), 128, 256 or 512
 * (default: the preferred width of this CPU; a request wider than the CPU's is clamped to it), overridable in
 * code for tests with {@link #withBits}.
 *
 * <p>Why kernels are loaded through here: the Vector API compiles to SIMD instructions only where the species is a
 * JIT-time constant (a {@code static final}); passing it as a parameter makes every vector operation about ten
 * times slower. So each kernel family is written once, as a template class whose {@code static final} species comes
 * from its class data, and {@link #kernels} defines one hidden class per width from the template's bytes. Each
 * copy is compiled with its own constant species; nothing is duplicated in the sources.
 */
public final class SimdSpecies {
    /** The system property that selects the width. */
    public static final String PROPERTY = "dsv32.vectorBits";

    private static final int PREFERRED = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    private static final int CONFIGURED = resolve(System.getProperty(PROPERTY));
    private static volatile int override = -1;
    /** Per template, one slot per width (0, 128, 256, 512): a lookup without building a key per call. */
    private static final ClassValue<AtomicReferenceArray<Object>> KERNELS = new ClassValue<>() {
        @Override
        protected AtomicReferenceArray<Object> computeValue(Class<?> template) {
            return new AtomicReferenceArray<>(4);
        }
    };

    private SimdSpecies() {}

    /** The widest float vector of this CPU, in bits. */
    public static int preferredBits() { return PREFERRED; }

    /** The width the kernels use now: the override if set, else the property, else {@link #preferredBits()}. */
    public static int bits() {
        int o = override;
        return o >= 0 ? o : CONFIGURED;
    }

    /** Every width this CPU runs natively, scalar (0) first: 0, 128, ..., preferred. */
    public static int[] supportedBits() {
        List<Integer> out = new ArrayList<>(List.of(0));
        for (int b = 128; b <= PREFERRED; b *= 2) out.add(b);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Runs {@code body} with the width forced to {@code bits} (one of {@link #supportedBits()}); not thread-safe against other overrides. */
    public static <T> T withBits(int bits, Supplier<T> body) {
        checkSupported(bits);
        int saved = override;
        override = bits;
        try {
            return body.get();
        } finally {
            override = saved;
        }
    }

    /** {@link #withBits(int, Supplier)} for a body without result. */
    public static void withBits(int bits, Runnable body) {
        withBits(bits, () -> {
            body.run();
            return null;
        });
    }

    /** The float species of a width; null for 0 (scalar). */
    public static VectorSpecies<Float> floatSpecies(int bits) {
        if (bits == 0) return null;
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    /**
     * The instance of {@code template} specialised for the current width, as its interface {@code api}. Templates
     * read their width with {@link #templateBits}; they must have a no-argument constructor and no nested classes
     * or lambdas (a hidden class cannot be named by them).
     */
    static <T> T kernels(Class<T> api, Class<? extends T> template) {
        int bits = bits();
        AtomicReferenceArray<Object> slots = KERNELS.get(template);
        int slot = bits == 0 ? 0 : Integer.numberOfTrailingZeros(bits) - 6; // 128 -> 1, 256 -> 2, 512 -> 3
        Object k = slots.get(slot);
        if (k == null) {
            synchronized (slots) {
                k = slots.get(slot);
                if (k == null) {
                    k = define(template, bits);
                    slots.set(slot, k);
                }
            }
        }
        return api.cast(k);
    }

    /** The width a template copy was defined for: its class data, or the current width for the plain (non-hidden) class. */
    static int templateBits(MethodHandles.Lookup self) {
        try {
            Integer b = MethodHandles.classData(self, ConstantDescs.DEFAULT_NAME, Integer.class);
            return b == null ? bits() : b;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read the class data of " + self.lookupClass(), e);
        }
    }

    private static Object define(Class<?> template, int bits) {
        byte[] bytes;
        try (InputStream in = template.getResourceAsStream(template.getSimpleName() + ".class")) {
            if (in == null) throw new IllegalStateException("class file of " + template.getName() + " not found");
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the class file of " + template.getName(), e);
        }
        try {
            MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClassWithClassData(bytes, bits, true);
            return hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (Throwable e) {
            throw new IllegalStateException("cannot specialise " + template.getName() + " for " + bits + " bits", e);
        }
    }

    static int resolve(String property) {
        if (property == null || property.isBlank()) return PREFERRED;
        int b;
        try {
            b = Integer.parseInt(property.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " must be 0, 128, 256 or 512, got '" + property + "'");
        }
        if (b != 0 && b != 128 && b != 256 && b != 512) {
            throw new IllegalArgumentException(PROPERTY + " must be 0, 128, 256 or 512, got " + b);
        }
        return Math.min(b, PREFERRED);
    }

    private static void checkSupported(int bits) {
        for (int b : supportedBits()) if (b == bits) return;
        throw new IllegalArgumentException("vector width " + bits + " is not supported here (preferred " + PREFERRED + " bits)");
    }
}
