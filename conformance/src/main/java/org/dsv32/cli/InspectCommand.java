package org.dsv32.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelConfigReader;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.SafetensorsCheckpoint;
import org.dsv32.spec.io.SafetensorsFile.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ./dsv32 inspect DIR_OR_FILE}: the config summary (when config.json is there), every tensor with dtype,
 * shape and bytes, and totals per dtype. Reads only headers; no tensor data is touched.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        header = "List a checkpoint's tensors (dtype, shape, bytes), totals and config.",
        description = "For a checkpoint directory or one safetensors file: a summary of config.json when there is one, "
                + "then every tensor with dtype, shape and bytes, then totals per dtype. Reads headers only.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR_OR_FILE", description = "checkpoint directory (index.json, model.safetensors or shards) or one .safetensors file")
    Path path;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(path)) {
            Optional<Path> configFile = ck.configFile();
            if (configFile.isPresent()) printConfig(out, configFile.get(), ModelConfigReader.read(configFile.get()));
            out.printf(Locale.ROOT, "checkpoint: %s (%d tensors in %d file%s)%n", Printable.of(ck.root()), ck.size(), ck.files().size(),
                    ck.files().size() == 1 ? "" : "s");
            // Names come from the file: printed escaped, so that a name cannot drive the terminal.
            int width = Math.max(4, ck.names().stream().mapToInt(n -> Printable.escape(n).length()).max().orElse(0));
            out.printf(Locale.ROOT, "  %-" + width + "s  %-8s  %-20s  %s%n", "name", "dtype", "shape", "bytes");
            Map<DType, long[]> totals = new TreeMap<>(); // count, elements, bytes
            for (String name : ck.names()) {
                TensorInfo t = ck.info(name);
                out.printf(Locale.ROOT, "  %-" + width + "s  %-8s  %-20s  %d%n", Printable.escape(name), t.dtype(), Arrays.toString(t.shape()), t.byteSize());
                long[] s = totals.computeIfAbsent(t.dtype(), d -> new long[3]);
                s[0]++;
                s[1] += t.elementCount();
                s[2] += t.byteSize();
            }
            out.println("totals by dtype:");
            long[] all = new long[3];
            for (Map.Entry<DType, long[]> e : totals.entrySet()) {
                printTotal(out, e.getKey().name(), e.getValue());
                for (int i = 0; i < 3; i++) all[i] += e.getValue()[i];
            }
            printTotal(out, "all", all);
        }
        return 0;
    }

    private static void printTotal(PrintStream out, String label, long[] s) {
        out.printf(Locale.ROOT, "  %-8s  %6d tensors  %,16d elements  %,18d bytes (%s)%n", label, s[0], s[1], s[2], human(s[2]));
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** 10000 rather than 10000.0, 0.000001 rather than 1.0E-6. */
    private static String num(double d) { return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString(); }

    private static void printConfig(PrintStream out, Path file, ModelConfig c) {
        out.println("config: " + Printable.of(file));
        out.printf(Locale.ROOT, "  layers     %d (+%d MTP), first %d dense (intermediate %d), hidden %d, vocab %d, max positions %d%n",
                c.numHiddenLayers(), c.numNextnPredictLayers(), c.firstKDenseReplace(), c.intermediateSize(),
                c.hiddenSize(), c.vocabSize(), c.maxPositionEmbeddings());
        out.printf(Locale.ROOT, "  attention  %d heads, q rank %d, kv rank %d, qk %d nope + %d rope, v %d, rms eps %s%n",
                c.numAttentionHeads(), c.qLoraRank(), c.kvLoraRank(), c.qkNopeHeadDim(), c.qkRopeHeadDim(), c.vHeadDim(),
                num(c.rmsNormEps()));
        out.printf(Locale.ROOT, "  experts    %d routed in %d groups (keep %d, top %d), %d shared, intermediate %d, %s %s x%s%n",
                c.nRoutedExperts(), c.nGroup(), c.topkGroup(), c.numExpertsPerTok(), c.nSharedExperts(),
                c.moeIntermediateSize(), c.scoringFunc(), c.topkMethod(), num(c.routedScalingFactor()));
        out.printf(Locale.ROOT, "  indexer    %d heads x %d, top %d%n", c.indexNHeads(), c.indexHeadDim(), c.indexTopk());
        RopeScaling r = c.ropeScaling();
        out.printf(Locale.ROOT, "  rope       theta %s, %s%n", num(c.ropeTheta()), r.isYarn()
                ? "yarn factor " + num(r.factor()) + " (original " + r.originalMaxPositionEmbeddings() + "), mscale_all_dim "
                        + num(r.mscaleAllDim())
                : "no scaling");
        QuantizationConfig q = c.quantization();
        out.printf(Locale.ROOT, "  quant      %s%n", q == null ? "none" : "fp8 " + q.fmt() + ", " + q.blockRows() + "x" + q.blockCols()
                + " weight blocks, " + q.scaleFormat().label() + " scales, " + q.activationScheme() + " activations");
    }
}
