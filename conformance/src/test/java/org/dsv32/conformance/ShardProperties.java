package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.dsv32.conformance.report.ConformanceReport;
import org.dsv32.conformance.report.RunInfo;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.tolerance.Tier;
import org.junit.jupiter.api.Test;

/** {@code --shard I/N}: for any N the parts are disjoint, cover the whole run, and are balanced. */
class ShardProperties {
    /** Every position belongs to exactly one of the N shards, and the parts' sizes differ by at most one. */
    @Property(tries = 200)
    void positionsAreDealtToExactlyOneShard(@ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 0, max = 500) int units) {
        int[] sizes = new int[n];
        for (int p = 0; p < units; p++) {
            int owners = 0;
            for (int i = 1; i <= n; i++) if (new Shard(i, n).owns(p)) { owners++; sizes[i - 1]++; }
            assertEquals(1, owners, "position " + p + " of " + n + " shards");
        }
        int min = units, max = 0;
        for (int s : sizes) { min = Math.min(min, s); max = Math.max(max, s); }
        assertTrue(max - min <= 1, java.util.Arrays.toString(sizes));
    }

    /** A suite with a fixed number of units that reports one result per unit it runs (no computation). */
    record CountingSuite(String name, int units) implements CheckSuite {
        @Override
        public List<String> unitKeys(CheckOptions options) {
            return java.util.stream.IntStream.range(0, units).mapToObj(u -> "unit" + u).toList();
        }

        @Override
        public String unitKeyOf(CheckResult result) { return result.operation(); }

        @Override
        public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
            return run(candidate, reference, options, progress, u -> true);
        }

        @Override
        public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress, IntPredicate owned) {
            List<CheckResult> out = new ArrayList<>();
            for (int u = 0; u < units; u++) {
                if (owned.test(u)) out.add(CheckResult.notRun(name, candidate.name(), "unit" + u, "exact", Tier.TIGHT, Status.PASS, ""));
            }
            return out;
        }
    }

    /**
     * The runner's split: for random suites (unit counts), backends and N, the shards' results are pairwise disjoint
     * and their union is exactly the unsharded run's, and no shard gets more than its share plus one unit per list
     * dealt (one per suite and backend, and the unavailable backends' rows).
     */
    @Property(tries = 60)
    void shardsOfARunAreDisjointAndCoverIt(@ForAll @IntRange(min = 1, max = 7) int n,
                                           @ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 25) Integer> unitCounts,
                                           @ForAll @IntRange(min = 1, max = 3) int backendCount) {
        List<CheckSuite> suites = new ArrayList<>();
        for (int i = 0; i < unitCounts.size(); i++) suites.add(new CountingSuite("s" + i, unitCounts.get(i)));
        List<Backend> backends = List.of(Backends.byName("reference"), Backends.byName("simd"), Backends.byName("cuda")).subList(0, backendCount);
        ConformanceRunner runner = new ConformanceRunner(suites);
        RunInfo whole = RunInfo.whole(suites.stream().map(CheckSuite::name).toList());
        Set<String> all = keys(runner.run(backends, backends.getFirst(), CheckOptions.quickDefaults(), Progress.NONE, whole));
        Set<String> union = new HashSet<>();
        int total = 0;
        java.util.Map<String, int[]> perList = new java.util.HashMap<>(); // suite/backend -> results per shard
        for (int i = 1; i <= n; i++) {
            ConformanceReport part = runner.run(backends, backends.getFirst(), CheckOptions.quickDefaults(), Progress.NONE, whole.withShard(new Shard(i, n)));
            assertEquals(new Shard(i, n), part.run().shard());
            Set<String> k = keys(part);
            assertEquals(part.results().size(), k.size());
            for (String key : k) assertTrue(union.add(key), "in two shards: " + key);
            total += k.size();
            for (CheckResult c : part.results()) perList.computeIfAbsent(c.suite() + "/" + c.backend(), x -> new int[n])[i - 1]++;
        }
        assertEquals(all, union);
        assertEquals(all.size(), total);
        // balance: every backend's list of every suite is spread over the shards, one more unit at most on some
        for (var e : perList.entrySet()) {
            int min = Integer.MAX_VALUE, max = 0;
            for (int c : e.getValue()) { min = Math.min(min, c); max = Math.max(max, c); }
            assertTrue(max - min <= 1, e.getKey() + " " + java.util.Arrays.toString(e.getValue()));
        }
    }

    /**
     * Balanced by time: for random costs, the shards of a run are still disjoint and cover it, and the planned load of
     * the longest shard is at most the average plus the longest unit (the longest-processing-time rule's guarantee).
     */
    @Property(tries = 60)
    void costBalancedShardsAreDisjointCoverTheRunAndAreBalanced(@ForAll @IntRange(min = 1, max = 6) int n,
                                                                @ForAll @Size(min = 1, max = 3) List<@IntRange(min = 0, max = 12) Integer> unitCounts,
                                                                @ForAll @Size(min = 36, max = 36) List<@IntRange(min = 0, max = 1000) Integer> costList) {
        List<CheckSuite> suites = new ArrayList<>();
        for (int i = 0; i < unitCounts.size(); i++) suites.add(new CountingSuite("s" + i, unitCounts.get(i)));
        List<Backend> backends = List.of(Backends.byName("reference"), Backends.byName("simd"));
        java.util.Map<String, Double> m = new java.util.HashMap<>();
        int c = 0;
        for (int si = 0; si < unitCounts.size(); si++) {
            for (int u = 0; u < unitCounts.get(si); u++) m.put(ShardCosts.key("s" + si, "simd", "unit" + u), (double) costList.get(c++ % costList.size()));
        }
        ShardCosts costs = new ShardCosts("test", m); // the reference's units fall back to the median
        ConformanceRunner runner = new ConformanceRunner(suites);
        RunInfo whole = RunInfo.whole(suites.stream().map(CheckSuite::name).toList());
        Set<String> all = keys(runner.run(backends, backends.getFirst(), CheckOptions.quickDefaults(), Progress.NONE, whole, costs));
        Set<String> union = new HashSet<>();
        for (int i = 1; i <= n; i++) {
            ConformanceReport part = runner.run(backends, backends.getFirst(), CheckOptions.quickDefaults(), Progress.NONE, whole.withShard(new Shard(i, n)), costs);
            assertEquals(costs.digest(), part.run().shardCosts());
            for (String key : keys(part)) assertTrue(union.add(key), "in two shards: " + key);
        }
        assertEquals(all, union);
        List<List<String>> perSuite = suites.stream().map(su -> su.unitKeys(CheckOptions.quickDefaults())).toList();
        ShardPlan plan = new ShardPlan(new Shard(1, n), costs, backends.stream().map(Backend::name).toList(),
                suites.stream().map(CheckSuite::name).toList(), List.of(perSuite, perSuite));
        double total = 0, longest = 0;
        for (Backend b : backends) {
            for (int si = 0; si < suites.size(); si++) {
                for (String k : perSuite.get(si)) {
                    double x = costs.cost("s" + si, b.name(), k);
                    total += x;
                    longest = Math.max(longest, x);
                }
            }
        }
        for (double load : plan.loads()) assertTrue(load <= total / n + longest + 1e-9, java.util.Arrays.toString(plan.loads()) + " total " + total);
    }

    /** A shard of a long unit gets nothing else when the rest fits beside it: what round-robin could not do. */
    @Test
    void theLongestUnitGetsAShardOfItsOwn() {
        ShardCosts costs = new ShardCosts("test", java.util.Map.of(ShardCosts.key("s0", "simd", "unit0"), 100.0,
                ShardCosts.key("s0", "simd", "unit1"), 10.0, ShardCosts.key("s0", "simd", "unit2"), 10.0, ShardCosts.key("s0", "simd", "unit3"), 10.0));
        List<List<List<String>>> keys = List.of(List.of(List.of("unit0", "unit1", "unit2", "unit3")));
        ShardPlan first = new ShardPlan(new Shard(1, 2), costs, List.of("simd"), List.of("s0"), keys);
        ShardPlan second = new ShardPlan(new Shard(2, 2), costs, List.of("simd"), List.of("s0"), keys);
        assertEquals(List.of(0), java.util.stream.IntStream.range(0, 4).filter(first.units(0, 0)).boxed().toList());
        assertEquals(List.of(1, 2, 3), java.util.stream.IntStream.range(0, 4).filter(second.units(0, 0)).boxed().toList());
        assertEquals(100.0, first.loads()[0]);
        assertEquals(30.0, first.loads()[1]);
    }

    /** A cost table survives its TSV form, refuses malformed lines naming the line, and its digest names its content. */
    @Test
    void costTablesRoundTripAndRefuseBadLines() {
        ShardCosts t = new ShardCosts("test", java.util.Map.of(ShardCosts.key("operations", "simd", "linear"), 1.25, ShardCosts.key("golden", "simd", "*"), 3.0));
        ShardCosts back = ShardCosts.parseTsv(t.tsv(), "again");
        assertEquals(t.seconds(), back.seconds());
        assertEquals(t.digest(), back.digest());
        assertEquals("uniform", ShardCosts.uniform().digest());
        assertEquals(2.0, new ShardCosts("m", java.util.Map.of("a\tb\tc", 1.0, "a\tb\td", 2.0, "a\tb\te", 9.0)).cost("x", "y", "z"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardCosts.parseTsv("# h\nops\tsimd\tlinear\n", "f.tsv"));
        assertTrue(e.getMessage().startsWith("f.tsv:2:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ShardCosts.parseTsv("ops\tsimd\tlinear\tfast\n", "f.tsv"));
        assertTrue(e.getMessage().contains("'fast'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ShardCosts("neg", java.util.Map.of("a\tb\tc", -1.0)));
    }

    /** The committed tables parse and name only units the current suites have (a stale table would deal blindly). */
    @Test
    void committedCostTablesNameRealUnits() {
        for (CheckOptions o : List.of(CheckOptions.quickDefaults(), CheckOptions.defaults())) {
            ShardCosts t = ShardCosts.builtIn(o);
            assertTrue(!t.seconds().isEmpty(), "no committed table " + ShardCosts.builtInName(o));
            Set<String> known = new HashSet<>();
            for (CheckSuite s : ConformanceRunner.suites(null)) {
                for (String b : List.of("reference", "simd", "cuda")) for (String u : s.unitKeys(o)) known.add(ShardCosts.key(s.name(), b, u));
            }
            for (String k : t.seconds().keySet()) assertTrue(known.contains(k), ShardCosts.builtInName(o) + " names an unknown unit: " + k);
        }
    }

    private static Set<String> keys(ConformanceReport r) {
        Set<String> out = new HashSet<>();
        for (CheckResult c : r.results()) out.add(c.key());
        return out;
    }

    @Test
    void suitesRunOnlyTheUnitsTheyAreGiven() {
        Backend ref = Backends.byName("reference");
        CheckOptions quick = CheckOptions.quickDefaults();
        assertEquals(List.of(), new org.dsv32.conformance.official.OfficialSuite().run(ref, ref, quick, Progress.NONE, u -> false));
        assertEquals(List.of(), new org.dsv32.conformance.checkpoint.CheckpointSuite().run(ref, ref, quick, Progress.NONE, u -> false));
        assertEquals(List.of(), new org.dsv32.conformance.golden.GoldenSuite().run(ref, ref, quick, Progress.NONE, u -> false));
        // checkpoint unit 1: the first variant (ue8m0) in the second precision mode
        List<CheckResult> one = new org.dsv32.conformance.checkpoint.CheckpointSuite().run(ref, ref, quick, Progress.NONE, u -> u == 1);
        assertEquals(List.of("checkpoint/reference/logits[ue8m0]/fp8/tight"), one.stream().map(CheckResult::key).toList());
        List<CheckResult> ops = new OperationSuite().run(ref, ref, quick, Progress.NONE, u -> u == 0);
        assertTrue(!ops.isEmpty() && ops.stream().allMatch(c -> c.operation().equals(ops.getFirst().operation())), ops.toString());
    }

    @Test
    void parseAcceptsIOverNAndRefusesTheRest() {
        assertEquals(new Shard(2, 4), Shard.parse("2/4"));
        assertEquals(Shard.WHOLE, Shard.parse("1/1"));
        for (String bad : List.of("0/4", "5/4", "4", "/4", "a/b", "1/0", "-1/2", "", "1/2/3")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shard.parse(bad));
            assertTrue(e.getMessage().contains("1 <= I <= N"), e.getMessage());
        }
    }
}
