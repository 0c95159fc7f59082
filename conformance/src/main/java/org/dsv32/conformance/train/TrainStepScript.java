package org.dsv32.conformance.train;

import com.fasterxml.jackson.core.JacksonException;
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
import java.util.TreeSet;
import org.dsv32.reference.train.ReferenceTrainStep;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.io.JsonErrors;

/**
 * A training-step script ({@code ./dsv32 train-step --script S.json}):
 * <pre>
 *   {"tokens": [ids...],            one teacher-forced sequence (required)
 *    "layer": 1,                    the block whose gradients are reported (required; num_hidden_layers + k − 1 is
 *                                   MTP module k's block)
 *    "modes": ["exact", "fp8"],     precision modes to run (default both; the comparison needs both)
 *    "indexer_stage": "sparse",     "dense" (warm-up: dense attention, KL over every causal key) or "sparse"
 *    "mtp": true,                   include the MTP objective L_MTP (default true)
 *    "mtp_lambda": 0.3}             its weight λ (default 0.3)
 * </pre>
 * Read strictly: a syntax error, an unknown key, a missing required key or a value of the wrong kind is refused with
 * one line naming the file and the key.
 */
public record TrainStepScript(int[] tokens, int layer, List<PrecisionMode> modes, ReferenceTrainStep.Stage stage, boolean mtp, double lambda) {
    public static final Set<String> KEYS = new TreeSet<>(Set.of("tokens", "layer", "modes", "indexer_stage", "mtp", "mtp_lambda"));
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public ReferenceTrainStep.Options options() { return new ReferenceTrainStep.Options(layer, stage, mtp, lambda); }

    public static TrainStepScript read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "script file not found");
        }
        JsonNode root;
        try (JsonParser p = JSON.createParser(bytes)) {
            root = JSON.readTree(p);
            if (root != null && p.nextToken() != null) throw new IOException(file + ": more content after the end of the script's object");
        } catch (JacksonException e) {
            throw new IOException(file + ": not valid JSON at " + JsonErrors.describe(e), e);
        }
        return parse(root, file.toString());
    }

    static TrainStepScript parse(JsonNode root, String source) throws IOException {
        if (root == null || !root.isObject()) throw new IOException(source + ": expected an object with \"tokens\" and \"layer\"");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) throw new IOException(source + ": unknown key \"" + k + "\" (known keys: " + String.join(", ", KEYS) + ")");
        }
        JsonNode tokens = root.get("tokens");
        if (tokens == null || !tokens.isArray() || tokens.isEmpty()) throw new IOException(source + ": \"tokens\" must be a non-empty array of token ids");
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = tokens.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) throw new IOException(source + ": tokens[" + i + "] is not a non-negative integer token id");
            ids[i] = v.asInt();
        }
        JsonNode layer = root.get("layer");
        if (layer == null || !layer.isIntegralNumber() || !layer.canConvertToInt() || layer.asInt() < 0) {
            throw new IOException(source + ": \"layer\" must be a non-negative integer (the block whose gradients are reported)");
        }
        List<PrecisionMode> modes = new ArrayList<>();
        JsonNode m = root.get("modes");
        if (m == null) {
            modes = List.of(PrecisionMode.EXACT, PrecisionMode.FP8);
        } else {
            if (!m.isArray() || m.isEmpty()) throw new IOException(source + ": \"modes\" must be a non-empty array of \"exact\" and/or \"fp8\"");
            for (int i = 0; i < m.size(); i++) {
                if (!m.get(i).isTextual()) throw new IOException(source + ": modes[" + i + "] must be the string \"exact\" or \"fp8\"");
                PrecisionMode mode = switch (m.get(i).asText("")) {
                    case "exact" -> PrecisionMode.EXACT;
                    case "fp8" -> PrecisionMode.FP8;
                    default -> throw new IOException(source + ": modes[" + i + "] is " + m.get(i) + ", expected \"exact\" or \"fp8\"");
                };
                if (modes.contains(mode)) throw new IOException(source + ": modes[" + i + "] repeats \"" + m.get(i).asText() + "\"");
                modes.add(mode);
            }
            modes.sort(null); // exact first: the fp8 run replays its decisions
        }
        ReferenceTrainStep.Stage stage = ReferenceTrainStep.Stage.SPARSE;
        JsonNode s = root.get("indexer_stage");
        if (s != null) {
            if (!s.isTextual() || !(s.asText().equals("dense") || s.asText().equals("sparse"))) {
                throw new IOException(source + ": \"indexer_stage\" is " + s + ", expected \"dense\" or \"sparse\"");
            }
            stage = s.asText().equals("dense") ? ReferenceTrainStep.Stage.DENSE : ReferenceTrainStep.Stage.SPARSE;
        }
        boolean mtp = true;
        JsonNode t = root.get("mtp");
        if (t != null) {
            if (!t.isBoolean()) throw new IOException(source + ": \"mtp\" must be true or false");
            mtp = t.asBoolean();
        }
        double lambda = 0.3;
        JsonNode l = root.get("mtp_lambda");
        if (l != null) {
            if (!l.isNumber() || !(l.asDouble() >= 0) || Double.isInfinite(l.asDouble())) throw new IOException(source + ": \"mtp_lambda\" must be a finite number >= 0");
            lambda = l.asDouble();
        }
        return new TrainStepScript(ids, layer.asInt(), List.copyOf(modes), stage, mtp, lambda);
    }
}
