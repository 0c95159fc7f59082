package org.dsv32.cli;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into the one-line messages and exit codes of the CLI. */
final class CliErrors {
    private CliErrors() {}

    static String message(Throwable ex) {
        Throwable t = ex;
        if (t instanceof UncheckedIOException u && u.getCause() != null) t = u.getCause();
        if (t instanceof NoSuchFileException n) return "no such file: " + n.getFile();
        if (t instanceof OutOfMemoryError) return "out of memory: " + t.getMessage();
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    static int exitCode(Throwable ex) { return 2; }
}
