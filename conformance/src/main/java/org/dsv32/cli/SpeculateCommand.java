package org.dsv32.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.dsv32.conformance.logits.LogitsMemory;
import org.dsv32.conformance.logits.LogitsScript;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.checkpoint.CheckpointLoader;
import org.dsv32.spec.generate.Generation;
import org.dsv32.spec.generate.SpeculativeDecoding;
import org.dsv32.spec.io.OutputFiles;
import org.dsv32.spec.weights.ModelWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./dsv32 speculate}: greedy generation with and without MTP drafting must agree token for token. */
@Command(name = "speculate", mixinStandardHelpOptions = true,
        description = {"Greedy generation from each sequence of a script, plain and with MTP speculative decoding (one draft",
                "per main step, verified by the next step); the two must agree token for token.",
                "A sequence's prompt is its \"prompt\" followed by its \"decode\" tokens (the script format of `logits`).",
                "Prints per sequence and overall the acceptance rate and the main-model steps saved.",
                "Exit code: 0 identical, 1 a token differs, 2 usage or input error."})
final class SpeculateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Hugging Face-layout checkpoint directory with an MTP layer")
    Path checkpoint;

    @Option(names = "--script", required = true, description = "JSON: {\"sequences\": [{\"prompt\": [ids], \"decode\": [ids]}, ...]}")
    Path script;

    @Option(names = "--backend", defaultValue = "reference", description = "backend name (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--precision", defaultValue = "exact", description = "exact, fp8 or bf16 (spec/SEMANTICS.md §5, §5c; default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--tokens", defaultValue = "16", description = "tokens to generate per sequence (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (json != null) OutputFiles.checkFile(json);
        if (tokens < 1) throw new IllegalArgumentException("--tokens must be at least 1, got " + tokens);
        CliErrors.requireInput(script, "script");
        PrecisionMode mode = PrecisionMode.parse(precision);
        Backend b = Backends.byName(backend);
        if (!b.availability().available()) throw new IllegalStateException("backend " + b.name() + " is " + b.availability());
        LogitsScript s = LogitsScript.read(script);
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("backend", b.name()).put("precision", mode.label()).put("tokens", tokens);
        ArrayNode seqs = root.putArray("sequences");
        int differing = 0, drafts = 0, accepted = 0, plainSteps = 0, specSteps = 0;
        try (CheckpointLoader ckpt = CheckpointLoader.open(checkpoint, false)) {
            LogitsMemory.requireHeap(ckpt.config(), ckpt.files().configFile().orElseThrow(), s, script);
            ModelWeights w = ckpt.weights();
            if (w.mtp().isEmpty()) throw new IllegalArgumentException(checkpoint + ": the checkpoint has no MTP layer (num_nextn_predict_layers 0): nothing drafts");
            for (int i = 0; i < s.sequences().size(); i++) {
                LogitsScript.Sequence q = s.sequences().get(i);
                int[] prompt = prompt(q);
                if (prompt.length == 0) throw new IllegalArgumentException(script + ": sequence " + i + " has no prompt or decode tokens");
                for (int t : prompt) {
                    if (t >= ckpt.config().vocabSize()) {
                        throw new IllegalArgumentException(script + ": sequence " + i + " holds token " + t + " outside the vocabulary [0, " + ckpt.config().vocabSize() + ")");
                    }
                }
                SpeculativeDecoding d = new SpeculativeDecoding(b, new OpContext(ckpt.config(), mode));
                Generation plain = d.greedy(w, prompt, tokens), spec = d.speculative(w, prompt, tokens);
                int diff = firstDifference(plain.tokens(), spec.tokens());
                if (diff >= 0) differing++;
                drafts += spec.drafts();
                accepted += spec.accepted();
                plainSteps += plain.mainSteps();
                specSteps += spec.mainSteps();
                System.out.printf("sequence %d: %s; %d of %d drafts accepted (%s), main steps %d instead of %d (%d saved)%n", i,
                        diff < 0 ? "identical" : "DIFFERS at token " + diff + " (plain " + plain.tokens()[diff] + ", speculative " + spec.tokens()[diff] + ")",
                        spec.accepted(), spec.drafts(), percent(spec.acceptanceRate()), spec.mainSteps(), plain.mainSteps(), plain.mainSteps() - spec.mainSteps());
                ObjectNode n = seqs.addObject().put("sequence", i).put("identical", diff < 0).put("first_difference", diff)
                        .put("drafts", spec.drafts()).put("accepted", spec.accepted()).put("plain_main_steps", plain.mainSteps())
                        .put("speculative_main_steps", spec.mainSteps()).put("steps_saved", plain.mainSteps() - spec.mainSteps());
                rate(n, spec.acceptanceRate());
                ArrayNode pt = n.putArray("plain_tokens"), st = n.putArray("speculative_tokens");
                Arrays.stream(plain.tokens()).forEach(pt::add);
                Arrays.stream(spec.tokens()).forEach(st::add);
            }
        }
        double overall = drafts == 0 ? Double.NaN : (double) accepted / drafts;
        System.out.printf("overall: %d of %d sequences identical; %d of %d drafts accepted (%s); main steps %d instead of %d (%d saved)%n",
                s.sequences().size() - differing, s.sequences().size(), accepted, drafts, percent(overall), specSteps, plainSteps, plainSteps - specSteps);
        ObjectNode o = root.putObject("overall").put("identical", differing == 0).put("differing_sequences", differing).put("drafts", drafts)
                .put("accepted", accepted).put("plain_main_steps", plainSteps).put("speculative_main_steps", specSteps).put("steps_saved", plainSteps - specSteps);
        rate(o, overall);
        if (json != null) OutputFiles.writeBytes(json, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        if (differing > 0) {
            System.out.println("speculate: FAIL — speculation changed the greedy output of " + differing + " sequence(s)");
            return 1;
        }
        return 0;
    }

    /** The prompt of a script sequence: its prompt, then its decode tokens (a teacher-forced prefix). */
    static int[] prompt(LogitsScript.Sequence q) {
        int[] p = Arrays.copyOf(q.prompt(), q.prompt().length + q.decode().length);
        System.arraycopy(q.decode(), 0, p, q.prompt().length, q.decode().length);
        return p;
    }

    private static int firstDifference(int[] a, int[] b) {
        int m = Arrays.mismatch(a, b);
        return m;
    }

    private static void rate(ObjectNode n, double r) {
        if (Double.isNaN(r)) n.putNull("acceptance_rate");
        else n.put("acceptance_rate", r);
    }

    private static String percent(double r) { return Double.isNaN(r) ? "no drafts" : String.format(java.util.Locale.ROOT, "%.1f%%", 100 * r); }
}
