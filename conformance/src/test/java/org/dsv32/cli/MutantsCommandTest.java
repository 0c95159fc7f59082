package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.conformance.mutants.MutantTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./dsv32 mutants}: one line per mutant, JSON results, the generated table, unknown ids refused. */
class MutantsCommandTest {
    @Test
    void selectedMutantsAreKilledAndWrittenAsJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out/mutants.json");
        CliRun r = CliRun.of("mutants", "--only", "ue8m0-not-rounded,mtp-position0-not-zeroed", "--json", json.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("ue8m0-not-rounded") && r.out().contains("killed by act_quant"), r.out());
        assertTrue(r.out().contains("mtp-position0-not-zeroed") && r.out().contains("killed by mtp"), r.out());
        assertTrue(r.out().contains("2 killed, 0 survived of 2"), r.out());
        assertTrue(r.err().contains("[1/2]") && r.err().contains("[2/2]"), r.err());
        // without --verbose the checks' lines are rate-limited steps, but the first one of a run shows at once
        assertTrue(r.err().contains(" case 1 of "), "progress inside a mutant: " + r.err());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, root.get("killed").asInt());
        assertEquals(0, root.get("survived").asInt());
        JsonNode first = root.get("mutants").get(0);
        assertEquals("ue8m0-not-rounded", first.get("id").asText());
        assertEquals("killed", first.get("status").asText());
        assertEquals("ue8m0 not rounded or rounded down", first.get("fact_sheet").asText());
        assertEquals("ReferenceActQuant.roundScale()", first.get("injected_at").asText());
        assertTrue(first.get("killed_by").get("check").asText().startsWith("act_quant "));
    }

    @Test
    void unknownMutantIsAUsageErrorNamingTheKnownOnes() {
        CliRun r = CliRun.of("mutants", "--only", "no-such-bug");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown mutant 'no-such-bug'") && r.err().contains("indexer-rope-interleaved"), r.err());
    }

    @Test
    void markdownIsTheGeneratedTable(@TempDir Path dir) throws Exception {
        Path md = dir.resolve("MUTANTS.md");
        CliRun r = CliRun.of("mutants", "--markdown", md.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(MutantTable.markdown(MutantCatalogue.all()), Files.readString(md));
    }
}
