package org.dsv32.cli;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns exceptions into the one-line messages and exit codes of the CLI. A message always says what is wrong, not
 * only which file (a bare {@link FileSystemException} message is just the path), and goes through
 * {@link Printable} because it may quote names read from files.
 */
final class CliErrors {
    private CliErrors() {}

    static String message(Throwable ex) { return Printable.of(raw(ex)); }

    private static String raw(Throwable ex) {
        Throwable t = ex;
        if (t instanceof UncheckedIOException u && u.getCause() != null) {
            // keep the wrapper's context ("cannot write X: ...") unless it is only the cause's text
            if (u.getCause() instanceof FileSystemException f && f.getReason() == null) return fileSystem(f);
            t = u.getCause();
        }
        if (t instanceof FileSystemException f) return fileSystem(f);
        if (t instanceof OutOfMemoryError) return "out of memory: " + t.getMessage();
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** {@code FileSystemException.getMessage()} is only the path when the JDK gives no reason: name the problem. */
    private static String fileSystem(FileSystemException f) {
        if (f.getReason() != null) return f.getMessage();
        String file = f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
        if (f instanceof NoSuchFileException) return "no such file: " + file;
        if (f instanceof AccessDeniedException) return "permission denied: " + file;
        if (f instanceof NotDirectoryException) return "not a directory: " + file;
        if (f instanceof java.nio.file.FileAlreadyExistsException) return "already exists: " + file;
        if (f instanceof java.nio.file.DirectoryNotEmptyException) return "directory not empty: " + file;
        return f.getClass().getSimpleName() + ": " + file;
    }

    static int exitCode(Throwable ex) { return 2; }

    /** Refuses, before any work, an input {@code file} that is missing or not a regular file ("{what} not found"). */
    static void requireInput(java.nio.file.Path file, String what) throws NoSuchFileException {
        if (!java.nio.file.Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, what + " not found");
    }
}
