package org.dsv32.cli;

import java.util.Locale;

/**
 * Makes text from files (tensor names, paths, case names, error messages that quote them) safe to print on a
 * terminal: every command prints such text through {@link #of}, so a name holding an escape sequence cannot
 * recolour, retitle or clear the user's terminal, hide text or reorder it.
 *
 * <p>Escaped: backslash as two backslashes; C0 controls, DEL and C1 controls as backslash, {@code x} and two hex
 * digits; the bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), the line and
 * paragraph separators and unpaired surrogates as backslash, {@code u} and four hex digits. Everything else,
 * including all other non-ASCII text, is printed as it is. The escaping is injective (backslash itself is
 * escaped), so two different names never print the same.
 */
final class Printable {
    private Printable() {}

    /** {@code String.valueOf(o)}, escaped. */
    static String of(Object o) { return escape(String.valueOf(o)); }

    static String escape(String s) {
        int i = 0;
        while (i < s.length() && !needsEscape(s, i)) i++;
        if (i == s.length()) return s;
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!needsEscape(s, i)) sb.append(c);
            else if (c == '\\') sb.append("\\\\");
            else if (c <= 0xFF) sb.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            else sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
        }
        return sb.toString();
    }

    private static boolean needsEscape(String s, int i) {
        char c = s.charAt(i);
        if (c == '\\' || c < 0x20 || (c >= 0x7F && c <= 0x9F)) return true;
        if (c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) return true;
        if (c == 0x2028 || c == 0x2029) return true;
        if (Character.isHighSurrogate(c)) return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (Character.isLowSurrogate(c)) return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        return false;
    }
}
