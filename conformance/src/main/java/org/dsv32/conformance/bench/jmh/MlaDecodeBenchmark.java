package org.dsv32.conformance.bench.jmh;

import org.dsv32.conformance.bench.MlaDecodeWorkload;
import org.dsv32.conformance.bench.LayerWorkload;
import org.dsv32.spec.config.ModelPresets;
import org.openjdk.jmh.annotations.Param;

/**
 * MLA absorbed decode: one token against 4096 cached tokens, top-k 2048, at the real dimensions (the projections
 * and the indexer included, as MlaAttentionOp computes them), in fp8 mode ({@link MlaDecodeWorkload}); successive
 * invocations decode on one cache, refreshed (untimed) every 64 tokens. The backend and its check: LayerBenchmark.
 */
public class MlaDecodeBenchmark extends LayerBenchmark {
    @Param({"4096"})
    public int cached;

    @Override
    protected LayerWorkload workload() { return new MlaDecodeWorkload(ModelPresets.deepseekV32(), cached, 1); }
}
