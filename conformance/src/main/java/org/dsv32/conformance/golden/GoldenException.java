package org.dsv32.conformance.golden;

/**
 * A golden file that cannot be used: {@link Kind#CORRUPTED} when it is not a readable, complete golden case
 * (truncated, bad header, missing metadata or tensor, wrong shape), {@link Kind#TAMPERED} when it reads fine but its
 * bytes are not the ones that were sealed (seal, manifest checksum or weights-file checksum mismatch). The message
 * names the file and, where there is one, the tensor or key.
 */
public final class GoldenException extends Exception {
    public enum Kind { CORRUPTED, TAMPERED }

    private final Kind kind;

    public GoldenException(Kind kind, String message, Throwable cause) {
        super(message.replaceAll("\\s*[\\r\\n]+\\s*", " "), cause);
        this.kind = kind;
    }

    public GoldenException(Kind kind, String message) { this(kind, message, null); }

    public static GoldenException corrupted(String message) { return new GoldenException(Kind.CORRUPTED, message); }

    public static GoldenException corrupted(String message, Throwable cause) { return new GoldenException(Kind.CORRUPTED, message, cause); }

    public static GoldenException tampered(String message) { return new GoldenException(Kind.TAMPERED, message); }

    public Kind kind() { return kind; }
}
