package org.dsv32.conformance.report;

import java.util.List;
import org.dsv32.conformance.Dims;
import org.dsv32.conformance.Shard;

/**
 * What a conformance run was asked to do, beyond seed and size: what shard reports must agree on to be merged.
 *
 * @param version the dsv32 version that ran ("unknown" outside a built jar)
 * @param suites  the suites run, in order
 * @param backend the --backend asked for ("all" or a name)
 * @param shard   which part of the run this is ({@link Shard#WHOLE} for an unsharded or merged run)
 * @param dims    the shapes the cases were generated at
 * @param shardCosts the digest of the cost table the shards were dealt by ({@link org.dsv32.conformance.ShardCosts#digest})
 */
public record RunInfo(String version, List<String> suites, String backend, Shard shard, Dims dims, String shardCosts) {
    public RunInfo {
        suites = List.copyOf(suites);
        if (version == null || version.isBlank()) version = "unknown";
        if (backend == null || backend.isBlank()) backend = "all";
        if (shard == null) shard = Shard.WHOLE;
        if (dims == null) dims = Dims.SMALL;
        if (shardCosts == null || shardCosts.isBlank()) shardCosts = "uniform";
    }

    /** A run whose shards were dealt round-robin. */
    public RunInfo(String version, List<String> suites, String backend, Shard shard, Dims dims) { this(version, suites, backend, shard, dims, "uniform"); }

    /** A run at the small shapes. */
    public RunInfo(String version, List<String> suites, String backend, Shard shard) { this(version, suites, backend, shard, Dims.SMALL); }

    /** A whole run of {@code suites}, version unknown, every backend (tests, library callers). */
    public static RunInfo whole(List<String> suites) { return new RunInfo("unknown", suites, "all", Shard.WHOLE); }

    /** The same run as another part. */
    public RunInfo withShard(Shard s) { return new RunInfo(version, suites, backend, s, dims, shardCosts); }

    /** The same run dealt by another cost table. */
    public RunInfo withShardCosts(String digest) { return new RunInfo(version, suites, backend, shard, dims, digest); }
}
