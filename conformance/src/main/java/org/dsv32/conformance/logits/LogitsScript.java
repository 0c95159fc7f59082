package org.dsv32.conformance.logits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A teacher-forcing script: {@code {"sequences": [{"prompt": [ids...], "decode": [ids...]}, ...]}}.
 * Each sequence runs independently: the prompt as one prefill, then each decode token one at a time.
 */
public record LogitsScript(List<Sequence> sequences) {
    public record Sequence(int[] prompt, int[] decode) {}

    public static LogitsScript read(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        return parse(root, file.toString());
    }

    static LogitsScript parse(JsonNode root, String source) throws IOException {
        if (root == null || !root.isObject() || !root.path("sequences").isArray()) {
            throw new IOException(source + ": expected an object with a \"sequences\" array");
        }
        List<Sequence> out = new ArrayList<>();
        int b = 0;
        for (JsonNode s : root.get("sequences")) {
            int[] prompt = ids(s.get("prompt"), source, "sequences[" + b + "].prompt");
            int[] decode = s.has("decode") ? ids(s.get("decode"), source, "sequences[" + b + "].decode") : new int[0];
            if (prompt.length == 0) throw new IOException(source + ": sequences[" + b + "].prompt is empty");
            out.add(new Sequence(prompt, decode));
            b++;
        }
        if (out.isEmpty()) throw new IOException(source + ": \"sequences\" is empty");
        return new LogitsScript(List.copyOf(out));
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
