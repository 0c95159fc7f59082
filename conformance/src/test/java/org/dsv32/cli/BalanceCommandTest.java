package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dsv32.conformance.balance.BalanceSimulation;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelPresets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./dsv32 balance} end to end: the JSON's shape and content, the update balancing a skewed router, refusals. */
class BalanceCommandTest {
    @TempDir Path tmp;

    private static final String GAMMA = "0.004";

    private static double meanMaxVio(JsonNode steps, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += steps.get(i).get("max_vio").asDouble();
        return s / (to - from);
    }

    @Test
    void theUpdateBalancesASkewedRouterAndGammaZeroDoesNot() throws Exception {
        Path json = tmp.resolve("b.json"), report = tmp.resolve("report");
        int steps = 80;
        CliRun r = CliRun.of("balance", "--experts", "16", "--hidden", "32", "--sequences", "4", "--tokens", "32", "--steps", Integer.toString(steps),
                "--skew", "0.5", "--gammas", "0," + GAMMA, "--alphas", "0,0.0001", "--json", json.toString(), "--report", report.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode runs = new ObjectMapper().readTree(json.toFile()).get("runs");
        assertEquals(4, runs.size());
        JsonNode frozen = null, updated = null;
        for (JsonNode run : runs) {
            assertEquals(steps, run.get("steps").size());
            double gamma = run.get("gamma").asDouble();
            JsonNode first = run.get("steps").get(0);
            double[] bias0 = new double[first.get("bias").size()];
            for (int i = 0; i < bias0.length; i++) bias0[i] = 0; // the synthetic router starts unbiased
            for (int s = 0; s < steps; s++) {
                JsonNode step = run.get("steps").get(s);
                assertEquals(s, step.get("step").asInt());
                long[] load = new long[step.get("load").size()];
                for (int i = 0; i < load.length; i++) load[i] = step.get("load").get(i).asLong();
                assertEquals(BalanceSimulation.maxVio(load), step.get("max_vio").asDouble(), 0, "MaxVio is the step's load's");
                assertTrue(step.get("balance_loss").asDouble() >= 0, "balance loss");
                for (int i = 0; i < load.length; i++) {
                    // each step moves a bias by exactly gamma (up when below the mean load), or not at all
                    double moved = step.get("bias").get(i).asDouble() - bias0[i], mean = load.length == 0 ? 0 : 32.0 * 4 * 4 / load.length;
                    double want = load[i] < mean ? gamma : load[i] > mean ? -gamma : 0;
                    assertEquals(want, moved, Math.ulp((float) 1) * (Math.abs(bias0[i]) + gamma), "step " + s + " expert " + i);
                    bias0[i] = step.get("bias").get(i).asDouble();
                }
            }
            if (run.get("alpha").asDouble() == 0) {
                if (gamma == 0) frozen = run.get("steps");
                else updated = run.get("steps");
            }
        }
        int q = steps / 4;
        double frozenDrop = meanMaxVio(frozen, 0, q) - meanMaxVio(frozen, steps - q, steps);
        double updatedDrop = meanMaxVio(updated, 0, q) - meanMaxVio(updated, steps - q, steps);
        assertTrue(updatedDrop > 0 && meanMaxVio(updated, steps - q, steps) < meanMaxVio(frozen, steps - q, steps),
                "gamma " + GAMMA + " must lower MaxVio below the gamma 0 run's: drop " + updatedDrop);
        assertTrue(Math.abs(frozenDrop) < updatedDrop, "gamma 0 must not balance (the same batches, drop " + frozenDrop + " vs " + updatedDrop + ")");
        String html = Files.readString(report.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("<polyline") && html.contains("gamma " + GAMMA), html.substring(0, 200));
        assertTrue(Files.readString(report.resolve("maxvio.svg")).startsWith("<svg"));
        assertTrue(r.out().contains("gamma 0, alpha 0"), r.out());
    }

    @Test
    void aCheckpointsMoeLayerIsItsRouter() throws Exception {
        Path ckpt = tmp.resolve("tiny"), json = tmp.resolve("c.json");
        assertEquals(0, CliRun.of("tiny-checkpoint", "--out", ckpt.toString(), "--seed", "3").exit());
        ModelConfig c = ModelPresets.tiny();
        CliRun r = CliRun.of("balance", "--checkpoint", ckpt.toString(), "--layer", Integer.toString(c.firstKDenseReplace()), "--steps", "3",
                "--sequences", "2", "--tokens", "8", "--json", json.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode step = new ObjectMapper().readTree(json.toFile()).get("runs").get(0).get("steps").get(0);
        assertEquals(c.nRoutedExperts(), step.get("load").size());
        long total = 0;
        for (JsonNode l : step.get("load")) total += l.asLong();
        assertEquals(2L * 8 * c.numExpertsPerTok(), total, "every token counts K times");

        CliRun dense = CliRun.of("balance", "--checkpoint", ckpt.toString(), "--layer", "0", "--steps", "1");
        assertEquals(2, dense.exit());
        assertTrue(dense.err().contains("--layer 0 is a dense layer"), dense.err());
    }

    @Test
    void aTracedRunsGateInputsAreTheBatch() throws Exception {
        Path ckpt = tmp.resolve("tiny"), script = tmp.resolve("s.json"), logits = tmp.resolve("l.safetensors"), trace = tmp.resolve("t.safetensors");
        Path json = tmp.resolve("b.json");
        assertEquals(0, CliRun.of("tiny-checkpoint", "--out", ckpt.toString(), "--seed", "3").exit());
        Files.writeString(script, "{\"sequences\": [{\"prompt\": [1, 2, 3, 4, 5, 6], \"decode\": [7, 8]}, {\"prompt\": [9, 10, 11, 12, 13], \"decode\": [14]}]}");
        CliRun l = CliRun.of("logits", "--checkpoint", ckpt.toString(), "--script", script.toString(), "--backend", "simd", "--precision", "exact",
                "--out", logits.toString(), "--trace", trace.toString(), "--trace-hidden");
        assertEquals(0, l.exit(), l.err());
        ModelConfig c = ModelPresets.tiny();
        int layer = c.firstKDenseReplace();
        CliRun r = CliRun.of("balance", "--checkpoint", ckpt.toString(), "--layer", Integer.toString(layer), "--trace", trace.toString(),
                "--steps", "3", "--json", json.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("recorded in"), r.out());
        JsonNode step = new ObjectMapper().readTree(json.toFile()).get("runs").get(0).get("steps").get(0);
        long total = 0;
        for (JsonNode n : step.get("load")) total += n.asLong();
        // two sequences of 8 and 6 tokens, both cut to 6: 12 tokens, each routed to K experts
        assertEquals(12L * c.numExpertsPerTok(), total);

        CliRun dense = CliRun.of("balance", "--checkpoint", ckpt.toString(), "--layer", Integer.toString(layer), "--trace", logits.toString(), "--steps", "1");
        assertEquals(2, dense.exit());
        assertTrue(dense.err().contains("no layer" + layer + ".moe.input tensor"), dense.err());
    }

    @Test
    void badInputIsRefusedInOneLineNamingTheKey() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("a-directory"));
        String[][] cases = {
                {"--steps", "0"}, {"--gammas", "-0.1"}, {"--alphas", "NaN"}, {"--experts", "16", "--groups", "3"},
                {"--top-k", "20"}, {"--layer", "3"}, {"--checkpoint", tmp.resolve("missing").toString(), "--layer", "1"},
                {"--json", dir.toString()}, {"--lr", "-1"}};
        String[] names = {"--steps", "--gammas", "--alphas", "--groups", "--top-k", "--layer", "config.json", dir.toString(), "--lr"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[cases[i].length + 1];
            args[0] = "balance";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            CliRun r = CliRun.of(args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(names[i]), String.join(" ", args) + " should name " + names[i] + ": " + r.err());
        }
    }
}
