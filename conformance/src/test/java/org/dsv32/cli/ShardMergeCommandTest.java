package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * {@code conform --shard}, {@code --junit} and {@code --merge} end to end on the quick operations suite of the reference:
 * the two halves merge into the unsharded run's results; refusals exit 2 naming the file.
 */
class ShardMergeCommandTest {
    static final ObjectMapper OM = new ObjectMapper();
    @TempDir static Path dir;
    static CliRun whole, one, two;

    @BeforeAll
    static void runWholeAndHalves() {
        String[] base = {"conform", "--quick", "--suite", "operations", "--backend", "reference"};
        whole = CliRun.of(concat(base, "--report", dir.resolve("whole").toString(), "--junit", dir.resolve("whole.xml").toString()));
        one = CliRun.of(concat(base, "--shard", "1/2", "--report", dir.resolve("s1").toString(), "--junit", dir.resolve("s1.xml").toString()));
        two = CliRun.of(concat(base, "--shard", "2/2", "--report", dir.resolve("s2").toString()));
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** key -> status and worst calc_diff of every result. */
    static TreeMap<String, String> results(Path json) throws Exception {
        TreeMap<String, String> out = new TreeMap<>();
        for (JsonNode r : OM.readTree(json.toFile()).get("results")) {
            String key = r.get("suite").asText() + "/" + r.get("backend").asText() + "/" + r.get("operation").asText() + "/"
                    + r.get("precision").asText() + "/" + r.get("tier").asText();
            out.put(key, r.get("status").asText() + " " + r.get("worst_calc_diff").asText() + " " + r.get("case_details").toString());
        }
        return out;
    }

    static Document xml(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    @Test
    void halvesAreDisjointAndMergeIntoTheWholeRun() throws Exception {
        assertEquals(0, whole.exit(), whole.out() + whole.err());
        assertEquals(0, one.exit(), one.out() + one.err());
        assertEquals(0, two.exit(), two.out() + two.err());
        assertTrue(one.out().contains("conform shard 1/2: PASS"), one.out());
        JsonNode s1 = OM.readTree(dir.resolve("s1/report.json").toFile());
        assertEquals(1, s1.get("shard").get("index").asInt());
        assertEquals(2, s1.get("shard").get("count").asInt());
        assertEquals("[\"operations\"]", s1.get("run").get("suites").toString());
        TreeMap<String, String> a = results(dir.resolve("s1/report.json")), b = results(dir.resolve("s2/report.json"));
        assertFalse(a.isEmpty() || b.isEmpty(), "each half has work: " + a.keySet() + " / " + b.keySet());
        Set<String> both = new HashSet<>(a.keySet());
        both.retainAll(b.keySet());
        assertEquals(Set.of(), both);

        Path merged = dir.resolve("merged");
        CliRun m = CliRun.of("conform", "--merge", dir.resolve("s2").toString(), dir.resolve("s1/report.json").toString(),
                "--report", merged.toString(), "--junit", dir.resolve("merged.xml").toString());
        assertEquals(0, m.exit(), m.out() + m.err());
        assertTrue(m.out().contains("merged 2 shard report(s)") && m.out().contains("conform: PASS"), m.out());
        // same seed, same cases: the merged results are the unsharded run's, number for number
        assertEquals(results(dir.resolve("whole/report.json")), results(merged.resolve("report.json")));
        JsonNode mj = OM.readTree(merged.resolve("report.json").toFile());
        assertEquals(1, mj.get("shard").get("count").asInt());
        assertEquals(2, mj.get("merged_from").size());
        assertEquals("pass", mj.get("summary").get("verdict").asText());
        assertTrue(Files.readString(merged.resolve("report.html")).contains("<svg"));
        // the XML of the merge has one test case per result of the whole run, like the whole run's own
        Element wholeXml = xml(dir.resolve("whole.xml")).getDocumentElement(), mergedXml = xml(dir.resolve("merged.xml")).getDocumentElement();
        assertEquals(String.valueOf(a.size() + b.size()), mergedXml.getAttribute("tests"));
        assertEquals(wholeXml.getAttribute("tests"), mergedXml.getAttribute("tests"));
        assertEquals("0", mergedXml.getAttribute("failures"));
        Element s1Xml = xml(dir.resolve("s1.xml")).getDocumentElement();
        assertEquals(String.valueOf(a.size()), s1Xml.getAttribute("tests"));
        Element firstCase = (Element) s1Xml.getElementsByTagName("testcase").item(0);
        assertEquals("operations.reference", firstCase.getAttribute("classname"));
    }

    @Test
    void mergeRefusesMissingOverlappingAndForeignShards() throws Exception {
        assertEquals(0, one.exit());
        CliRun missing = CliRun.of("conform", "--merge", dir.resolve("s1").toString(), "--report", dir.resolve("m1").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("shard(s) 2/2 missing"), missing.err());
        assertFalse(Files.exists(dir.resolve("m1/report.json")));

        CliRun twice = CliRun.of("conform", "--merge", dir.resolve("s1").toString(), dir.resolve("s1").toString(),
                "--report", dir.resolve("m2").toString());
        assertEquals(2, twice.exit());
        assertTrue(twice.err().contains("are both shard 1/2"), twice.err());

        ObjectNode other = (ObjectNode) OM.readTree(dir.resolve("s2/report.json").toFile());
        other.put("seed", 12345);
        Path foreign = dir.resolve("foreign/report.json");
        Files.createDirectories(foreign.getParent());
        OM.writeValue(foreign.toFile(), other);
        CliRun seed = CliRun.of("conform", "--merge", dir.resolve("s1").toString(), foreign.getParent().toString(),
                "--report", dir.resolve("m3").toString());
        assertEquals(2, seed.exit());
        assertTrue(seed.err().contains(foreign.toString()) && seed.err().contains("seed 12345"), seed.err());

        CliRun absent = CliRun.of("conform", "--merge", dir.resolve("nowhere").toString(), "--report", dir.resolve("m4").toString());
        assertEquals(2, absent.exit());
        assertTrue(absent.err().contains("nowhere") && absent.err().contains("shard report not found"), absent.err());

        CliRun over = CliRun.of("conform", "--merge", dir.resolve("s1").toString(), dir.resolve("s2").toString(),
                "--report", dir.resolve("s1").toString());
        assertEquals(2, over.exit());
        assertTrue(over.err().contains("would overwrite"), over.err());

        // shards of a run asked for one backend that could not run: the merge fails as the run would (exit 1)
        for (String i : List.of("1", "2")) {
            ObjectNode r = (ObjectNode) OM.readTree(dir.resolve("s" + i + "/report.json").toFile());
            ((ObjectNode) r.get("backends").get(0)).put("available", false);
            Path p = dir.resolve("gone" + i + "/report.json");
            Files.createDirectories(p.getParent());
            OM.writeValue(p.toFile(), r);
        }
        CliRun gone = CliRun.of("conform", "--merge", dir.resolve("gone1").toString(), dir.resolve("gone2").toString(),
                "--report", dir.resolve("m6").toString());
        assertEquals(1, gone.exit(), gone.out() + gone.err());
        assertTrue(gone.out().contains("backend 'reference' was asked for but is unavailable"), gone.out());

        CliRun withOptions = CliRun.of("conform", "--merge", dir.resolve("s1").toString(), "--quick", "--report", dir.resolve("m5").toString());
        assertEquals(2, withOptions.exit());
        assertTrue(withOptions.err().contains("come from the shards' reports"), withOptions.err());
    }

    @Test
    void badShardAndUnwritableJunitAreRefusedBeforeAnyWork() throws Exception {
        for (String bad : List.of("3/2", "0/2", "x")) {
            CliRun r = CliRun.of("conform", "--quick", "--suite", "operations", "--shard", bad, "--report", dir.resolve("bad").toString());
            assertEquals(2, r.exit(), bad);
            assertTrue(r.err().contains("1 <= I <= N"), r.err());
            assertFalse(r.err().contains("[reference]"), "no check ran: " + r.err());
        }
        Path aDir = Files.createDirectories(dir.resolve("a-directory.xml"));
        CliRun r = CliRun.of("conform", "--quick", "--suite", "operations", "--junit", aDir.toString(), "--report", dir.resolve("bad2").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("a-directory.xml"), r.err());
        assertFalse(r.err().contains("[reference]"), "no check ran: " + r.err());
    }
}
