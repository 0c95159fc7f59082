package org.dsv32.optimized;

/**
 * The kernels of one template for the current width, remembered between calls: {@link SimdSpecies#kernels} looks
 * them up by class and width (a class value and a checked cast), which had a few percent of a tiny decode step
 * when every row operation did it. The remembered instance is used while the width is the same.
 */
final class SimdKernelSlot<T> {
    private record Entry<T>(T kernels, int bits) {}

    private final Class<T> api;
    private final Class<? extends T> template;
    private volatile Entry<T> last;

    SimdKernelSlot(Class<T> api, Class<? extends T> template) {
        this.api = api;
        this.template = template;
    }

    /** The kernels for {@link SimdSpecies#bits()}. */
    T get() {
        int bits = SimdSpecies.bits();
        Entry<T> e = last;
        if (e != null && e.bits() == bits) return e.kernels();
        T k = SimdSpecies.kernels(api, template);
        last = new Entry<>(k, bits);
        return k;
    }
}
