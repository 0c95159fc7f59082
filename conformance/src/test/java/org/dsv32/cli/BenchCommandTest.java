package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./dsv32 bench} on tiny shapes (--smoke): the table and the JSON's keys and values; never its speed. */
class BenchCommandTest {
    @TempDir Path tmp;

    static final List<String> MACHINE = List.of("cpus", "threads", "vector_bits", "java_version", "fp32_peak_gflops", "bandwidth_gbytes_per_s");
    static final List<String> RESULT = List.of("op", "backend", "seconds", "gflops", "gbytes_per_s", "median_seconds", "runs");

    @Test
    void smokeRunWritesEveryResultWithPositiveFigures() throws Exception {
        Path json = tmp.resolve("out/bench.json");
        CliRun r = CliRun.of("bench", "--smoke", "--json", json.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("GFLOP/s") && r.out().contains("%peak") && r.out().contains("Targets"), r.out());
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        for (String k : MACHINE) assertTrue(j.get("machine").has(k), "machine." + k);
        assertTrue(j.get("machine").get("fp32_peak_gflops").asDouble() > 0);
        assertTrue(j.get("machine").get("bandwidth_gbytes_per_s").asDouble() > 0);
        Set<String> gemms = new HashSet<>(), ops = new HashSet<>();
        for (JsonNode res : j.get("results")) {
            for (String k : RESULT) assertTrue(res.has(k), k + " in " + res);
            for (String k : List.of("seconds", "gflops", "gbytes_per_s", "median_seconds", "roofline_efficiency")) {
                assertTrue(res.get(k).asDouble() > 0 && Double.isFinite(res.get(k).asDouble()), k + " in " + res);
            }
            ops.add(res.get("op").asText());
            if (res.get("op").asText().equals("fp8_gemm")) {
                gemms.add(res.get("m").asInt() + " " + res.get("n").asInt() + " " + res.get("k").asInt() + " " + res.get("backend").asText());
            }
        }
        // --smoke's GEMMs: N x K = 256x256 and 192x384 (a ragged 128-row block), M = 1 (GEMV) and 4
        for (String nk : List.of("256 256", "192 384")) {
            for (int m : new int[] {1, 4}) {
                for (String b : List.of("reference", "simd", "ejml")) assertTrue(gemms.contains(m + " " + nk + " " + b), m + " " + nk + " " + b + " in " + gemms);
            }
        }
        assertTrue(ops.containsAll(List.of("mla_decode", "indexer", "moe", "tiny_decode")), ops.toString());
        // the MoE experts' k-grouped Wgrad: ragged groups, checked and timed like every row
        Set<String> grouped = new HashSet<>();
        for (JsonNode res : j.get("results")) if (res.get("op").asText().equals("fp8_wgrad") && res.has("groups")) grouped.add(res.get("backend").asText());
        assertEquals(Set.of("reference", "simd"), grouped);
        // the GEMV on a weight never used before (codes not repacked) is its own row for every shape
        Set<String> firstUse = new HashSet<>();
        for (JsonNode res : j.get("results")) {
            if (res.get("op").asText().equals("fp8_gemv_first_use")) firstUse.add(res.get("m").asInt() + " " + res.get("n").asInt() + " " + res.get("k").asInt());
        }
        assertEquals(Set.of("1 256 256", "1 192 384"), firstUse);
        assertTrue(r.out().contains("%roof"), r.out());
        assertEquals(4, j.get("targets").size());
    }

    @Test
    void jsonWithoutFileGoesToStdoutAndTheTableToStderr() throws Exception {
        CliRun r = CliRun.of("bench", "--smoke", "--ops", "fp8_gemm", "--m", "2", "--shape", "128x256", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(3, j.get("results").size(), r.out());
        for (JsonNode res : j.get("results")) {
            assertEquals(2, res.get("m").asInt());
            assertEquals(128, res.get("n").asInt());
            assertEquals(256, res.get("k").asInt());
        }
        assertTrue(r.err().contains("GFLOP/s"), r.err());
    }

    @Test
    void anUnavailableBackendIsReportedAndTheOthersStillRun() throws Exception {
        Backend cuda = Backends.byName("cuda");
        Path json = tmp.resolve("cuda.json");
        CliRun r = CliRun.of("bench", "--smoke", "--backend", "cuda", "--ops", "fp8_gemm", "--m", "1", "--shape", "128x128", "--json", json.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        Set<String> backends = new HashSet<>();
        for (JsonNode res : j.get("results")) backends.add(res.get("backend").asText());
        assertTrue(backends.containsAll(List.of("reference", "simd", "ejml")), backends.toString());
        if (cuda.availability().available()) {
            assertTrue(backends.contains("cuda"), backends.toString());
        } else {
            assertFalse(backends.contains("cuda"), backends.toString());
            boolean said = false;
            for (JsonNode s : j.get("skipped")) said |= s.get("backend").asText().equals("cuda") && s.get("reason").asText().startsWith("unavailable");
            assertTrue(said, j.get("skipped").toString());
            assertTrue(r.err().contains("cuda: unavailable"), r.err());
        }
    }

    @Test
    void badArgumentsFailWithOneLine() {
        CliRun op = CliRun.of("bench", "--smoke", "--ops", "fft");
        assertEquals(2, op.exit());
        assertTrue(op.err().contains("unknown op 'fft'") && !op.err().contains("\tat "), op.err());
        CliRun shape = CliRun.of("bench", "--smoke", "--ops", "fp8_gemm", "--shape", "128x100");
        assertEquals(2, shape.exit());
        assertTrue(shape.err().contains("multiple of 128"), shape.err());
    }
}
