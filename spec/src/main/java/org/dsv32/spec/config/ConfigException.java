package org.dsv32.spec.config;

import java.io.IOException;

/**
 * A {@code config.json} that cannot be used: malformed JSON, a missing key, a value of the wrong JSON type, or
 * values inconsistent with each other. Checked (an {@link IOException}) because it reports bad input, like
 * {@link org.dsv32.spec.io.SafetensorsException}. The message is one line: {@code <file>: <key>: <problem>}.
 */
public final class ConfigException extends IOException {
    private final String source;
    private final String key;

    public ConfigException(String source, String key, String problem, Throwable cause) {
        super((source + ": " + (key == null ? "" : key + ": ") + problem).replaceAll("\\s*[\\r\\n]+\\s*", " "), cause);
        this.source = source;
        this.key = key;
    }

    public ConfigException(String source, String key, String problem) { this(source, key, problem, null); }

    /** The file (or other source name) the configuration came from. */
    public String source() { return source; }

    /** The offending key, dotted for nested ones ({@code rope_scaling.factor}); null for the file as a whole. */
    public String key() { return key; }
}
