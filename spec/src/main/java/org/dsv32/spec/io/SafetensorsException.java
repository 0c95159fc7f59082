package org.dsv32.spec.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file, shard index or checkpoint that cannot be read. The message is one line that always starts
 * with the file and names the tensor where there is one: {@code /ckpt/model.safetensors: tensor 'x': ...}.
 */
public final class SafetensorsException extends IOException {
    private final transient Path file;
    private final String tensor;

    public SafetensorsException(Path file, String tensor, String problem, Throwable cause) {
        super(format(file, tensor, problem), cause);
        this.file = file;
        this.tensor = tensor;
    }

    public SafetensorsException(Path file, String tensor, String problem) { this(file, tensor, problem, null); }

    public SafetensorsException(Path file, String problem) { this(file, null, problem, null); }

    public SafetensorsException(Path file, String problem, Throwable cause) { this(file, null, problem, cause); }

    /** The file (or directory) involved. */
    public Path file() { return file; }

    /** The tensor involved, or null when the problem is not about one tensor. */
    public String tensor() { return tensor; }

    private static String format(Path file, String tensor, String problem) {
        String where = tensor == null ? String.valueOf(file) : file + ": tensor '" + tensor + "'";
        // Jackson and the JDK put line breaks in their messages; the CLI promises one line.
        return (where + ": " + problem).replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
