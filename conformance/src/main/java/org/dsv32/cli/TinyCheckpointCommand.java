package org.dsv32.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.dsv32.spec.checkpoint.TinyCheckpointWriter;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelConfigReader;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.io.OutputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./dsv32 tiny-checkpoint}: writes a seeded random checkpoint in the Hugging Face DeepSeek-V3.2 layout. */
@Command(name = "tiny-checkpoint", mixinStandardHelpOptions = true,
        description = {"Write a seeded random checkpoint (config.json + safetensors) in the Hugging Face DeepSeek-V3.2 layout.",
            "The same seed and variant give byte-identical files."})
final class TinyCheckpointCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into (created if needed).")
    Path out;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--variant", defaultValue = "ue8m0", paramLabel = "ue8m0|plain|sharded",
            description = {"ue8m0: power-of-two block scales, one file (default);",
                "plain: fp32 block scales amax/448, no scale_fmt;",
                "sharded: ue8m0 over 3 shards with model.safetensors.index.json."})
    String variant;

    @Option(names = "--config", paramLabel = "config.json", description = "Model configuration (default: the tiny preset).")
    Path config;

    @Option(names = "--preset", paramLabel = "NAME", description = "A named configuration instead of --config: tiny (default) or deepseek-v32.")
    String preset;

    @Override
    public Integer call() throws Exception {
        OutputFiles.checkDirectory(out);
        TinyCheckpointWriter.Variant v = TinyCheckpointWriter.Variant.parse(variant);
        if (config != null && preset != null) throw new IllegalArgumentException("give --config or --preset, not both");
        ModelConfig base = config != null ? ModelConfigReader.read(config) : ModelPresets.byName(preset == null ? "tiny" : preset);
        String source = config != null ? config.toString() : "preset " + (preset == null ? "tiny" : preset);
        TinyCheckpointWriter.requireFeasible(TinyCheckpointWriter.configFor(base, v), source);
        TinyCheckpointWriter.Result r = TinyCheckpointWriter.write(out, base, seed, v);
        System.out.printf("wrote %s checkpoint (seed %d, config from %s) to %s%n", v.label(), seed, Printable.of(source),
                Printable.of(out.toAbsolutePath()));
        for (Path f : r.files()) System.out.printf("  %-36s %,14d bytes%n", Printable.of(r.directory().relativize(f)), Files.size(f));
        System.out.printf("  %d tensors, %,d parameters, %,d tensor bytes%n", r.tensorCount(), r.parameters(), r.tensorBytes());
        return 0;
    }
}
