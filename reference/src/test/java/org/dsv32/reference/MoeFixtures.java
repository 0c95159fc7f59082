package org.dsv32.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.QuantizationConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.DenseWeight;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.MoeWeights;
import org.dsv32.spec.weights.Weight;

/** Small MoE configurations and seeded random MoE layers (hidden 128, expert intermediate 128). */
final class MoeFixtures {
    private MoeFixtures() {}

    static final int D = 128;
    static final int INTER = 128;

    /** A small V3.2-shaped config with the given routing parameters (sigmoid, noaux_tc, ue8m0 activations). */
    static ModelConfig config(int experts, int groups, int keptGroups, int topk, boolean normTopkProb, double scale) {
        return config(experts, groups, keptGroups, topk, normTopkProb, scale, "sigmoid", "noaux_tc");
    }

    static ModelConfig config(int experts, int groups, int keptGroups, int topk, boolean normTopkProb, double scale,
                              String scoringFunc, String topkMethod) {
        return ModelConfig.builder()
                .vocabSize(256).hiddenSize(D).intermediateSize(256).moeIntermediateSize(INTER)
                .numHiddenLayers(4).numNextnPredictLayers(0).firstKDenseReplace(1)
                .numAttentionHeads(2).qLoraRank(64).kvLoraRank(64)
                .qkNopeHeadDim(32).qkRopeHeadDim(16).vHeadDim(32)
                .nRoutedExperts(experts).numExpertsPerTok(topk).nGroup(groups).topkGroup(keptGroups).nSharedExperts(1)
                .scoringFunc(scoringFunc).topkMethod(topkMethod).normTopkProb(normTopkProb).routedScalingFactor(scale)
                .indexNHeads(2).indexHeadDim(128).indexTopk(4)
                .ropeTheta(10000.0).ropeScaling(RopeScaling.none()).rmsNormEps(1e-6)
                .maxPositionEmbeddings(4096).quantization(QuantizationConfig.deepseekV32())
                .build();
    }

    /** 16 experts in 4 groups, 2 groups kept, top-4, renormalised, x2.5. */
    static ModelConfig standard() { return config(16, 4, 2, 4, true, 2.5); }

    static OpContext context(ModelConfig c, PrecisionMode mode) { return new OpContext(c, mode); }

    static MlpWeights mlp(String prefix, Random rnd) {
        return new MlpWeights(TestWeights.fp8Gaussian(prefix + ".gate_proj.weight", INTER, D, rnd),
                TestWeights.fp8Gaussian(prefix + ".up_proj.weight", INTER, D, rnd),
                TestWeights.fp8Gaussian(prefix + ".down_proj.weight", D, INTER, rnd));
    }

    /** A random MoE layer for {@code c}: bf16 router ~ N(0, 1/D), fp32 bias ~ N(0, biasStd^2), FP8 experts. */
    static MoeWeights layer(ModelConfig c, double biasStd, Random rnd) {
        MoeWeights gate = gate(c, biasStd, rnd);
        List<MlpWeights> experts = new ArrayList<>();
        for (int i = 0; i < c.nRoutedExperts(); i++) experts.add(mlp("mlp.experts." + i, rnd));
        return new MoeWeights(gate.router(), gate.correctionBias(), experts, mlp("mlp.shared_experts", rnd));
    }

    /** Only the router and bias of {@link #layer} (no experts): enough for the gate, cheap to build. */
    static MoeWeights gate(ModelConfig c, double biasStd, Random rnd) {
        int e = c.nRoutedExperts();
        Weight router = TestWeights.bf16Gaussian("mlp.gate.weight", e, D, 1.0 / Math.sqrt(D), rnd);
        float[] bias = new float[e];
        for (int i = 0; i < e; i++) bias[i] = (float) (rnd.nextGaussian() * biasStd);
        return new MoeWeights(router, DenseWeight.ofFloats("mlp.gate.e_score_correction_bias", bias, 1, e), List.of(), null);
    }

    /** The same layer with another router and bias (experts kept). */
    static MoeWeights withRouter(MoeWeights w, double[] router, double[] bias) {
        int e = w.router().rows();
        return new MoeWeights(DenseWeight.ofDoubles("mlp.gate.weight", router, e, D),
                DenseWeight.ofDoubles("mlp.gate.e_score_correction_bias", bias, 1, e), w.experts(), w.shared());
    }

    /** Random activations [tokens][D] ~ N(0, 1). */
    static TensorF64 input(int tokens, Random rnd) {
        return TensorF64.wrap(TestWeights.gaussian(tokens * D, 1.0, rnd), tokens, D);
    }
}
