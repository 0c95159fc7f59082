package org.dsv32.spec.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;

/**
 * One clean line for a JSON syntax error: where (line and column) and what, without the parser's internals
 * ({@code [Source: ...; line: 1, column: 2]}, feature names) that its own message carries.
 */
public final class JsonErrors {
    private JsonErrors() {}

    private static final java.util.regex.Pattern SOURCE =
            java.util.regex.Pattern.compile("\\[Source: [^\\]]*?line: (\\d+), column: (\\d+)\\]");

    /** {@code "line L, column C: what"}, or just {@code what} when the parser knows no location. */
    public static String describe(JacksonException e) {
        String what = e.getOriginalMessage();
        if (what == null || what.isBlank()) what = e.getClass().getSimpleName();
        int nl = what.indexOf('\n');
        if (nl >= 0) what = what.substring(0, nl);
        // a message may quote another location in the parser's own form ("start marker at [Source: REDACTED ...]")
        what = SOURCE.matcher(what).replaceAll("line $1, column $2");
        JsonLocation at = e.getLocation();
        if (at == null || at.getLineNr() < 1) return what;
        return "line " + at.getLineNr() + (at.getColumnNr() >= 1 ? ", column " + at.getColumnNr() : "") + ": " + what;
    }
}
