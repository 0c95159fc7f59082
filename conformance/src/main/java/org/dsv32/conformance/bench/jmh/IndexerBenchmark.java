package org.dsv32.conformance.bench.jmh;

import org.dsv32.conformance.bench.IndexerWorkload;
import org.dsv32.conformance.bench.LayerWorkload;
import org.dsv32.spec.config.ModelPresets;
import org.openjdk.jmh.annotations.Param;

/**
 * Indexer scoring: one query against 8192 keys at the real dimensions (64 heads x 128, top-k 2048), its
 * projections included, as IndexerOp computes them, in fp8 mode ({@link IndexerWorkload}). The backend and its check:
 * LayerBenchmark.
 */
public class IndexerBenchmark extends LayerBenchmark {
    @Param({"8192"})
    public int keys;

    @Override
    protected LayerWorkload workload() { return new IndexerWorkload(ModelPresets.deepseekV32(), keys, 1); }
}
