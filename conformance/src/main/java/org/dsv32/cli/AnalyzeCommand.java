package org.dsv32.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.dsv32.spec.analysis.ModelCost;
import org.dsv32.spec.checkpoint.Role;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.ModelConfigReader;
import org.dsv32.spec.config.ModelPresets;
import org.dsv32.spec.io.OutputFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./dsv32 analyze}: parameters, checkpoint bytes, KV cache, attention work and FLOPs of a DeepSeek-V3.x
 * configuration, counted from the configuration by {@link ModelCost} (whose Javadoc states the conventions), and
 * the popular claims about MLA and DSA checked against those counts.
 */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Count parameters, checkpoint bytes, KV cache, attention work and FLOPs of a DeepSeek-V3.x configuration.",
            "Default: the published 671B DeepSeek-V3.2 configuration."})
final class AnalyzeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "config.json", description = "A Hugging Face config.json (default: the 671B preset).")
    Path config;

    @Option(names = "--preset", paramLabel = "NAME", description = "A named configuration instead of --config: deepseek-v32 (default) or tiny.")
    String preset;

    @Option(names = "--context", defaultValue = "131072", paramLabel = "N",
            description = "Context length for the attention and per-token figures (default: ${DEFAULT-VALUE}).")
    long context;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write every figure as JSON to FILE.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (context < 1) throw new IllegalArgumentException("--context must be at least 1, got " + context);
        if (config != null && preset != null) throw new IllegalArgumentException("give --config or --preset, not both");
        if (json != null) OutputFiles.checkFile(json);
        ModelConfig c = config != null ? ModelConfigReader.read(config) : ModelPresets.byName(preset == null ? "deepseek-v32" : preset);
        String source = config != null ? config.toString() : "preset " + (preset == null ? "deepseek-v32" : preset);
        ModelCost cost = ModelCost.of(c);
        print(System.out, source, cost);
        if (json != null) {
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            OutputFiles.writeString(json, m.writeValueAsString(json(m, source, cost)) + "\n");
            System.out.println("JSON written to " + Printable.of(json));
        }
        return 0;
    }

    private void print(PrintStream o, String source, ModelCost k) {
        ModelConfig c = k.config();
        long n = context;
        ModelCost.AttentionWork w = k.attention(n);
        ModelCost.DecodeTraffic traffic = k.decodeTraffic(n);
        long total = k.totalParams(), active = k.activeParams();
        o.printf("DeepSeek-V3.x analysis of %s%n", Printable.of(source));
        o.printf("  %d layers (%d dense) + %d MTP, hidden %d, %d heads, %d routed experts top-%d + %d shared, %s%n%n",
                c.numHiddenLayers(), Math.min(c.firstKDenseReplace(), c.numHiddenLayers()), c.numNextnPredictLayers(),
                c.hiddenSize(), c.numAttentionHeads(), c.nRoutedExperts(), c.numExpertsPerTok(), c.nSharedExperts(),
                k.hasIndexer() ? "indexer " + c.indexNHeads() + "x" + c.indexHeadDim() + " top-" + c.indexTopk() : "no indexer");

        o.println("Headline");
        row(o, "total parameters (main model)", "%s%n", params(total));
        row(o, "MTP layer(s), as stored", "%s  (%s without their copies of embedding and head)%n", params(k.mtpParams()), params(k.mtpUniqueParams()));
        row(o, "total with MTP", "%s%n", params(total + k.mtpParams()));
        row(o, "activated per token", "%s  (%.2f%% of total; %s with the input embedding)%n",
                params(active), 100.0 * active / total, params(k.activeParamsWithEmbedding()));
        row(o, "KV cache per token, whole model", "%s FP8 layout, %s bf16  (MHA, same heads, bf16: %s)%n",
                bytes(k.kvCacheBytesPerTokenFp8()), bytes(k.kvCacheBytesPerTokenBf16()), bytes(k.mhaKvBytesPerTokenBf16()));
        row(o, "attention FLOPs saved by DSA", "%.1f%% at N = %,d, indexer included%n%n", w.savingPercent(), n);

        o.printf("%-36s%13s %11s %14s%n", "Parameters by component", "main model", "MTP", "activated/token");
        for (Role r : Role.values()) {
            long m = k.mainBreakdown().get(r), t = k.mtpBreakdown().get(r), a = k.activeBreakdown().get(r);
            if (m == 0 && t == 0) continue;
            String act = r == Role.EMBEDDING ? "(" + params(a).trim() + ")" : params(a);
            o.printf("  %-34s%13s %11s %14s%n", label(r), params(m), params(t), act);
        }
        o.println("  (block scales are counted as bytes, not parameters; the activated embedding is shown in brackets:");
        o.println("   it enters only the with-embedding figure)");
        o.println();

        ModelCost.Bytes mb = k.mainBytes(), tb = k.mtpBytes(), all = k.checkpointBytes();
        o.printf("%-36s%13s %11s %11s%n", "Checkpoint bytes", "main model", "MTP", "total");
        row(o, "FP8 e4m3 weights", "%13s %11s %11s%n", bytes(mb.fp8()), bytes(tb.fp8()), bytes(all.fp8()));
        row(o, "fp32 block scales", "%13s %11s %11s%n", bytes(mb.scales()), bytes(tb.scales()), bytes(all.scales()));
        row(o, "bf16", "%13s %11s %11s%n", bytes(mb.bf16()), bytes(tb.bf16()), bytes(all.bf16()));
        row(o, "fp32 (router bias)", "%13s %11s %11s%n", bytes(mb.f32()), bytes(tb.f32()), bytes(all.f32()));
        row(o, "non-FP8 total", "%13s %11s %11s%n", bytes(mb.nonFp8()), bytes(tb.nonFp8()), bytes(all.nonFp8()));
        row(o, "total", "%13s %11s %11s%n%n", bytes(mb.total()), bytes(tb.total()), bytes(all.total()));

        o.println("KV cache per token");
        row(o, "MLA latent per layer", "%,d elements (kv_lora_rank %d + rope %d)%n",
                k.kvCacheElementsPerTokenPerLayer(), c.kvLoraRank(), c.qkRopeHeadDim());
        row(o, "MHA with the same heads", "%,d elements (%d heads x (K %d + V %d))%n",
                k.mhaKvElementsPerTokenPerLayer(), c.numAttentionHeads(), c.qkHeadDim(), c.vHeadDim());
        row(o, "reduction", "%.2f%%%n", k.kvReductionPercent());
        row(o, "whole model (" + c.numHiddenLayers() + " layers), bf16", "%,d bytes%n", k.kvCacheBytesPerTokenBf16());
        row(o, "whole model, FP8 layout", "%,d bytes (%d per layer: %d e4m3 + %d fp32 scales + %d bf16 rope)%n",
                k.kvCacheBytesPerTokenFp8(), k.fp8KvBytesPerTokenPerLayer(), c.kvLoraRank(), (c.kvLoraRank() + 127) / 128, c.qkRopeHeadDim());
        if (k.hasIndexer()) {
            row(o, "plus the indexer's key cache", "%,d bytes (%d e4m3 + one fp32 scale per layer)%n", k.indexerCacheBytesPerToken(), c.indexHeadDim());
        }
        row(o, "MHA, whole model, bf16", "%,d bytes%n", k.mhaKvBytesPerTokenBf16());
        row(o, String.format(Locale.ROOT, "cache for N = %,d tokens", n), "%s (FP8 layout%s)%n%n",
                bytes(n * (k.kvCacheBytesPerTokenFp8() + k.indexerCacheBytesPerToken())), k.hasIndexer() ? " + indexer keys" : "");

        o.printf("Attention at N = %,d (a prefill of N tokens; pairs per layer, FLOPs over %d layers)%n", n, c.numHiddenLayers());
        row(o, "query-key pairs, dense causal", "%s%n", count(w.pairsDense()));
        row(o, "query-key pairs, DSA top-" + (k.hasIndexer() ? c.indexTopk() : "-"), "%s  (%.2f%% fewer)%n", count(w.pairsSparse()), w.pairSavingPercent());
        row(o, "indexer pairs (all causal)", "%s, %s FLOP each, in FP8%n", count(w.indexerPairs()), count((long) w.indexerFlopsPerPair()));
        row(o, "attention FLOPs dense", "%s  (%s per pair, absorbed MQA form)%n", flops(w.flopsDense()), count((long) w.flopsPerPairMqa()));
        row(o, "attention FLOPs DSA", "%s%n", flops(w.flopsSparse()));
        row(o, "indexer FLOPs", "%s%n", flops(w.indexerFlops()));
        row(o, "DSA + indexer vs dense", "%s vs %s: %.1f%% saved%n", flops(w.flopsSparse() + w.indexerFlops()), flops(w.flopsDense()), w.savingPercent());
        row(o, "same in the naive MHA form", "%s vs %s: %.1f%% saved (%s per pair)%n%n",
                flops(w.flopsSparseMha() + w.indexerFlops()), flops(w.flopsDenseMha()), w.savingPercentMha(), count((long) w.flopsPerPairMha()));

        o.println("Per token");
        row(o, "linear layers", "%s  (2 x activated parameters)%n", flops(k.linearFlopsPerToken()));
        row(o, "decode step at N", "%s  (dense attention: %s)%n", flops(k.decodeFlopsPerToken(n)), flops(k.decodeFlopsPerTokenDense(n)));
        row(o, "prefill, averaged over N tokens", "%s%n", flops(k.prefillFlopsPerToken(n)));
        row(o, "decode memory traffic (batch 1)", "%s  = weights %s + cache reads %s + cache writes %s%n",
                bytes(traffic.totalSparse()), bytes(traffic.weightBytes()), bytes(traffic.cacheReadBytesSparse()), bytes(traffic.cacheWriteBytes()));
        row(o, "with dense attention", "%s  (cache reads %s)%n", bytes(traffic.totalDense()), bytes(traffic.cacheReadBytesDense()));
        row(o, "arithmetic intensity of decode", "%.1f FLOP/byte at batch 1%n%n", k.decodeFlopsPerToken(n) / traffic.totalSparse());

        o.println("Claims, checked");
        o.printf("  \"MLA cuts the KV cache by %.1f%% vs MHA with the same heads\": %,d vs %,d elements per token and layer;%n",
                k.kvReductionPercent(), k.kvCacheElementsPerTokenPerLayer(), k.mhaKvElementsPerTokenPerLayer());
        o.printf("    in bytes, the FP8 layout is %.2f%% of a bf16 MHA cache (%.1fx smaller).%n",
                100.0 * k.kvCacheBytesPerTokenFp8() / k.mhaKvBytesPerTokenBf16(), (double) k.mhaKvBytesPerTokenBf16() / k.kvCacheBytesPerTokenFp8());
        if (k.hasIndexer()) {
            o.printf("  \"DSA saves %.1f%% of attention FLOPs at N = %,d once the indexer is counted\" (absorbed form; %.1f%% in the%n",
                    w.savingPercent(), n, w.savingPercentMha());
            o.printf("    naive form); counting query-key pairs alone would claim %.1f%%. The indexer is %.1f%% of dense attention's FLOPs%n",
                    w.pairSavingPercent(), 100 * w.indexerFlops() / w.flopsDense());
            o.printf("    and runs in FP8. At or below N = %,d (the top-k) DSA attends to every key and the indexer is pure overhead.%n",
                    c.indexTopk());
        }
        o.printf("  \"%s activated of %s\": %.1f%% of the main model's parameters work on each token.%n",
                params(active).trim(), params(total).trim(), 100.0 * active / total);
        o.println();
        o.println("Conventions: total = main model incl. embedding and lm_head, MTP separate; activated = attention + indexer + dense FFN");
        o.println("+ top-k and shared experts + router + norms + lm_head; FLOPs count a multiply-add as 2; see ModelCost's Javadoc.");
    }

    private ObjectNode json(ObjectMapper m, String source, ModelCost k) {
        ModelConfig c = k.config();
        ModelCost.AttentionWork w = k.attention(context);
        ModelCost.DecodeTraffic t = k.decodeTraffic(context);
        ObjectNode r = m.createObjectNode();
        r.put("config", source);
        r.put("layers", c.numHiddenLayers());
        r.put("context", context);
        r.put("total_params", k.totalParams());
        r.put("mtp_params", k.mtpParams());
        r.put("mtp_unique_params", k.mtpUniqueParams());
        r.put("total_params_with_mtp", k.totalParams() + k.mtpParams());
        r.put("active_params", k.activeParams());
        r.put("active_params_with_embedding", k.activeParamsWithEmbedding());
        ObjectNode comp = r.putObject("params_by_component");
        for (String part : new String[] {"main", "mtp", "active"}) {
            ModelCost.Breakdown b = switch (part) {
                case "main" -> k.mainBreakdown();
                case "mtp" -> k.mtpBreakdown();
                default -> k.activeBreakdown();
            };
            ObjectNode p = comp.putObject(part);
            for (Role role : Role.values()) p.put(role.name().toLowerCase(Locale.ROOT), b.get(role));
        }
        ModelCost.Bytes b = k.checkpointBytes();
        r.put("fp8_bytes", b.fp8());
        r.put("non_fp8_bytes", b.nonFp8());
        ObjectNode cb = r.putObject("checkpoint_bytes");
        cb.put("fp8", b.fp8()).put("scales", b.scales()).put("bf16", b.bf16()).put("f32", b.f32()).put("total", b.total());
        cb.put("main_total", k.mainBytes().total()).put("mtp_total", k.mtpBytes().total());
        r.put("kv_cache_elements_per_token_per_layer", k.kvCacheElementsPerTokenPerLayer());
        r.put("mha_kv_elements_per_token_per_layer", k.mhaKvElementsPerTokenPerLayer());
        r.put("kv_cache_reduction_percent", k.kvReductionPercent());
        r.put("kv_cache_bytes_per_token_bf16", k.kvCacheBytesPerTokenBf16());
        r.put("kv_cache_bytes_per_token_fp8", k.kvCacheBytesPerTokenFp8());
        r.put("kv_cache_fp8_bytes_per_token_per_layer", k.fp8KvBytesPerTokenPerLayer());
        r.put("indexer_cache_bytes_per_token", k.indexerCacheBytesPerToken());
        r.put("mha_kv_cache_bytes_per_token_bf16", k.mhaKvBytesPerTokenBf16());
        r.put("attention_pairs_dense", w.pairsDense());
        r.put("attention_pairs_sparse", w.pairsSparse());
        r.put("indexer_pairs", w.indexerPairs());
        r.put("attention_flops_per_pair_mqa", w.flopsPerPairMqa());
        r.put("attention_flops_per_pair_mha", w.flopsPerPairMha());
        r.put("indexer_flops_per_pair", w.indexerFlopsPerPair());
        r.put("indexer_flops", w.indexerFlops());
        r.put("attention_flops_dense", w.flopsDense());
        r.put("attention_flops_sparse", w.flopsSparse());
        r.put("attention_flops_dense_mha", w.flopsDenseMha());
        r.put("attention_flops_sparse_mha", w.flopsSparseMha());
        r.put("dsa_saving_percent", w.savingPercent());
        r.put("dsa_saving_percent_mha", w.savingPercentMha());
        r.put("dsa_pair_saving_percent", w.pairSavingPercent());
        r.put("linear_flops_per_token", k.linearFlopsPerToken());
        r.put("decode_flops_per_token", k.decodeFlopsPerToken(context));
        r.put("decode_flops_per_token_dense", k.decodeFlopsPerTokenDense(context));
        r.put("prefill_flops_per_token", k.prefillFlopsPerToken(context));
        ObjectNode d = r.putObject("decode_bytes_per_step");
        d.put("weights", t.weightBytes()).put("cache_read_sparse", t.cacheReadBytesSparse()).put("cache_read_dense", t.cacheReadBytesDense())
                .put("cache_write", t.cacheWriteBytes()).put("total", t.totalSparse()).put("total_dense", t.totalDense());
        r.put("notes", "pairs are per layer; FLOPs summed over the main layers for a prefill of `context` tokens; attention_flops_* in the "
                + "absorbed (MQA) form, *_mha in the naive form; a multiply-add counts 2 FLOPs; block scales are bytes, not parameters; "
                + "total_params excludes MTP; active_params excludes the input embedding");
        return r;
    }

    /** One line of a section: the label padded to a column, then the formatted value. */
    private static void row(PrintStream o, String label, String format, Object... args) {
        o.printf(Locale.ROOT, "  %-34s%s", label, String.format(Locale.ROOT, format, args));
    }

    private static String label(Role r) {
        return switch (r) {
            case EMBEDDING -> "embedding";
            case ATTENTION -> "attention (MLA)";
            case INDEXER -> "indexer";
            case DENSE_FFN -> "dense FFN";
            case ROUTED_EXPERT -> "routed experts";
            case SHARED_EXPERT -> "shared experts";
            case GATE -> "gates (router + bias)";
            case NORM -> "norms";
            case HEAD -> "head";
            case MTP_PROJECTION -> "MTP eh_proj";
        };
    }

    /** Parameters with a decimal prefix (B = 10^9). */
    static String params(long p) {
        if (p >= 1e9) return String.format(Locale.ROOT, "%.2f B", p / 1e9);
        if (p >= 1e6) return String.format(Locale.ROOT, "%.2f M", p / 1e6);
        if (p >= 1e4) return String.format(Locale.ROOT, "%.1f K", p / 1e3);
        return String.format(Locale.ROOT, "%d", p);
    }

    /** Bytes in decimal units (GB = 10^9 bytes). */
    static String bytes(long b) {
        if (b >= 1e12) return String.format(Locale.ROOT, "%.2f TB", b / 1e12);
        if (b >= 1e9) return String.format(Locale.ROOT, "%.2f GB", b / 1e9);
        if (b >= 1e6) return String.format(Locale.ROOT, "%.2f MB", b / 1e6);
        if (b >= 1e4) return String.format(Locale.ROOT, "%.1f kB", b / 1e3);
        return String.format(Locale.ROOT, "%d B", b);
    }

    static String flops(double f) { return si(f) + "FLOP"; }

    static String count(long x) { return x < 1e6 ? String.format(Locale.ROOT, "%,d", x) : si(x).trim(); }

    private static String si(double x) {
        String[] p = {"", "k", "M", "G", "T", "P", "E", "Z"};
        int i = 0;
        while (Math.abs(x) >= 1000 && i < p.length - 1) {
            x /= 1000;
            i++;
        }
        return String.format(Locale.ROOT, "%.3g %s", x, p[i]);
    }
}
