package org.dsv32.spec.checkpoint;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.dsv32.spec.config.ConfigException;
import org.dsv32.spec.config.ConfigLimits;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelConfigWriter;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.format.BF16;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.format.UE8M0;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.OutputFiles;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Writes a random checkpoint in the Hugging Face DeepSeek-V3.2 layout ({@link CheckpointLayout}) for a
 * configuration: {@code config.json} and {@code model.safetensors}, or shards with {@code model.safetensors.index.json}.
 * Seeded and byte-identical for the same configuration, seed and variant.
 *
 * <p>Values are chosen so activations stay O(1) through the layers: a Linear [N][K] is N(0, 1/K) (output and down
 * projections N(0, 0.25/K), so the residual stream grows slowly); the embedding N(0, 1); norm weights 1 + N(0, 0.05^2);
 * the indexer's k_norm bias N(0, 0.02^2); the router N(0, 1/D), so sigmoid scores spread over about (0.2, 0.8);
 * {@code e_score_correction_bias} uniform in (-0.1, 0.1) in fp32, so exact ties between biased scores have
 * probability zero. Each tensor draws from its own stream, seeded by the seed and the tensor's name, so the
 * variants share the same underlying real weights and differ only in their scales. The MTP layer's
 * {@code embed_tokens} is an exact copy of the main embedding (as in the published checkpoint); its
 * {@code shared_head.head} is drawn independently of {@code lm_head}, so a loader that confuses them is caught.
 *
 * <p>FP8 weights are quantised per 128x128 block (ragged at the edges): s = amax * fp32(1/448) over the block, rounded
 * UP to a power of two for ue8m0 ({@link UE8M0#roundUp}) or kept as is for plain; codes = e4m3(w / s), saturating.
 * The scale written is the one used (spec/SEMANTICS.md §2 and §3).
 */
public final class TinyCheckpointWriter {
    private TinyCheckpointWriter() {}

    public static final String CONFIG_FILE = "config.json";
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** Shards written by the {@code sharded} variant. */
    public static final int SHARDS = 3;
    /** Largest checkpoint this writer generates (it holds every tensor on the heap): 2 GiB. */
    public static final long MAX_BYTES = 2L << 30;

    /** The checkpoint variants. */
    public enum Variant {
        /** ue8m0 (power-of-two) block scales, one file: what DeepSeek-V3.2 publishes. */
        UE8M0,
        /** Plain fp32 block scales (amax / 448), no scale_fmt in config.json, one file. */
        PLAIN,
        /** ue8m0 scales split over three shards with an index; a weight and its scale sit in different shards. */
        SHARDED;

        public String label() { return name().toLowerCase(Locale.ROOT); }

        public static Variant parse(String s) {
            for (Variant v : values()) if (v.label().equalsIgnoreCase(s)) return v;
            throw new IllegalArgumentException("unknown variant '" + s + "' (expected ue8m0, plain or sharded)");
        }

        ScaleFormat scaleFormat() { return this == PLAIN ? ScaleFormat.PLAIN : ScaleFormat.UE8M0; }
    }

    /** What {@link #write} wrote. {@code parameters} counts the elements of every tensor except block scales. */
    public record Result(Path directory, ModelConfig config, Variant variant, long seed, List<Path> files,
                         int tensorCount, long tensorBytes, long parameters) {}

    /** The configuration a variant writes: {@code base} with the variant's scale format (unchanged when unquantised). */
    public static ModelConfig configFor(ModelConfig base, Variant variant) {
        QuantizationConfig q = base.quantization();
        if (q == null) return base;
        return base.withQuantization(new QuantizationConfig(q.fmt(), q.blockRows(), q.blockCols(), variant.scaleFormat(), q.activationScheme()));
    }

    /**
     * Writes the checkpoint into {@code dir} (created if needed; files of the same names are replaced).
     * The configuration written is {@link #configFor}(base, variant).
     */
    public static Result write(Path dir, ModelConfig base, long seed, Variant variant) throws IOException {
        ModelConfig config = configFor(base, variant);
        requireFeasible(config, "config");
        OutputFiles.checkDirectory(dir); // before generating: a bad directory is refused at once
        List<TensorData> tensors = tensors(config, seed);
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        Path configFile = dir.resolve(CONFIG_FILE);
        ModelConfigWriter.write(config, configFile);
        files.add(configFile);
        Map<String, String> metadata = Map.of("format", "pt");
        if (variant != Variant.SHARDED) {
            Path f = dir.resolve(SINGLE_FILE);
            SafetensorsWriter.write(f, tensors, metadata);
            files.add(f);
        } else {
            int[] cuts = shardCuts(tensors);
            Map<String, String> weightMap = new TreeMap<>();
            for (int s = 0; s < SHARDS; s++) {
                String shardName = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, SHARDS);
                List<TensorData> part = tensors.subList(cuts[s], cuts[s + 1]);
                Path f = dir.resolve(shardName);
                SafetensorsWriter.write(f, part, metadata);
                files.add(f);
                for (TensorData t : part) weightMap.put(t.name(), shardName);
            }
            Path index = dir.resolve(INDEX_FILE);
            OutputFiles.writeString(index, indexJson(weightMap, bytes(tensors)));
            files.add(index);
        }
        long params = 0;
        for (TensorData t : tensors) if (!t.name().endsWith(CheckpointLayout.SCALE_SUFFIX)) params += t.elementCount();
        return new Result(dir, config, variant, seed, List.copyOf(files), tensors.size(), bytes(tensors), params);
    }

    /**
     * Heap bytes held per tensor besides its data while generating: the TensorData and its name, the header entry
     * of the safetensors writer, the list slot — a few hundred bytes, rounded up.
     */
    static final long PER_TENSOR_HEAP = 1024;

    /**
     * The heap {@link #write} needs for a layout: every tensor's bytes (all are held until written), the per-tensor
     * overhead, and the transient arrays of the largest tensor (its float draws, codes or bf16 bits and their copy:
     * 10 bytes per element, rounded up).
     */
    static long heapBytes(CheckpointLayout.Totals t) {
        double need = t.bytes() + (double) t.tensors() * PER_TENSOR_HEAP + 10.0 * t.largestElements();
        return need >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) need;
    }

    /**
     * Refuses, before anything is allocated, a configuration beyond {@link ConfigLimits}, a checkpoint above
     * {@link #MAX_BYTES} or one whose generation would not fit the heap; the size comes from
     * {@link CheckpointLayout#totals} (nothing is listed), and the refusal names {@code source} (where the
     * configuration came from) and the key behind the largest part. {@link #write} checks this itself; callers
     * that know the configuration's file call it first for a message naming that file.
     */
    public static void requireFeasible(ModelConfig config, String source) throws ConfigException {
        ConfigLimits.check(config, source);
        CheckpointLayout.Totals t = CheckpointLayout.totals(config);
        String key = CheckpointLayout.sizeKey(t.largestRole());
        long value = CheckpointLayout.sizeKeyValue(config, t.largestRole());
        if (t.bytes() > MAX_BYTES) {
            throw new ConfigException(source, key, String.format(Locale.ROOT,
                    "%d: refusing to generate a %.1f GB random checkpoint (limit %.1f GB; %,d bytes, mostly %s tensors): use a smaller configuration",
                    value, t.bytes() / 1e9, MAX_BYTES / 1e9, t.bytes(), t.largestRole().name().toLowerCase(Locale.ROOT).replace('_', ' ')));
        }
        ConfigLimits.requireHeap(source, key, value, String.format(Locale.ROOT, "generating this %,d-tensor checkpoint", t.tensors()), heapBytes(t));
    }

    /** Every tensor of the checkpoint of {@code config}, in layout order, generated from {@code seed}. */
    public static List<TensorData> tensors(ModelConfig config, long seed) {
        List<TensorSpec> layout = CheckpointLayout.tensors(config);
        ScaleFormat scaleFormat = config.quantization() == null ? ScaleFormat.PLAIN : config.quantization().scaleFormat();
        List<TensorData> out = new ArrayList<>(layout.size());
        for (int i = 0; i < layout.size(); i++) {
            TensorSpec t = layout.get(i);
            if (t.isFp8()) {
                TensorSpec scale = layout.get(++i);
                if (!scale.name().equals(CheckpointLayout.scaleOf(t.name()))) {
                    throw new IllegalStateException("layout: " + t.name() + " is not followed by its scale");
                }
                quantised(t, scale, seed, scaleFormat, config, out);
            } else {
                out.add(plain(t, seed));
            }
        }
        return out;
    }

    /** Real-valued draws for a weight [rows][cols] by role and name (row-major), before any rounding. */
    private static float[] draw(TensorSpec t, long seed) {
        String name = t.name();
        // the MTP copy of the embedding is the main embedding, value for value
        String source = name.endsWith("." + CheckpointLayout.MTP_EMBED_TOKENS) ? CheckpointLayout.EMBED_TOKENS : name;
        Gaussian g = new Gaussian(seed, source);
        int n = Math.toIntExact(t.elementCount());
        float[] v = new float[n];
        long cols = t.rank() == 2 ? t.dim(1) : t.dim(0);
        if (name.endsWith(CheckpointLayout.ROUTER_BIAS)) {
            for (int i = 0; i < n; i++) v[i] = (float) (0.2 * g.uniform() - 0.1);
        } else if (name.endsWith(".bias")) {
            for (int i = 0; i < n; i++) v[i] = (float) (0.02 * g.next());
        } else if (t.role() == Role.NORM) {
            for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.05 * g.next());
        } else if (t.role() == Role.EMBEDDING) {
            for (int i = 0; i < n; i++) v[i] = (float) g.next();
        } else {
            boolean residualOutput = name.endsWith(CheckpointLayout.O_PROJ) || name.endsWith(CheckpointLayout.DOWN_PROJ);
            double std = (residualOutput ? 0.5 : 1.0) / Math.sqrt(cols);
            for (int i = 0; i < n; i++) v[i] = (float) (std * g.next());
        }
        return v;
    }

    private static TensorData plain(TensorSpec t, long seed) {
        float[] v = draw(t, seed);
        return switch (t.dtype()) {
            case BF16 -> {
                short[] bits = new short[v.length];
                for (int i = 0; i < v.length; i++) bits[i] = BF16.fromFloat(v[i]);
                yield TensorData.ofBf16(t.name(), bits, t.shape());
            }
            case F32 -> TensorData.ofFloats(t.name(), v, t.shape());
            default -> throw new IllegalStateException(t.name() + ": unexpected dtype " + t.dtype());
        };
    }

    private static void quantised(TensorSpec t, TensorSpec scaleSpec, long seed, ScaleFormat fmt, ModelConfig c, List<TensorData> out) {
        float[] w = draw(t, seed);
        int rows = Math.toIntExact(t.dim(0)), cols = Math.toIntExact(t.dim(1));
        int br = c.quantization().blockRows(), bc = c.quantization().blockCols();
        int sr = Math.toIntExact(scaleSpec.dim(0)), sc = Math.toIntExact(scaleSpec.dim(1));
        byte[] codes = new byte[w.length];
        float[] scales = new float[sr * sc];
        for (int bi = 0; bi < sr; bi++) {
            for (int bj = 0; bj < sc; bj++) {
                int r1 = Math.min(rows, (bi + 1) * br), c1 = Math.min(cols, (bj + 1) * bc);
                float amax = 0;
                for (int r = bi * br; r < r1; r++) for (int k = bj * bc; k < c1; k++) amax = Math.max(amax, Math.abs(w[r * cols + k]));
                float s = amax > 0 ? amax * (1f / 448f) : 1f;
                if (fmt == ScaleFormat.UE8M0) s = UE8M0.roundUp(s);
                scales[bi * sc + bj] = s;
                for (int r = bi * br; r < r1; r++) for (int k = bj * bc; k < c1; k++) codes[r * cols + k] = E4M3.encode((double) w[r * cols + k] / s);
            }
        }
        out.add(TensorData.ofBytes(t.name(), DType.F8_E4M3, codes, t.shape()));
        out.add(TensorData.ofFloats(scaleSpec.name(), scales, scaleSpec.shape()));
    }

    /**
     * Shard boundaries: near each third of the bytes, placed just after an FP8 weight so that its scale opens the
     * next shard (a loader must look a tensor's scale up across shards).
     */
    private static int[] shardCuts(List<TensorData> tensors) {
        int n = tensors.size();
        long total = bytes(tensors);
        int[] cuts = new int[SHARDS + 1];
        cuts[SHARDS] = n;
        for (int s = 1; s < SHARDS; s++) {
            long target = total * s / SHARDS, acc = 0;
            int i = 0;
            while (i < n && acc < target) acc += tensors.get(i++).bytes().byteSize();
            while (i < n && tensors.get(i).dtype() != DType.F8_E4M3) i++;
            int cut = i < n ? i + 1 : i; // just after the FP8 weight: its scale opens the next shard
            cuts[s] = Math.min(Math.max(cut, cuts[s - 1] + 1), n - (SHARDS - s));
        }
        return cuts;
    }

    private static long bytes(List<TensorData> tensors) {
        long n = 0;
        for (TensorData t : tensors) n += t.bytes().byteSize();
        return n;
    }

    /** The Hugging Face index: {"metadata": {"total_size": bytes}, "weight_map": {name: shard}} with sorted names. */
    static String indexJson(Map<String, String> sortedWeightMap, long totalSize) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        sortedWeightMap.forEach(map::put);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(
                Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        pp.indentObjectsWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
        return json.writer(pp).writeValueAsString(root) + "\n";
    }

    /**
     * Standard normal draws by Marsaglia's polar method on SplittableRandom's uniforms, with StrictMath: the same
     * on every JVM (SplittableRandom's sequence and StrictMath are both specified to the bit).
     */
    private static final class Gaussian {
        private final SplittableRandom r;
        private double spare;
        private boolean hasSpare;

        Gaussian(long seed, String name) { r = new SplittableRandom(seed ^ fnv1a64(name)); }

        double uniform() { return r.nextDouble(); }

        double next() {
            if (hasSpare) {
                hasSpare = false;
                return spare;
            }
            double u, v, s;
            do {
                u = 2 * r.nextDouble() - 1;
                v = 2 * r.nextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double m = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
            spare = v * m;
            hasSpare = true;
            return u * m;
        }

        private static long fnv1a64(String s) {
            long h = 0xcbf29ce484222325L;
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                h ^= b & 0xFF;
                h *= 0x100000001b3L;
            }
            return h;
        }
    }
}
