package org.dsv32.conformance.bench;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;

/**
 * One MoE layer (spec/SEMANTICS.md §9) in fp8 mode on {@code tokens} tokens, through {@link MoeOp#forward}: the
 * router, the grouped top-k, every selected expert and the shared expert. The routed experts reuse a pool of distinct
 * random weight sets ({@link BenchLayers#moe}); at the real dimensions each expert is 44 MB, so any pool of several
 * of them streams from memory as 256 distinct experts would.
 *
 * <p>Work per token: 2 x the router's multiply-adds plus 2 x 3 projections of every selected and shared expert.
 * Bytes: the router, the bias, and the weights of every expert the routing touches (counted as distinct experts, as
 * in the real model) plus the shared expert.
 */
public final class MoeWorkload implements LayerWorkload, TorchLayer {
    private final ModelConfig config;
    private final OpContext context;
    private final int tokens;
    private final Arena arena = Arena.ofShared();
    private final MoeWeights weights;
    private final float[] x;
    private final int distinct;
    private double bytes = -1;

    public MoeWorkload(ModelConfig config, int tokens, int distinctExperts, long seed) {
        if (tokens < 1) throw new IllegalArgumentException("moe needs at least one token, got " + tokens);
        this.config = config;
        this.context = new OpContext(config, PrecisionMode.FP8);
        this.tokens = tokens;
        this.weights = BenchLayers.moe(arena, config, distinctExperts, seed);
        this.distinct = Math.min(distinctExperts, config.nRoutedExperts());
        this.x = BenchData.gaussian(tokens * config.hiddenSize(), 1, seed + 40);
    }

    @Override public String op() { return "moe"; }

    @Override
    public Map<String, Object> shape() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("tokens", tokens);
        s.put("experts", config.nRoutedExperts());
        s.put("topk", config.numExpertsPerTok());
        return s;
    }

    private double macsPerToken() {
        double expert = 3.0 * config.hiddenSize() * config.moeIntermediateSize();
        double shared = weights.shared() == null ? 0 : 3.0 * config.hiddenSize() * weights.shared().intermediateSize();
        return BenchLayers.macs(weights.router()) + config.numExpertsPerTok() * expert + shared;
    }

    @Override public double flops() { return 2 * macsPerToken() * tokens; }

    /** Needs the routing: taken once from the float64 reference's gate. */
    @Override
    public double bytes() {
        if (bytes < 0) {
            Routing r = org.dsv32.spec.backend.Backends.byName("reference").require(MoeGateOp.class, context).route(input(tokens), weights);
            boolean[] used = new boolean[config.nRoutedExperts()];
            for (int[] e : r.experts()) for (int id : e) used[id] = true;
            double b = BenchLayers.bytes(weights.router()) + BenchLayers.bytes(weights.correctionBias());
            for (int e = 0; e < used.length; e++) if (used[e]) b += mlpBytes(weights.experts().get(e));
            if (weights.shared() != null) b += mlpBytes(weights.shared());
            bytes = b;
        }
        return bytes;
    }

    private static double mlpBytes(MlpWeights m) { return BenchLayers.bytes(m.gate()) + BenchLayers.bytes(m.up()) + BenchLayers.bytes(m.down()); }

    /** The first {@code n} tokens of x. */
    TensorF64 input(int n) {
        return MlaDecodeWorkload.floats(java.util.Arrays.copyOf(x, n * config.hiddenSize()), n, config.hiddenSize());
    }

    public MoeResult forward(MoeOp op, TensorF64 in, Routing forced) { return op.forward(in, weights, forced); }

    @Override
    public Optional<Call> call(Backend backend) {
        TensorF64 in = input(tokens);
        return backend.operation(MoeOp.class, context).map(op -> Call.whole(() -> {}, () -> forward(op, in, null)));
    }

    /** The reference on the first tokens only (its cost is proportional to the token count), scaled. */
    @Override
    public Optional<Call> referenceCall(Backend reference, double macs) {
        int part = (int) Math.max(1, Math.min(tokens, Math.floor(macs / macsPerToken())));
        TensorF64 in = input(part);
        String note = part == tokens ? "" : String.format(Locale.ROOT, "measured on %d of %d tokens, scaled", part, tokens);
        return reference.operation(MoeOp.class, context).map(op -> new Call(() -> {}, () -> forward(op, in, null),
                (double) tokens / part, note));
    }

    private Routing routing;
    private double[] reference;

    /**
     * The candidate runs all the tokens with the reference gate's routing; the float64 reference MoE runs the first
     * {@value #CHECKED_TOKENS} of them (tokens are independent given the routing) and those rows are compared.
     */
    @Override
    public double check(Backend referenceBackend, Backend candidate) {
        Optional<MoeOp> op = candidate.operation(MoeOp.class, context);
        if (op.isEmpty()) return Double.NaN;
        int checked = Math.min(tokens, CHECKED_TOKENS);
        if (reference == null) {
            routing = referenceBackend.require(MoeGateOp.class, context).route(input(tokens), weights);
            Routing head = new Routing(java.util.Arrays.copyOf(routing.experts(), checked),
                    java.util.Arrays.copyOf(routing.weights(), checked), null, null, null, null);
            reference = forward(referenceBackend.require(MoeOp.class, context), input(checked), head).output().toArray();
        }
        double[] got = java.util.Arrays.copyOf(forward(op.get(), input(tokens), routing).output().toArray(), reference.length);
        return LayerTolerance.check("moe (" + tokens + " tokens, the reference's routing, first " + checked + " compared)",
                candidate.name(), got, reference);
    }

    /**
     * PyTorch's form (bench_torch.py {@code Moe}): the routing given (the float64 reference gate's: the router is not
     * run), each routed expert's tokens gathered and its three matmuls run in the dtype, the shared expert on every
     * token, the weighted sum in float32. Its experts reuse the first {@link #torchSets} of this workload's weight sets
     * (expert e: set e mod that count), enough that the sets, in bf16, are twice the last-level cache: float32 copies
     * of all of them would take 176 MB each. The reference runs the first {@value #CHECKED_TOKENS} tokens on the same
     * mapping, in exact mode (PyTorch has no act_quant).
     */
    @Override
    public TorchLayer.Case torchCase(java.nio.file.Path input, Backend referenceBackend) {
        int sets = torchSets(), k = config.numExpertsPerTok(), d = config.hiddenSize();
        List<MlpWeights> experts = new java.util.ArrayList<>();
        for (int e = 0; e < config.nRoutedExperts(); e++) experts.add(weights.experts().get(e % sets));
        MoeWeights w = new MoeWeights(weights.router(), weights.correctionBias(), experts, weights.shared());
        OpContext exact = new OpContext(config, PrecisionMode.EXACT);
        Routing r = referenceBackend.require(MoeGateOp.class, exact).route(input(tokens), w);
        int checked = Math.min(tokens, CHECKED_TOKENS);
        Routing head = new Routing(java.util.Arrays.copyOf(r.experts(), checked), java.util.Arrays.copyOf(r.weights(), checked), null, null, null, null);
        // on w, PyTorch's mapping of experts to sets (not this workload's own weights, which forward() takes)
        double[] expected = referenceBackend.require(MoeOp.class, exact).forward(input(checked), w, head).output().toArray();
        int[] ids = new int[tokens * k];
        double[] gates = new double[tokens * k];
        boolean[] used = new boolean[config.nRoutedExperts()];
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < k; j++) {
                ids[t * k + j] = r.experts()[t][j];
                gates[t * k + j] = r.weights()[t][j];
                used[r.experts()[t][j]] = true;
            }
        }
        TorchLayer.Inputs in = new TorchLayer.Inputs().floats("x", input(tokens).toArray(), tokens, d)
                .ints("experts", ids, tokens, k).floats("weights", gates, tokens, k).meta("distinct", sets);
        for (int j = 0; j < sets; j++) mlpInputs(in, "set" + j, weights.experts().get(j));
        if (weights.shared() != null) mlpInputs(in, "shared", weights.shared());
        in.write(input);
        double expert = 3.0 * d * config.moeIntermediateSize(), shared = weights.shared() == null ? 0 : 3.0 * d * weights.shared().intermediateSize();
        int touched = 0;
        for (boolean u : used) if (u) touched++;
        return new TorchLayer.Case("moe", expected, "moe (" + tokens + " tokens, the reference's routing, first " + checked + " compared, exact mode)",
                2 * (k * expert + shared) * tokens, touched * expert + shared,
                String.format(Locale.ROOT, "per-expert torch matmuls on the float64 reference's routing (the router is not run); the %d experts reuse %d "
                        + "weight sets; GB/s counts the %d experts touched as distinct", config.nRoutedExperts(), sets, touched));
    }

    /** Weight sets of PyTorch's form: twice the last-level cache in bf16 (2 bytes per weight), at most this workload's. */
    int torchSets() {
        double expertBytes = 2.0 * 3 * config.hiddenSize() * config.moeIntermediateSize();
        return (int) Math.max(1, Math.min(Math.min(distinct, torchSetLimit), Math.ceil(LastLevelCache.coldBytes() / expertBytes)));
    }

    /** A cap on {@link #torchSets} (tests: fewer sets than the workload's, so that experts are mapped anew). */
    int torchSetLimit = Integer.MAX_VALUE;

    private static void mlpInputs(TorchLayer.Inputs in, String prefix, MlpWeights m) {
        in.weight(prefix + ".gate", m.gate()).weight(prefix + ".up", m.up()).weight(prefix + ".down", m.down());
    }

    /** Tokens the float64 reference computes in the agreement check. */
    static final int CHECKED_TOKENS = 2;

    @Override
    public void close() { arena.close(); }
}
