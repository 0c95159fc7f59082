package org.dsv32.conformance.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.Shard;
import org.dsv32.spec.ops.OperationCatalog;

/**
 * Merges the reports of the shards of one run ({@code ./dsv32 conform --merge DIR...}) into the report of the whole
 * run. Refused, naming the file and the problem: a report that is not a conformance report, shards of different
 * runs (seed, size, --strict, version, suites, --backend, number of shards, or backends that were not equally
 * available), two reports of the same shard, a missing shard, or a check present in two shards.
 *
 * <p>The merged report is a whole run: its verdict applies every rule, including the per-backend one a shard cannot
 * judge; its results are in the run's order (backends, then suites, then the operation catalogue); its time is the
 * sum of the shards' times; its machine is the first shard's.
 */
public final class ReportMerge {
    private ReportMerge() {}

    /** One shard's report as read from {@code file}. */
    public record Input(Path file, JsonNode root) {}

    /** The merge and whether its shards ran with --strict. */
    public record Merged(ConformanceReport report, boolean strict) {}

    public static Merged merge(List<Input> inputs) {
        if (inputs.isEmpty()) throw new IllegalArgumentException("--merge: no reports given");
        List<ConformanceReport> parts = new ArrayList<>();
        for (Input in : inputs) parts.add(ReportJson.parse(in.root(), in.file().toString()));
        Input first = inputs.getFirst();
        ConformanceReport a = parts.getFirst();
        boolean strict = ReportJson.strict(first.root());
        for (int i = 1; i < parts.size(); i++) {
            ConformanceReport b = parts.get(i);
            Input in = inputs.get(i);
            same(in, first, "seed", a.seed(), b.seed());
            same(in, first, "quick", a.quick(), b.quick());
            same(in, first, "strict", strict, ReportJson.strict(in.root()));
            same(in, first, "version", a.run().version(), b.run().version());
            same(in, first, "suites", a.run().suites(), b.run().suites());
            same(in, first, "backend", a.run().backend(), b.run().backend());
            same(in, first, "dims", a.run().dims(), b.run().dims());
            same(in, first, "shard cost table", a.run().shardCosts(), b.run().shardCosts());
            same(in, first, "number of shards", a.run().shard().count(), b.run().shard().count());
            same(in, first, "backends (name: available)", availability(a), availability(b));
        }
        int n = a.run().shard().count();
        Map<Integer, Input> byIndex = new HashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            Input in = inputs.get(i), other = byIndex.putIfAbsent(parts.get(i).run().shard().index(), in);
            if (other != null) {
                throw new IllegalArgumentException(in.file() + " and " + other.file() + " are both shard " + parts.get(i).run().shard()
                        + ": overlapping shards");
            }
        }
        TreeSet<Integer> missing = new TreeSet<>();
        for (int i = 1; i <= n; i++) if (!byIndex.containsKey(i)) missing.add(i);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("shard(s) " + String.join(", ", missing.stream().map(i -> i + "/" + n).toList())
                    + " missing: " + parts.size() + " of " + n + " report(s) given");
        }
        Map<String, Input> owner = new HashMap<>();
        List<CheckResult> results = new ArrayList<>();
        double seconds = 0;
        for (int i = 0; i < parts.size(); i++) {
            for (CheckResult c : parts.get(i).results()) {
                Input other = owner.putIfAbsent(c.key(), inputs.get(i));
                if (other != null) {
                    throw new IllegalArgumentException(inputs.get(i).file() + ": check " + c.key() + " is also in " + other.file()
                            + ": overlapping shards");
                }
                results.add(c);
            }
            seconds += parts.get(i).seconds();
        }
        results.sort(order(a));
        ConformanceReport merged = new ConformanceReport(Instant.now().toString(), a.seed(), a.quick(), a.machine(), a.backends(),
                results, seconds, a.run().withShard(Shard.WHOLE));
        return new Merged(merged, strict);
    }

    private static void same(Input in, Input first, String what, Object mine, Object theirs) {
        if (!Objects.equals(mine, theirs)) {
            throw new IllegalArgumentException(in.file() + ": " + what + " " + theirs + " but " + first.file() + " has " + mine
                    + ": shards of different runs cannot be merged");
        }
    }

    private static List<String> availability(ConformanceReport r) {
        return r.backends().stream().map(b -> b.name() + ": " + (b.available() ? "available" : "unavailable")).toList();
    }

    /**
     * The run's order: backend, then the unavailable row before the suites, the suites in run order, then the
     * operation catalogue, then by name (checkpoint and official rows); a sort is stable, so the rows of one check keep their mode / tier order.
     */
    static Comparator<CheckResult> order(ConformanceReport r) {
        List<String> backends = r.backends().stream().map(ConformanceReport.BackendInfo::name).toList();
        List<String> suites = r.run().suites();
        List<String> ops = OperationCatalog.ALL.stream().map(OperationCatalog::label).toList();
        return Comparator.<CheckResult>comparingInt(c -> rank(backends, c.backend()))
                .thenComparingInt(c -> c.suite().equals("backend") ? -1 : rank(suites, c.suite()))
                .thenComparingInt(c -> rank(ops, c.operation()))
                .thenComparing(CheckResult::operation);
    }

    private static int rank(List<String> list, String s) {
        int i = list.indexOf(s);
        return i < 0 ? Integer.MAX_VALUE : i;
    }
}
