package org.dsv32.conformance;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.report.ConformanceReport;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.tolerance.Tier;

/**
 * Runs a list of {@link CheckSuite}s against each backend, the reference being the judge. Unavailable backends are
 * listed with their reason. Extend it by adding a suite to {@link #defaultSuites()} (golden cases, mutants).
 */
public final class ConformanceRunner {
    private final List<CheckSuite> suites;

    public ConformanceRunner(List<CheckSuite> suites) { this.suites = List.copyOf(suites); }

    /** The suites {@code ./dsv32 conform} runs. */
    public static List<CheckSuite> defaultSuites() {
        return List.of(new OperationSuite(), new org.dsv32.conformance.golden.GoldenSuite(),
                new org.dsv32.conformance.checkpoint.CheckpointSuite(), new org.dsv32.conformance.official.OfficialSuite());
    }

    /**
     * The default suites named in {@code names}, in their default order (null or empty: all of them); an unknown
     * name is an IllegalArgumentException listing the known ones.
     */
    public static List<CheckSuite> suites(List<String> names) {
        List<CheckSuite> all = defaultSuites();
        if (names == null || names.isEmpty()) return all;
        List<String> known = all.stream().map(CheckSuite::name).toList();
        for (String n : names) {
            if (!known.contains(n)) throw new IllegalArgumentException("unknown suite '" + n + "' (known: " + String.join(", ", known) + ")");
        }
        return all.stream().filter(s -> names.contains(s.name())).toList();
    }

    public ConformanceReport run(List<Backend> candidates, Backend reference, CheckOptions options, Progress progress) {
        return run(candidates, reference, options, progress, org.dsv32.conformance.report.RunInfo.whole(suites.stream().map(CheckSuite::name).toList()));
    }

    /**
     * Runs the part {@code run.shard()} of the run, dealt by the committed cost table for the options
     * ({@link ShardCosts#builtIn}, uniform where none is committed).
     */
    public ConformanceReport run(List<Backend> candidates, Backend reference, CheckOptions options, Progress progress,
                                 org.dsv32.conformance.report.RunInfo run) {
        return run(candidates, reference, options, progress, run, ShardCosts.builtIn(options));
    }

    /**
     * Runs the part {@code run.shard()} of the run as a {@link ShardPlan} over {@code costs} deals it: every unit of
     * every suite for every available backend, and each unavailable backend's single UNAVAILABLE row. Every shard
     * lists every backend's information. The report's run info records the table's digest, so that only shards
     * dealt alike merge.
     */
    public ConformanceReport run(List<Backend> candidates, Backend reference, CheckOptions options, Progress progress,
                                 org.dsv32.conformance.report.RunInfo run, ShardCosts costs) {
        long t0 = System.nanoTime();
        List<String> suiteNames = suites.stream().map(CheckSuite::name).toList();
        List<List<String>> keys = suites.stream().map(su -> su.unitKeys(options)).toList();
        List<List<List<String>>> unitKeys = new ArrayList<>();
        for (Backend b : candidates) unitKeys.add(b.availability().available() ? keys : List.of());
        ShardPlan plan = new ShardPlan(run.shard(), costs, candidates.stream().map(Backend::name).toList(), suiteNames, unitKeys);
        List<CheckResult> results = new ArrayList<>();
        List<ConformanceReport.BackendInfo> backends = new ArrayList<>();
        for (int bi = 0; bi < candidates.size(); bi++) {
            Backend b = candidates.get(bi);
            var avail = b.availability();
            int implemented = implementedCount(b);
            backends.add(new ConformanceReport.BackendInfo(b.name(), b.description(), avail.available(), avail.reason(),
                    implemented, OperationCatalog.ALL.size()));
            if (!avail.available()) {
                if (!plan.ownsUnavailable(bi)) continue;
                progress.report("[" + b.name() + "] unavailable: " + avail.reason());
                results.add(CheckResult.notRun("backend", b.name(), "*", "-", Tier.TIGHT, Status.UNAVAILABLE, avail.reason()));
                continue;
            }
            for (int si = 0; si < suites.size(); si++) {
                results.addAll(suites.get(si).run(b, reference, options, progress, plan.units(si, bi)));
            }
        }
        return ConformanceReport.of(options, backends, results, (System.nanoTime() - t0) / 1e9).withRun(run.withShardCosts(costs.digest()));
    }

    /** How many catalogued operations the backend provides itself or by delegation. */
    static int implementedCount(Backend b) {
        if (!b.availability().available()) return 0;
        int n = 0;
        for (Class<? extends Operation> op : OperationCatalog.ALL) {
            try {
                if (b.operation(op, new org.dsv32.spec.backend.OpContext(ConformanceConfigs.small(), org.dsv32.spec.backend.PrecisionMode.EXACT)).isPresent()) n++;
            } catch (RuntimeException e) {
                // a factory that throws counts as absent
            }
        }
        return n;
    }
}
