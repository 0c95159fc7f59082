package org.dsv32.conformance.golden;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code manifest.json} beside the cases: what the directory holds, with each file's SHA-256 so that a file replaced
 * wholesale (even re-sealed) is reported TAMPERED. Written with keys in a fixed order and two-space indentation, so
 * the same cases give the same bytes.
 *
 * <pre>
 * {"format": "dsv32-golden-manifest", "format_version": "1", "seed": "20251117",
 *  "weights": [{"file": "weights/model-ue8m0.safetensors", "sha256": "…", "bytes": 1234}],
 *  "cases": [{"name": "linear-fp8-ue8m0-n576-ragged", "file": "linear-fp8-ue8m0-n576-ragged.safetensors",
 *             "operation": "linear", "mode": "fp8", "scale_format": "ue8m0", "tolerance": "tight",
 *             "description": "…", "sha256": "…", "bytes": 1234}]}
 * </pre>
 */
public record GoldenManifest(String seed, List<FileEntry> weights, List<Entry> cases) {
    public static final String FORMAT = "dsv32-golden-manifest";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One case file. */
    public record Entry(String name, String file, String operation, String mode, String scaleFormat, String tolerance,
                        String description, String sha256, long bytes) {}

    /** One shared weights file. */
    public record FileEntry(String file, String sha256, long bytes) {}

    public GoldenManifest {
        weights = List.copyOf(weights);
        cases = List.copyOf(cases);
    }

    /** Total bytes of the listed files. */
    public long totalBytes() {
        long n = 0;
        for (FileEntry w : weights) n += w.bytes();
        for (Entry c : cases) n += c.bytes();
        return n;
    }

    public static GoldenManifest read(Path file) throws GoldenException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw GoldenException.corrupted(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    public static GoldenManifest parse(byte[] bytes, String source) throws GoldenException {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject() || !FORMAT.equals(text(root, "format"))) {
                throw new IllegalArgumentException("not a " + FORMAT + " file");
            }
            if (!GoldenFormat.VERSION.equals(text(root, "format_version"))) {
                throw new IllegalArgumentException("format_version '" + text(root, "format_version") + "' is not the supported " + GoldenFormat.VERSION);
            }
            List<FileEntry> weights = new ArrayList<>();
            for (JsonNode w : array(root, "weights")) weights.add(new FileEntry(text(w, "file"), text(w, "sha256"), w.path("bytes").asLong()));
            List<Entry> cases = new ArrayList<>();
            for (JsonNode c : array(root, "cases")) {
                cases.add(new Entry(text(c, "name"), text(c, "file"), text(c, "operation"), text(c, "mode"), text(c, "scale_format"),
                        text(c, "tolerance"), c.path("description").asText(""), text(c, "sha256"), c.path("bytes").asLong()));
            }
            return new GoldenManifest(root.path("seed").asText(""), weights, cases);
        } catch (JacksonException e) {
            throw GoldenException.corrupted(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw GoldenException.corrupted(source + ": " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException("'" + key + "' is missing or not a string");
        return v.textValue();
    }

    private static Iterable<JsonNode> array(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null) return List.of();
        if (!v.isArray()) throw new IllegalArgumentException("'" + key + "' is not an array");
        return v;
    }

    public void write(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("format_version", GoldenFormat.VERSION);
        root.put("seed", seed);
        ArrayNode ws = root.putArray("weights");
        for (FileEntry w : weights) ws.addObject().put("file", w.file()).put("sha256", w.sha256()).put("bytes", w.bytes());
        ArrayNode cs = root.putArray("cases");
        for (Entry c : cases) {
            cs.addObject().put("name", c.name()).put("file", c.file()).put("operation", c.operation()).put("mode", c.mode())
                    .put("scale_format", c.scaleFormat()).put("tolerance", c.tolerance()).put("description", c.description())
                    .put("sha256", c.sha256()).put("bytes", c.bytes());
        }
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter();
        pp.indentArraysWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
        pp.indentObjectsWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
        org.dsv32.spec.io.OutputFiles.writeString(file, JSON.writer(pp).writeValueAsString(root) + "\n");
    }
}
