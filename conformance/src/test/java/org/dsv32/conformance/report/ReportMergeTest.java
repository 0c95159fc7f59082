package org.dsv32.conformance.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.Shard;
import org.dsv32.conformance.Status;
import org.dsv32.spec.tolerance.Tier;
import org.junit.jupiter.api.Test;

/** report.json read back, and shard reports merged, or refused with the file and the problem named. */
class ReportMergeTest {
    static final List<CheckResult> RESULTS = List.of(
            ReportTest.result("reference", "linear", Status.PASS, 1e-6, ""),
            ReportTest.result("reference", "rope", Status.FAIL, 1e-2, ""),
            ReportTest.result("reference", "indexer", Status.PASS, 2e-7, ""),
            CheckResult.notRun("operations", "reference", "block", "exact", Tier.TIGHT, Status.NOT_IMPLEMENTED, "lacks it"),
            CheckResult.notRun("backend", "cuda", "*", "-", Tier.TIGHT, Status.UNAVAILABLE, "no GPU"));

    static ConformanceReport whole() {
        return ReportTest.report(RESULTS.toArray(CheckResult[]::new)).withRun(new RunInfo("1.0", List.of("operations"), "all", Shard.WHOLE));
    }

    /** Shard i of n of {@link #whole}: every n-th result. */
    static JsonNode shard(int i, int n) {
        List<CheckResult> mine = new ArrayList<>();
        for (int k = 0; k < RESULTS.size(); k++) if (new Shard(i, n).owns(k)) mine.add(RESULTS.get(k));
        ConformanceReport w = whole();
        return ReportJson.toJson(new ConformanceReport(w.generated(), w.seed(), w.quick(), w.machine(), w.backends(), mine, 1.5,
                w.run().withShard(new Shard(i, n))), false);
    }

    static ReportMerge.Input in(String name, JsonNode root) { return new ReportMerge.Input(Path.of(name), root); }

    @Test
    void writingAReadReportGivesTheSameResults() {
        ObjectNode once = ReportJson.toJson(whole(), false);
        ConformanceReport back = ReportJson.parse(once, "r.json");
        ObjectNode twice = ReportJson.toJson(back, false);
        assertEquals(once.get("results"), twice.get("results"));
        assertEquals(once.get("summary"), twice.get("summary"));
        assertEquals(once.get("run"), twice.get("run"));
        assertEquals(once.get("backends"), twice.get("backends"));
    }

    @Test
    void shardsMergeIntoTheWholeRunInItsOrder() {
        ReportMerge.Merged m = ReportMerge.merge(List.of(in("b/report.json", shard(2, 3)), in("a/report.json", shard(1, 3)),
                in("c/report.json", shard(3, 3))));
        JsonNode merged = ReportJson.toJson(m.report(), m.strict()), whole = ReportJson.toJson(whole(), false);
        assertEquals(whole.get("results"), merged.get("results"));
        assertEquals(Shard.WHOLE, m.report().run().shard());
        assertEquals(4.5, m.report().seconds(), 1e-12);
        assertEquals(whole.get("summary").get("problems"), merged.get("summary").get("problems"));        assertTrue(ReportHtml.render(ReportJson.parse(shard(2, 3), "s2"), false).contains("shard 2/3"));
        assertFalse(ReportHtml.render(m.report(), false).contains("shard 1/1"));
    }

    @Test
    void aShardDoesNotJudgeWhetherABackendPassedSomethingOfItsOwnTheMergeDoes() {
        // shard 2/2 holds only the reference's FAIL... and shard 1/2 its passes; a shard holding only NOT IMPLEMENTED rows
        ConformanceReport onlyMissing = new ConformanceReport("t", 1, true, whole().machine(), whole().backends(),
                List.of(RESULTS.get(3)), 0, whole().run().withShard(new Shard(2, 2)));
        assertTrue(onlyMissing.summary().passed(), onlyMissing.summary().toString());
        assertFalse(onlyMissing.withRun(onlyMissing.run().withShard(Shard.WHOLE)).summary().passed());
    }

    @Test
    void refusesMissingOverlappingAndForeignShards() {
        assertRefused("shard(s) 2/3 missing", in("a", shard(1, 3)), in("c", shard(3, 3)));
        assertRefused("c and a are both shard 1/3", in("a", shard(1, 3)), in("c", shard(1, 3)), in("d", shard(2, 3)));
        assertRefused("b: number of shards 2 but a has 3", in("a", shard(1, 3)), in("b", shard(2, 2)));
        ObjectNode otherSeed = (ObjectNode) shard(2, 2).deepCopy();
        otherSeed.put("seed", 7);
        assertRefused("b: seed 7 but a has", in("a", shard(1, 2)), in("b", otherSeed));
        ObjectNode otherVersion = (ObjectNode) shard(2, 2).deepCopy();
        ((ObjectNode) otherVersion.get("run")).put("version", "2.0");
        assertRefused("b: version 2.0 but a has 1.0", in("a", shard(1, 2)), in("b", otherVersion));
        ObjectNode otherSuites = (ObjectNode) shard(2, 2).deepCopy();
        ((ObjectNode) otherSuites.get("run")).putArray("suites").add("golden");
        assertRefused("b: suites [golden]", in("a", shard(1, 2)), in("b", otherSuites));
        ObjectNode strict = (ObjectNode) shard(2, 2).deepCopy();
        ((ObjectNode) strict.get("summary")).put("strict", true);
        assertRefused("b: strict true but a has false", in("a", shard(1, 2)), in("b", strict));
        ObjectNode gpu = (ObjectNode) shard(2, 2).deepCopy();
        ((ObjectNode) gpu.get("backends").get(1)).put("available", true);
        assertRefused("b: backends (name: available) [reference: available, cuda: available]", in("a", shard(1, 2)), in("b", gpu));
        // the same check in two reports (e.g. a shard run twice with different N, relabelled)
        ObjectNode dup = (ObjectNode) shard(2, 2).deepCopy();
        ((com.fasterxml.jackson.databind.node.ArrayNode) dup.get("results")).add(shard(1, 2).get("results").get(0));
        assertRefused("b: check operations/reference/linear/fp8/tight is also in a", in("a", shard(1, 2)), in("b", dup));
        ObjectNode notAReport = (ObjectNode) shard(2, 2).deepCopy();
        notAReport.put("format", "something-else");
        assertRefused("b: not a dsv32-conform/1 report", in("a", shard(1, 2)), in("b", notAReport));
    }

    private static void assertRefused(String expected, ReportMerge.Input... inputs) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReportMerge.merge(List.of(inputs)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
