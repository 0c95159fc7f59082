package org.dsv32.spec.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Discovery of {@link Backend} providers on the class path. */
public final class Backends {
    private Backends() {}

    /** Every backend found, available or not, in a stable order (reference first, then by name). */
    public static List<Backend> all() {
        List<Backend> list = new ArrayList<>();
        for (Backend b : ServiceLoader.load(Backend.class)) list.add(b);
        list.sort(Comparator.comparing((Backend b) -> !b.name().equals("reference")).thenComparing(Backend::name));
        return list;
    }

    /** The backend called {@code name}; an error listing the known names otherwise. */
    public static Backend byName(String name) {
        List<Backend> all = all();
        for (Backend b : all) if (b.name().equals(name)) return b;
        throw new IllegalArgumentException("unknown backend '" + name + "' (known: "
                + all.stream().map(Backend::name).toList() + ")");
    }
}
