package org.dsv32.conformance.bench.jmh;

import org.dsv32.conformance.bench.MoeWorkload;
import org.dsv32.conformance.bench.LayerWorkload;
import org.dsv32.spec.config.ModelPresets;
import org.openjdk.jmh.annotations.Param;

/**
 * One MoE layer at the real dimensions (256 experts of 7168 x 2048, top-8, one shared expert) on 1 or 64 tokens;
 * the routed experts reuse {@code distinct} weight sets (see BenchLayers.moe), in fp8 mode ({@link MoeWorkload}). The backend and
 * its check: LayerBenchmark.
 */
public class MoeBenchmark extends LayerBenchmark {
    @Param({"1", "64"})
    public int tokens;

    @Param({"16"})
    public int distinct;

    @Override
    protected LayerWorkload workload() { return new MoeWorkload(ModelPresets.deepseekV32(), tokens, distinct, 1); }
}
