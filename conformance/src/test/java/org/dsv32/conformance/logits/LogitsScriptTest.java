package org.dsv32.conformance.logits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The logits script reader: strict keys, clean one-line errors with a position, a missing file said as such. */
class LogitsScriptTest {
    @TempDir Path dir;

    static final String VALID = "{\"sequences\": [{\"prompt\": [1, 2, 3], \"decode\": [4, 5]}, {\"prompt\": [6]}]}";

    /** Malformed scripts, each with a fragment its message must hold. */
    static final List<String[]> MALFORMED = List.of(
            new String[] {"", "empty"},
            new String[] {"   \n ", "empty"},
            new String[] {"{", "line 1"},
            new String[] {"{\"sequences\": [ {\"prompt\": [1,2,3]} ]", "line 1"},
            new String[] {"not json at all", "column"},
            new String[] {"[1, 2, 3]", "\"sequences\" array"},
            new String[] {"{}", "\"sequences\" array"},
            new String[] {"{\"sequences\": {}}", "\"sequences\" array"},
            new String[] {"{\"sequences\": []}", "is empty"},
            new String[] {"{\"sequences\": [1]}", "sequences[0] must be an object"},
            new String[] {"{\"sequences\": [{}]}", "sequences[0].prompt must be an array"},
            new String[] {"{\"sequences\": [{\"prompt\": []}]}", "sequences[0].prompt is empty"},
            new String[] {"{\"sequences\": [{\"prompt\": [-1]}]}", "sequences[0].prompt[0]"},
            new String[] {"{\"sequences\": [{\"prompt\": [1.5]}]}", "sequences[0].prompt[0]"},
            new String[] {"{\"sequences\": [{\"prompt\": [\"7\"]}]}", "sequences[0].prompt[0]"},
            new String[] {"{\"sequences\": [{\"prompt\": [3000000000]}]}", "sequences[0].prompt[0]"},
            new String[] {"{\"sequences\": [{\"prompt\": [1], \"decod\": [2]}]}", "unknown key \"decod\" in sequences[0] (known keys: decode, prompt)"},
            new String[] {"{\"sequences\": [{\"prompt\": [1]}], \"sequence\": []}", "unknown key \"sequence\" in the top level (known keys: sequences)"},
            new String[] {"{\"sequences\": [{\"prompt\": [1]}]} trailing", "column"},
            new String[] {"{\"sequences\": [{\"prompt\": [1]}], \"sequences\": [{\"prompt\": [2]}]}", "Duplicate field 'sequences'"},
            new String[] {"{\"sequences\": [{\"prompt\": [1], \"decode\": 5}]}", "sequences[0].decode must be an array"},
            new String[] {"{\"sequences\": [{\"prompt\": null}]}", "sequences[0].prompt must be an array"},
            new String[] {"\u0000\u0001binary", "line 1"},
            new String[] {"{'sequences': []}", "line 1, column 2"},
            new String[] {"{\"sequences\": [{\"prompt\": [1,]}]}", "column"},
            new String[] {"{\"sequences\": [{\"prompt\": [NaN]}]}", "column"},
            new String[] {"{\"sequences\": [{\"prompt\": [1]},\n\n  {\"prompt\": [2]]}", "line 3"});

    /** What a message must never show: the parser's internals, or more than one line. */
    static void assertClean(String message, Path file) {
        assertTrue(message.startsWith(file.toString() + ":"), "names the file first: " + message);
        for (String internal : List.of("[Source", "REDACTED", "StreamReadFeature", "JsonParser", "com.fasterxml", "\n", "\r")) {
            assertFalse(message.contains(internal), "no '" + internal.strip() + "' in: " + message);
        }
    }

    @Test
    void everyMalformedScriptIsRefusedWithOneCleanLineSayingWhat() throws Exception {
        int i = 0;
        for (String[] m : MALFORMED) {
            Path f = Files.writeString(dir.resolve("script" + i++ + ".json"), m[0]);
            IOException e = assertThrows(IOException.class, () -> LogitsScript.read(f), m[0]);
            assertClean(e.getMessage(), f);
            assertTrue(e.getMessage().contains(m[1]), "'" + m[0] + "' -> " + e.getMessage());
        }
        assertEquals(27, MALFORMED.size());
    }

    @Test
    void aSyntaxErrorGivesLineAndColumn() throws Exception {
        Path f = Files.writeString(dir.resolve("s.json"), "{\n  \"sequences\": [\n    {\"prompt\": [1, 2 3]}\n  ]\n}\n");
        IOException e = assertThrows(IOException.class, () -> LogitsScript.read(f));
        assertTrue(e.getMessage().startsWith(f + ": not valid JSON at line 3, column "), e.getMessage());
    }

    @Test
    void aMissingFileIsSaidToBeMissingNotInvalid() {
        Path f = dir.resolve("no-such-script.json");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> LogitsScript.read(f));
        assertEquals(f + ": script file not found", e.getMessage());
        assertFalse(e.getMessage().contains("JSON"));
    }

    @Test
    void aValidScriptReadsAndCountsPositions() throws Exception {
        LogitsScript s = LogitsScript.read(Files.writeString(dir.resolve("ok.json"), VALID));
        assertEquals(2, s.sequences().size());
        assertArrayEquals(new int[] {4, 5}, s.sequences().get(0).decode());
        assertEquals(5, s.sequences().get(0).positions());
        assertEquals(List.of(), s.positionWarnings(5), "5 positions fit in 5");
        List<String> w = s.positionWarnings(4);
        assertEquals(1, w.size());
        assertTrue(w.get(0).startsWith("sequence 0 occupies 5 positions (3 prompt + 2 decode), past max_position_embeddings 4"), w.get(0));
    }

    /** Any text at all: a script or an IOException with one clean line naming the file, never another exception. */
    @Property(tries = 400)
    void anyTextIsAScriptOrOneCleanError(@ForAll("texts") String text) throws Exception {
        Path f = Files.createTempFile("dsv32-script-", ".json"); // jqwik gives properties no @TempDir
        Files.write(f, text.getBytes(StandardCharsets.UTF_8));
        try {
            LogitsScript s = LogitsScript.read(f);
            assertFalse(s.sequences().isEmpty());
        } catch (IOException e) {
            assertClean(e.getMessage(), f);
        } finally {
            Files.delete(f);
        }
    }

    @Provide
    Arbitrary<String> texts() {
        Arbitrary<String> any = Arbitraries.strings().ofMaxLength(60);
        Arbitrary<String> jsonish = Arbitraries.strings().withChars("{}[],:\"0123456789- sequncprotdal\n").ofMaxLength(80);
        // one edit of a valid script: deleting or inserting a character anywhere
        Arbitrary<String> edited = Arbitraries.integers().between(0, VALID.length() - 1)
                .flatMap(at -> Arbitraries.of("", "{", "}", "[", "]", ",", ":", "\"", "x", "-", "1.5", " ")
                        .flatMap(ins -> Arbitraries.of(true, false).map(del -> Tuple.of(at, ins, del))))
                .map(t -> VALID.substring(0, t.get1()) + t.get2() + VALID.substring(t.get1() + (t.get3() ? 1 : 0)));
        return Arbitraries.oneOf(any, jsonish, edited);
    }
}
