package org.dsv32.conformance.golden;

/**
 * The names of spec/GOLDEN_FORMAT.md: metadata keys, tensor-name prefixes, file names. A golden case is one
 * safetensors file holding one operation call: its inputs ({@code input.*}), the layer cache before the call
 * ({@code cache.*}, optional), its weights under their Hugging Face names (or in a shared weights file), and the
 * expected outputs ({@code expected.*}); the {@code __metadata__} says which operation, configuration, precision
 * mode and tolerance, and seals it all with {@link #CONTENT_SHA256}.
 */
public final class GoldenFormat {
    private GoldenFormat() {}

    /** {@code format} of a case file. */
    public static final String CASE_FORMAT = "dsv32-golden-case";
    /** {@code format} of a shared weights file. */
    public static final String WEIGHTS_FORMAT = "dsv32-golden-weights";
    /** The version this code reads and writes. */
    public static final String VERSION = "1";

    public static final String MANIFEST = "manifest.json";
    public static final String EXTENSION = ".safetensors";

    // ---------------------------------------------------------------- metadata keys (all values are strings)

    public static final String FORMAT = "format";
    public static final String FORMAT_VERSION = "format_version";
    public static final String OPERATION = "operation";
    public static final String MODE = "mode";
    public static final String SCALE_FORMAT = "scale_format";
    public static final String CONFIG = "config";
    public static final String SEED = "seed";
    public static final String TOLERANCE = "tolerance";
    public static final String DESCRIPTION = "description";
    public static final String GENERATOR = "generator";
    public static final String STEPS = "steps";
    public static final String START_POS = "start_pos";
    public static final String WEIGHT = "weight";
    public static final String BIAS = "bias";
    public static final String WEIGHT_PREFIX = "weight_prefix";
    public static final String LAYER = "layer";
    public static final String MTP_INDEX = "mtp_index";
    public static final String ROPE_LAYOUT = "rope_layout";
    public static final String EPS = "eps";
    public static final String GAMMA = "gamma";
    public static final String ALPHA = "alpha";
    public static final String FUSED_RESIDUAL = "fused_residual";
    public static final String WEIGHTS_FILE = "weights_file";
    public static final String WEIGHTS_SHA256 = "weights_sha256";
    public static final String CONTENT_SHA256 = "content_sha256";

    // ---------------------------------------------------------------- tensor names

    public static final String INPUT = "input.";
    public static final String EXPECTED = "expected.";
    public static final String CACHE = "cache.";

    /** Cache entries (before the call, {@code cache.*}) and appended entries ({@code expected.*}). */
    public static final String KV_LATENT = "kv_latent";
    public static final String K_PE = "k_pe";
    public static final String INDEX_K = "index_k";
    public static final String INDEX_K_CODES = "index_k_codes";
    public static final String INDEX_K_SCALES = "index_k_scales";
}
