package org.dsv32.conformance.golden;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.weights.ModelWeights;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Writes the golden set: every case of every {@link GoldenOps operation}, computed by the float64 reference
 * backend, the shared model weights files, and {@code manifest.json}. Everything derives from one base seed (each
 * case family draws from {@code seed(family)}, independent of the others), and every file is written
 * deterministically, so the same seed gives byte-identical files.
 */
public final class GoldenGenerator {
    private GoldenGenerator() {}

    /** The seed of the shipped set. */
    public static final long DEFAULT_SEED = CheckOptions.DEFAULT_SEED;

    /** A precision mode with an activation (and weight block) scale format. */
    public record Variant(PrecisionMode mode, ScaleFormat scales) {
        public String label() { return mode.label() + "-" + scales.label(); }
    }

    /** A shared weights file: its path relative to the golden directory, its seal, and the weights it holds. */
    public record SharedWeights(String file, String seal, ModelConfig config, ModelWeights weights) {}

    /** What the generated set is. */
    public record Result(Path directory, GoldenManifest manifest) {}

    /** Generates the whole set into {@code dir} (created; files of an earlier manifest there are removed first). */
    public static Result generate(Path dir, long seed) throws IOException { return generate(dir, seed, GoldenOps.ALL); }

    /** Generates the cases of {@code ops} only (tests). */
    static Result generate(Path dir, long seed, List<GoldenOp<?, ?>> ops) throws IOException {
        org.dsv32.spec.io.OutputFiles.checkDirectory(dir);
        Files.createDirectories(dir);
        removePrevious(dir);
        Context ctx = new Context(dir, seed);
        for (GoldenOp<?, ?> op : ops) op.generate(ctx);
        GoldenManifest m = new GoldenManifest(Long.toString(seed), ctx.weights, ctx.cases);
        m.write(dir.resolve(GoldenFormat.MANIFEST));
        return new Result(dir, m);
    }

    private static void removePrevious(Path dir) throws IOException {
        Path manifest = dir.resolve(GoldenFormat.MANIFEST);
        if (!Files.isRegularFile(manifest)) return;
        GoldenManifest old;
        try {
            old = GoldenManifest.read(manifest);
        } catch (GoldenException e) {
            throw new IOException("cannot regenerate into " + dir + ": its " + GoldenFormat.MANIFEST + " is unreadable (" + e.getMessage()
                    + "); remove it or choose another --out", e);
        }
        for (GoldenManifest.Entry e : old.cases()) Files.deleteIfExists(inside(dir, e.file()));
        for (GoldenManifest.FileEntry w : old.weights()) Files.deleteIfExists(inside(dir, w.file()));
        Files.delete(manifest);
    }

    static Path inside(Path dir, String relative) throws IOException {
        Path p = dir.resolve(relative).normalize();
        if (!p.startsWith(dir.normalize())) throw new IOException(relative + " lies outside " + dir);
        return p;
    }

    /** What an operation's {@link GoldenOp#generate} writes with. Not thread-safe. */
    public static final class Context {
        private final Path dir;
        private final long baseSeed;
        private final Backend reference = new ReferenceBackend();
        private final List<GoldenManifest.Entry> cases = new ArrayList<>();
        private final List<GoldenManifest.FileEntry> weights = new ArrayList<>();
        private final Map<ScaleFormat, SharedWeights> modelWeights = new EnumMap<>(ScaleFormat.class);

        Context(Path dir, long baseSeed) {
            this.dir = dir;
            this.baseSeed = baseSeed;
        }

        /** The reference backend. */
        public Backend reference() { return reference; }

        /** The reference's {@code type} bound to {@code config} in {@code mode}. */
        public <T extends Operation> T reference(Class<T> type, ModelConfig config, PrecisionMode mode) {
            return reference.require(type, new OpContext(config, mode));
        }

        /** The seed of a case family (the cases of one family in several modes share their inputs and weights). */
        public long seed(String family) { return new CheckOptions(baseSeed, false).seedFor(family, 0); }

        public SplittableRandom random(String family) { return new SplittableRandom(seed(family)); }

        /**
         * The variants an operation is generated in: exact and fp8 with ue8m0 scales, and fp8 with plain scales
         * ({@code withExactPlain}: also exact with plain scales).
         */
        public List<Variant> variants(boolean withExactPlain) {
            List<Variant> v = new ArrayList<>(List.of(new Variant(PrecisionMode.EXACT, ScaleFormat.UE8M0),
                    new Variant(PrecisionMode.FP8, ScaleFormat.UE8M0), new Variant(PrecisionMode.FP8, ScaleFormat.PLAIN)));
            if (withExactPlain) v.add(1, new Variant(PrecisionMode.EXACT, ScaleFormat.PLAIN));
            return v;
        }

        /**
         * {@link #variants(boolean)} plus bf16 mode with ue8m0 scales (spec/SEMANTICS.md §5c), for the operations whose
         * bf16 cases are shipped (mlp, block, model).
         */
        public List<Variant> variantsWithBf16(boolean withExactPlain) {
            List<Variant> v = new ArrayList<>(variants(withExactPlain));
            v.add(new Variant(PrecisionMode.BF16, ScaleFormat.UE8M0));
            return v;
        }

        /** Both modes with ue8m0 scales (operations that do not quantise). */
        public List<Variant> modes() {
            return List.of(new Variant(PrecisionMode.EXACT, ScaleFormat.UE8M0), new Variant(PrecisionMode.FP8, ScaleFormat.UE8M0));
        }

        /** Writes one case as {@code <name>.safetensors} and lists it in the manifest. */
        public void write(String name, GoldenCaseWriter w) throws IOException {
            if (!name.matches("[a-z0-9][a-z0-9._-]*")) throw new IllegalArgumentException("case name '" + name + "'");
            if (cases.stream().anyMatch(c -> c.name().equals(name))) throw new IllegalArgumentException("duplicate case " + name);
            String file = name + GoldenFormat.EXTENSION;
            Path p = dir.resolve(file);
            w.write(p);
            Map<String, String> m = w.metadata();
            cases.add(new GoldenManifest.Entry(name, file, m.get(GoldenFormat.OPERATION), m.get(GoldenFormat.MODE),
                    m.get(GoldenFormat.SCALE_FORMAT), m.getOrDefault(GoldenFormat.TOLERANCE, "tight"),
                    m.getOrDefault(GoldenFormat.DESCRIPTION, ""), GoldenSeal.ofFile(p), Files.size(p)));
        }

        /**
         * The shared checkpoint of the model-level cases ({@link GoldenConfigs#model}) with {@code scales} block
         * scales, written once as {@code weights/model-<scales>.safetensors}: the random checkpoint of
         * {@link TinyCheckpointWriter#tensors} for that configuration, seeded from the family "model-weights".
         */
        public SharedWeights modelWeights(ScaleFormat scales) throws IOException {
            SharedWeights have = modelWeights.get(scales);
            if (have != null) return have;
            ModelConfig config = GoldenConfigs.model(scales);
            long seed = seed("model-weights");
            List<TensorData> tensors = TinyCheckpointWriter.tensors(config, seed);
            GoldenCaseWriter w = GoldenCaseWriter.forWeights(config).meta(GoldenFormat.SEED, seed).tensors(tensors);
            String file = "weights/model-" + scales.label() + GoldenFormat.EXTENSION;
            Path p = dir.resolve(file);
            String seal = w.write(p);
            weights.add(new GoldenManifest.FileEntry(file, GoldenSeal.ofFile(p), Files.size(p)));
            ModelWeights mw;
            try {
                mw = new CaseWeights(CaseWeights.inMemory(tensors, config, file)).model();
            } catch (GoldenException e) {
                throw new IllegalStateException("generated checkpoint does not load: " + e.getMessage(), e);
            }
            SharedWeights s = new SharedWeights(file, seal, config, mw);
            modelWeights.put(scales, s);
            return s;
        }
    }
}
