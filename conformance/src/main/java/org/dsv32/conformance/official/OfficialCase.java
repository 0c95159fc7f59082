package org.dsv32.conformance.official;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.dsv32.conformance.golden.GoldenSeal;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.io.JsonErrors;

/**
 * One output of DeepSeek's own inference code, committed under {@code golden-data/.../official/NAME/}: the tiny
 * checkpoint it ran on (named by preset, seed and variant, so it is regenerated rather than committed, with the
 * SHA-256 of every file it must reproduce), the script, their logits and their decision trace, and where they came
 * from (official commit, torch version, the command). {@code case.json}:
 *
 * <pre>{@code
 * {"format": "dsv32-official-case-v1", "description": "...",
 *  "checkpoint": {"preset": "tiny", "seed": 1, "variant": "ue8m0", "files": {"config.json": "<sha256>", ...}},
 *  "precision": "exact" | "fp8" | "bf16", "act_dtype": "float64" | "float32" | "bfloat16",
 *  "files": {"script.json": "<sha256>", "logits.safetensors": "<sha256>", "trace.safetensors": "<sha256>"},
 *  "provenance": {"official_commit": "...", "torch": "...", "command": "...", ...}}
 * }</pre>
 *
 * Read strictly: an unknown key, a missing one or a wrong type is refused naming the file and the key.
 */
public record OfficialCase(String name, Path directory, String description, String preset, long seed, TinyCheckpointWriter.Variant variant,
                           Map<String, String> checkpointFiles, PrecisionMode precision, String actDtype, Map<String, String> files,
                           Map<String, String> provenance) {
    public static final String FORMAT = "dsv32-official-case-v1";
    public static final String CASE_FILE = "case.json";
    public static final String SCRIPT = "script.json";
    public static final String LOGITS = "logits.safetensors";
    public static final String TRACE = "trace.safetensors";
    /** The files every case holds besides case.json, each with its SHA-256 in {@code files}. */
    public static final Set<String> DATA_FILES = Set.of(SCRIPT, LOGITS, TRACE);

    private static final Set<String> KEYS = Set.of("format", "description", "checkpoint", "precision", "act_dtype", "files", "provenance");
    private static final Set<String> CHECKPOINT_KEYS = Set.of("preset", "seed", "variant", "files");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public Path script() { return directory.resolve(SCRIPT); }

    public Path logits() { return directory.resolve(LOGITS); }

    public Path trace() { return directory.resolve(TRACE); }

    /** Reads {@code dir/case.json}; the case is named after the directory. */
    public static OfficialCase read(Path dir) throws IOException {
        Path f = dir.resolve(CASE_FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(f));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(f.toString(), null, "an official case needs its case.json");
        } catch (JacksonException e) {
            throw new IOException(f + ": not valid JSON at " + JsonErrors.describe(e), e);
        }
        if (root == null || !root.isObject()) throw new IOException(f + ": expected a JSON object");
        known(root, KEYS, f, "the top level");
        if (!FORMAT.equals(text(root, "format", f))) throw new IOException(f + ": \"format\" must be \"" + FORMAT + "\"");
        JsonNode ck = root.get("checkpoint");
        if (ck == null || !ck.isObject()) throw new IOException(f + ": \"checkpoint\" must be an object " + CHECKPOINT_KEYS);
        known(ck, CHECKPOINT_KEYS, f, "checkpoint");
        JsonNode seed = ck.get("seed");
        if (seed == null || !seed.isIntegralNumber() || !seed.canConvertToLong()) throw new IOException(f + ": checkpoint.seed must be an integer");
        TinyCheckpointWriter.Variant variant;
        try {
            variant = TinyCheckpointWriter.Variant.parse(text(ck, "variant", f));
        } catch (IllegalArgumentException e) {
            throw new IOException(f + ": checkpoint.variant: " + e.getMessage(), e);
        }
        PrecisionMode mode;
        try {
            mode = PrecisionMode.parse(text(root, "precision", f));
        } catch (IllegalArgumentException e) {
            throw new IOException(f + ": precision: " + e.getMessage(), e);
        }
        Map<String, String> files = strings(root, "files", f);
        for (String needed : DATA_FILES) if (!files.containsKey(needed)) throw new IOException(f + ": \"files\" has no SHA-256 of " + needed);
        return new OfficialCase(dir.getFileName().toString(), dir, text(root, "description", f), text(ck, "preset", f), seed.asLong(), variant,
                strings(ck, "files", f), mode, text(root, "act_dtype", f), files, strings(root, "provenance", f));
    }

    /**
     * The files of the case that are missing or whose SHA-256 is not the recorded one, one line each (empty when
     * the case is intact).
     */
    public java.util.List<String> damaged() throws IOException {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (var e : new TreeMap<>(files).entrySet()) {
            Path p = directory.resolve(e.getKey());
            if (!Files.isRegularFile(p)) out.add(p + ": missing");
            else if (!GoldenSeal.ofFile(p).equals(e.getValue())) out.add(p + ": SHA-256 is not the one case.json records (changed after the run)");
        }
        return out;
    }

    /**
     * The files of a regenerated checkpoint in {@code checkpointDir} that differ from the ones their run used, one
     * line each (empty when the generator reproduced the checkpoint byte for byte).
     */
    public java.util.List<String> checkpointDiffers(Path checkpointDir) throws IOException {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (var e : new TreeMap<>(checkpointFiles).entrySet()) {
            Path p = checkpointDir.resolve(e.getKey());
            if (!Files.isRegularFile(p)) out.add(e.getKey() + ": not written by the generator");
            else if (!GoldenSeal.ofFile(p).equals(e.getValue())) out.add(e.getKey() + ": differs from the file their run used");
        }
        return out;
    }

    private static void known(JsonNode o, Set<String> keys, Path f, String where) throws IOException {
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) throw new IOException(f + ": unknown key \"" + k + "\" in " + where + " (known: " + new java.util.TreeSet<>(keys) + ")");
        }
    }

    private static String text(JsonNode o, String key, Path f) throws IOException {
        JsonNode n = o.get(key);
        if (n == null || !n.isTextual()) throw new IOException(f + ": \"" + key + "\" must be a string");
        return n.asText();
    }

    private static Map<String, String> strings(JsonNode o, String key, Path f) throws IOException {
        JsonNode n = o.get(key);
        if (n == null || !n.isObject()) throw new IOException(f + ": \"" + key + "\" must be an object of strings");
        Map<String, String> out = new LinkedHashMap<>();
        for (var it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual()) throw new IOException(f + ": \"" + key + "." + e.getKey() + "\" must be a string");
            out.put(e.getKey(), e.getValue().asText());
        }
        return Map.copyOf(out);
    }
}
