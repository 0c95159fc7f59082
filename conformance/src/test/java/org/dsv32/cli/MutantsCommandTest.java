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
        // every kill has its margin: a number of gates, or "Infinity" for an exact contract broken
        for (JsonNode m : root.get("mutants")) {
            assertTrue(m.get("killed").asBoolean(), m.toString());
            double margin = m.get("margin").isNumber() ? m.get("margin").asDouble() : Double.parseDouble(m.get("margin").asText());
            assertTrue(margin > 1, m.toString());
        }
        assertTrue(r.out().contains(", margin "), r.out());
    }

    @Test
    void atRealDimsAMutantWhoseCheckHasNoRealCasesIsNotReachableNeverSurvived(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("real.json"), xml = dir.resolve("real.xml");
        CliRun r = CliRun.of("mutants", "--dims", "real", "--only", "model-position-not-advanced", "--json", json.toString(), "--junit", xml.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("model-position-not-advanced") && r.out().contains("not reachable: not run at --dims real"), r.out());
        assertTrue(r.out().contains("0 killed, 0 survived of 0 (1 not reachable at real dims)"), r.out());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("real", root.get("dims").asText());
        assertEquals(0, root.get("survived").asInt());
        JsonNode m = root.get("mutants").get(0);
        assertEquals("not_reachable", m.get("status").asText());
        assertEquals(false, m.get("killed").asBoolean());
        assertTrue(m.get("margin").isNull());
        assertTrue(m.get("reason").asText().contains("61 layers"), m.toString());
        assertEquals("model-position-not-advanced", root.get("not_reachable").get(0).asText());
        assertTrue(Files.readString(xml).contains("skipped=\"1\""), Files.readString(xml));
    }

    @Test
    void shardsSplitTheSelectedMutantsAndWriteJUnit(@TempDir Path dir) throws Exception {
        String only = "ue8m0-not-rounded,rms-norm-eps,rope-layouts-swapped";
        java.util.List<String> ran = new java.util.ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Path xml = dir.resolve("m" + i + ".xml"), json = dir.resolve("m" + i + ".json");
            CliRun r = CliRun.of("mutants", "--only", only, "--shard", i + "/2", "--junit", xml.toString(), "--json", json.toString());
            assertEquals(0, r.exit(), r.out() + r.err());
            assertTrue(r.err().contains("(shard " + i + "/2 of 3)"), r.err());
            JsonNode root = new ObjectMapper().readTree(json.toFile());
            assertEquals(i, root.get("shard").get("index").asInt());
            assertEquals(2, root.get("shard").get("count").asInt());
            org.w3c.dom.Element suites = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(xml.toFile()).getDocumentElement();
            assertEquals("0", suites.getAttribute("failures"));
            org.w3c.dom.NodeList cases = suites.getElementsByTagName("testcase");
            assertEquals(String.valueOf(cases.getLength()), suites.getAttribute("tests"));
            assertEquals(root.get("mutants").size(), cases.getLength());
            for (int k = 0; k < cases.getLength(); k++) {
                org.w3c.dom.Element c = (org.w3c.dom.Element) cases.item(k);
                assertTrue(c.getAttribute("classname").startsWith("mutants."), c.getAttribute("classname"));
                assertTrue(c.getTextContent().contains("killed by"), c.getTextContent());
                ran.add(c.getAttribute("name"));
            }
        }
        // the k-th selected mutant is in shard (k mod 2) + 1: disjoint halves whose union is the selection
        assertEquals(java.util.List.of("ue8m0-not-rounded", "rope-layouts-swapped", "rms-norm-eps"), ran);

        // the halves' JSON merge into the whole selection, in its order; a missing half or a repeated one is refused
        Path merged = dir.resolve("merged.json"), mergedXml = dir.resolve("merged.xml");
        CliRun m = CliRun.of("mutants", "--merge", dir.resolve("m2.json").toString(), dir.resolve("m1.json").toString(),
                "--json", merged.toString(), "--junit", mergedXml.toString());
        assertEquals(0, m.exit(), m.out() + m.err());
        assertTrue(m.out().contains("3 killed, 0 survived of 3"), m.out());
        JsonNode all = new ObjectMapper().readTree(merged.toFile());
        assertEquals(3, all.get("killed").asInt());
        java.util.List<String> ids = new java.util.ArrayList<>();
        all.get("mutants").forEach(x -> ids.add(x.get("id").asText()));
        assertEquals(java.util.List.of(only.split(",")), ids);
        assertTrue(Files.readString(mergedXml).contains("tests=\"3\" failures=\"0\""), Files.readString(mergedXml));
        CliRun missing = CliRun.of("mutants", "--merge", dir.resolve("m1.json").toString(), "--json", dir.resolve("x.json").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("shard(s) 2/2 missing"), missing.err());
        CliRun twice = CliRun.of("mutants", "--merge", dir.resolve("m1.json").toString(), dir.resolve("m1.json").toString());
        assertEquals(2, twice.exit());
        assertTrue(twice.err().contains("are both shard 1/2"), twice.err());
    }

    @Test
    void aSurvivorIsAJUnitFailure() throws Exception {
        var survivor = new org.dsv32.conformance.mutants.MutantResult(MutantCatalogue.byId("rms-norm-eps"), false, "", "", "",
                java.util.List.of("rms_norm", "linear"), 0.5);
        var unreachable = org.dsv32.conformance.mutants.MutantResult.notReachable(MutantCatalogue.byId("mtp-loss-target-offset"),
                "a logits run never calls mtp_loss", java.util.List.of(), 0);
        String xml = MutantsCommand.junitXml(java.util.List.of(survivor), java.util.List.of(unreachable),
                null, null, org.dsv32.conformance.CheckOptions.quickDefaults(), "reference", org.dsv32.conformance.Shard.WHOLE);
        org.w3c.dom.Element root = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(xml.getBytes(java.nio.charset.StandardCharsets.UTF_8))).getDocumentElement();
        assertEquals("2", root.getAttribute("tests"));
        assertEquals("1", root.getAttribute("failures"));
        assertEquals("1", root.getAttribute("skipped"));
        org.w3c.dom.Element f = (org.w3c.dom.Element) root.getElementsByTagName("failure").item(0);
        assertEquals("SURVIVED", f.getAttribute("type"));
        assertTrue(f.getTextContent().contains("checks run: rms_norm, linear"), f.getTextContent());
    }

    @Test
    void badShardIsAUsageError() {
        CliRun r = CliRun.of("mutants", "--only", "ue8m0-not-rounded", "--shard", "2/1");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("1 <= I <= N"), r.err());
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
