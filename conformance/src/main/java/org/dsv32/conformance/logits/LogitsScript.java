package org.dsv32.conformance.logits;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.dsv32.spec.io.JsonErrors;

/**
 * A teacher-forcing script: {@code {"sequences": [{"prompt": [ids...], "decode": [ids...]}, ...]}}.
 * Each sequence runs independently: the prompt as one prefill, then each decode token one at a time.
 *
 * <p>Read strictly: a missing file, a syntax error (with its line and column), an unknown key (a misspelt
 * {@code "decod"} would otherwise silently drop the decode tokens) and a token id that is not a non-negative
 * integer are each refused with one line naming the file and the key.
 */
public record LogitsScript(List<Sequence> sequences) {
    public record Sequence(int[] prompt, int[] decode) {
        /** Positions this sequence occupies: its prompt, then one per decode token. */
        public long positions() { return (long) prompt.length + decode.length; }
    }

    /** The keys of the top-level object. */
    public static final Set<String> ROOT_KEYS = Set.of("sequences");
    /** The keys of one sequence. */
    public static final Set<String> SEQUENCE_KEYS = Set.of("prompt", "decode");

    /** Strict: a key given twice is an error, not silently the last one (trailing content: see {@link #read}). */
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public static LogitsScript read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "script file not found");
        } catch (IOException e) {
            throw new IOException(file + ": cannot read the script: " + e, e);
        }
        JsonNode root;
        try (JsonParser p = JSON.createParser(bytes)) {
            root = JSON.readTree(p);
            // content after the object would otherwise be ignored
            if (root != null && p.nextToken() != null) {
                JsonLocation at = p.currentTokenLocation();
                throw new IOException(file + ": not valid JSON at line " + at.getLineNr() + ", column " + at.getColumnNr()
                        + ": more content after the end of the script's object");
            }
        } catch (JacksonException e) {
            throw new IOException(file + ": not valid JSON at " + JsonErrors.describe(e), e);
        }
        return parse(root, file.toString());
    }

    static LogitsScript parse(JsonNode root, String source) throws IOException {
        if (root == null || root.isMissingNode()) throw new IOException(source + ": empty file; expected an object with a \"sequences\" array");
        if (!root.isObject() || !root.path("sequences").isArray()) {
            throw new IOException(source + ": expected an object with a \"sequences\" array");
        }
        knownKeys(root, ROOT_KEYS, source, "the top level");
        List<Sequence> out = new ArrayList<>();
        int b = 0;
        for (JsonNode s : root.get("sequences")) {
            String at = "sequences[" + b + "]";
            if (!s.isObject()) throw new IOException(source + ": " + at + " must be an object {\"prompt\": [ids], \"decode\": [ids]}");
            knownKeys(s, SEQUENCE_KEYS, source, at);
            int[] prompt = ids(s.get("prompt"), source, at + ".prompt");
            int[] decode = s.has("decode") ? ids(s.get("decode"), source, at + ".decode") : new int[0];
            if (prompt.length == 0) throw new IOException(source + ": " + at + ".prompt is empty");
            out.add(new Sequence(prompt, decode));
            b++;
        }
        if (out.isEmpty()) throw new IOException(source + ": \"sequences\" is empty");
        return new LogitsScript(List.copyOf(out));
    }

    /**
     * One warning per sequence that runs past {@code maxPositions} ({@code max_position_embeddings}): the model
     * was not trained there, and DeepSeek's inference code precomputes its rotary table only up to its maximum
     * sequence length, so such logits have nothing to be compared with. Empty when every sequence fits.
     */
    public List<String> positionWarnings(int maxPositions) {
        List<String> out = new ArrayList<>();
        for (int b = 0; b < sequences.size(); b++) {
            Sequence s = sequences.get(b);
            if (s.positions() > maxPositions) {
                out.add("sequence " + b + " occupies " + s.positions() + " positions (" + s.prompt().length + " prompt + "
                        + s.decode().length + " decode), past max_position_embeddings " + maxPositions
                        + ": the model was not trained there and DeepSeek's inference code cannot run it; computing the logits anyway");
            }
        }
        return out;
    }

    private static void knownKeys(JsonNode object, Set<String> known, String source, String where) throws IOException {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                throw new IOException(source + ": unknown key \"" + k + "\" in " + where + " (known keys: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static int[] ids(JsonNode n, String source, String key) throws IOException {
        if (n == null || !n.isArray()) throw new IOException(source + ": " + key + " must be an array of token ids");
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = n.get(i);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0) {
                throw new IOException(source + ": " + key + "[" + i + "] is not a non-negative integer token id");
            }
            out[i] = v.asInt();
        }
        return out;
    }
}
