package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Escaping of printed names: nothing that can drive a terminal gets through, and no two names print the same. */
class PrintableTest {
    /** Whether {@code c} at {@code i} is something a terminal or a bidi renderer would act on. */
    static boolean dangerous(String s, int i) {
        char c = s.charAt(i);
        if (Character.getType(c) == Character.CONTROL) return true; // C0, DEL, C1
        if (c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) return true;
        if (c == 0x2028 || c == 0x2029) return true;
        if (Character.isHighSurrogate(c)) return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (Character.isLowSurrogate(c)) return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        return false;
    }

    /** The inverse of {@link Printable#escape} (test only): shows that the escaping loses nothing. */
    static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char k = s.charAt(++i);
            if (k == '\\') sb.append('\\');
            else if (k == 'x') { sb.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16)); i += 2; }
            else if (k == 'u') { sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; }
            else throw new IllegalArgumentException("bad escape at " + i + " in " + s);
        }
        return sb.toString();
    }

    @Test
    void examples() {
        assertEquals("model.layers.0.mlp.experts.7.w1.weight", Printable.escape("model.layers.0.mlp.experts.7.w1.weight"));
        assertEquals("evil\\x1b[2J\\x1b]0;title\\x07", Printable.escape("evil\u001b[2J\u001b]0;title\u0007"));
        assertEquals("a\\x0ab\\x0dc\\x09d", Printable.escape("a\nb\rc\td"));
        assertEquals("\\u202egnp.exe", Printable.escape("\u202egnp.exe"));
        assertEquals("C:\\\\x", Printable.escape("C:\\x"), "a backslash is escaped, so '\\x1b' typed literally differs from ESC");
        assertEquals("模型.ü.😀", Printable.escape("模型.ü.😀"), "other non-ASCII text prints as it is");
        assertEquals("\\x9b31m", Printable.escape("\u009b31m"), "the C1 CSI too");
    }

    @Property(tries = 2000)
    void nothingDangerousGetsThroughAndNothingIsLost(@ForAll("names") String s) {
        String e = Printable.escape(s);
        for (int i = 0; i < e.length(); i++) assertFalse(dangerous(e, i), "escaped " + s + " -> " + e + " has char " + (int) e.charAt(i));
        assertEquals(s, unescape(e), "injective: the name comes back");
        boolean clean = true;
        for (int i = 0; i < s.length(); i++) clean &= !dangerous(s, i) && s.charAt(i) != '\\';
        if (clean) assertEquals(s, e, "a clean name prints unchanged");
    }

    @Provide
    Arbitrary<String> names() {
        Arbitrary<Character> nasty = Arbitraries.of('\u001b', '\u0000', '\n', '\r', '\t', '\u0007', '\u007f', '\u0085', '\u009b',
                '\u202e', '\u2066', '\u2028', '\\', '\ud800', '\udc00', 'x', '[', '.', '\u00fc', '\u6a21');
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40),
                Arbitraries.strings().all().ofMaxLength(40),
                nasty.list().ofMaxSize(30).map(l -> { StringBuilder b = new StringBuilder(); l.forEach(b::append); return b.toString(); }));
    }
}
