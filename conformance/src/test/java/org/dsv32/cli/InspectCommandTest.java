package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir Path dir;

    /** A small config.json, consistent with the tiny tensors below. */
    static final String SMALL_CONFIG = """
            {"architectures": ["DeepseekV32ForCausalLM"], "model_type": "deepseek_v32",
             "hidden_size": 8, "num_hidden_layers": 2, "num_nextn_predict_layers": 1, "first_k_dense_replace": 1,
             "intermediate_size": 16, "moe_intermediate_size": 4, "num_attention_heads": 2, "q_lora_rank": 128,
             "kv_lora_rank": 128, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
             "n_routed_experts": 8, "num_experts_per_tok": 2, "n_group": 4, "topk_group": 2, "n_shared_experts": 1,
             "scoring_func": "sigmoid", "topk_method": "noaux_tc", "norm_topk_prob": true, "routed_scaling_factor": 2.5,
             "index_n_heads": 4, "index_head_dim": 32, "index_topk": 8, "rope_theta": 10000,
             "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 64,
                              "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0},
             "rms_norm_eps": 1e-6, "vocab_size": 16, "max_position_embeddings": 2560,
             "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128],
                                     "scale_fmt": "ue8m0", "activation_scheme": "dynamic"}}
            """;

    static List<TensorData> smallTensors() {
        Random rnd = new Random(3);
        byte[] codes = new byte[256 * 128];
        rnd.nextBytes(codes);
        for (int i = 0; i < codes.length; i++) if ((codes[i] & 0x7F) == 0x7F) codes[i] ^= 1; // no NaN code (0x7F, 0xFF) in a real weight
        short[] emb = new short[16 * 8];
        for (int i = 0; i < emb.length; i++) emb[i] = (short) (0x3F80 + rnd.nextInt(64)); // bf16 near 1
        float[] norm = new float[8];
        Arrays.fill(norm, 1f);
        return List.of(
                TensorData.ofBytes("model.layers.0.self_attn.q_a_proj.weight", DType.F8_E4M3, codes, 256, 128),
                TensorData.ofFloats("model.layers.0.self_attn.q_a_proj.weight_scale_inv", new float[] {0.5f, 0.25f}, 2, 1),
                TensorData.ofBf16("model.embed_tokens.weight", emb, 16, 8),
                TensorData.ofFloats("model.norm.weight", norm, 8));
    }

    private static void assertLine(String out, String regex) {
        assertTrue(Pattern.compile(regex, Pattern.MULTILINE).matcher(out).find(), () -> "no line /" + regex + "/ in:\n" + out);
    }

    @Test
    void listsTensorsTotalsAndConfig() throws Exception {
        SafetensorsWriter.write(dir.resolve("model.safetensors"), smallTensors(), Map.of("format", "pt"));
        Files.writeString(dir.resolve("config.json"), SMALL_CONFIG);
        CliRun r = CliRun.of("inspect", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        String out = r.out();
        assertLine(out, "^config: " + Pattern.quote(dir.resolve("config.json").toString()) + "$");
        assertLine(out, "layers +2 \\(\\+1 MTP\\), first 1 dense .*hidden 8, vocab 16");
        assertLine(out, "experts +8 routed in 4 groups \\(keep 2, top 2\\), 1 shared");
        assertLine(out, "indexer +4 heads x 32, top 8");
        assertLine(out, "quant +fp8 e4m3, 128x128 weight blocks, ue8m0 scales, dynamic activations");
        assertLine(out, "4 tensors in 1 file");
        assertLine(out, "^  model\\.layers\\.0\\.self_attn\\.q_a_proj\\.weight +F8_E4M3 +\\[256, 128\\] +32768$");
        assertLine(out, "^  model\\.layers\\.0\\.self_attn\\.q_a_proj\\.weight_scale_inv +F32 +\\[2, 1\\] +8$");
        assertLine(out, "^  model\\.embed_tokens\\.weight +BF16 +\\[16, 8\\] +256$");
        assertLine(out, "^  model\\.norm\\.weight +F32 +\\[8\\] +32$");
        // totals: F32 = the 2-element scale and the 8-element norm
        assertLine(out, "^  F32 +2 tensors +10 elements +40 bytes");
        assertLine(out, "^  BF16 +1 tensors +128 elements +256 bytes");
        assertLine(out, "^  F8_E4M3 +1 tensors +32,768 elements +32,768 bytes");
        assertLine(out, "^  all +4 tensors +32,906 elements +33,064 bytes");
    }

    @Test
    void singleFileWithoutConfig() throws Exception {
        Path f = dir.resolve("x.safetensors");
        SafetensorsWriter.write(f, smallTensors().subList(2, 4), Map.of());
        CliRun r = CliRun.of("inspect", f.toString());
        assertEquals(0, r.exit(), r.err());
        assertFalse(r.out().contains("config:"));
        assertLine(r.out(), "2 tensors in 1 file");
    }

    private static void assertOneLineError(CliRun r, String... parts) {
        assertNotEquals(0, r.exit());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line, no stack trace:\n" + r.err());
        assertTrue(err.startsWith("dsv32 inspect: "), err);
        for (String p : parts) assertTrue(err.contains(p), () -> "'" + p + "' not in " + err);
    }

    @Test
    void corruptedFileGivesOneLineNamingIt() throws Exception {
        Path f = dir.resolve("broken.safetensors");
        SafetensorsWriter.write(f, smallTensors(), Map.of());
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 100));
        assertOneLineError(CliRun.of("inspect", f.toString()), f.toString(), "outside the data section");
        Files.write(f, new byte[] {1, 2});
        assertOneLineError(CliRun.of("inspect", f.toString()), f.toString());
        assertOneLineError(CliRun.of("inspect", dir.resolve("absent").toString()), "absent");
    }

    @Test
    void badConfigGivesOneLineNamingItAndTheKey() throws Exception {
        SafetensorsWriter.write(dir.resolve("model.safetensors"), smallTensors(), Map.of());
        Files.writeString(dir.resolve("config.json"), SMALL_CONFIG.replace("\"n_group\": 4", "\"n_group\": 3"));
        assertOneLineError(CliRun.of("inspect", dir.toString()), dir.resolve("config.json").toString(), "n_routed_experts");
    }
}
