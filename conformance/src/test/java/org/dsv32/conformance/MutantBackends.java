package org.dsv32.conformance;

import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.config.RopeScaling;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.IndexerResult;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MoeResult;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.ops.Routing;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.MlpWeights;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * Deliberately broken backends for the harness's own tests: the reference with ONE operation replaced by a known
 * port bug (fact sheet, section 12), proving that each check can fail.
 */
final class MutantBackends {
    private MutantBackends() {}

    private static final ReferenceBackend OK = new ReferenceBackend();

    /** The reference with {@code type} re-registered by {@code factory}. */
    static <T extends Operation> Backend mutant(String name, Class<T> type, org.dsv32.spec.backend.RegistryBackend.Factory<? extends T> factory) {
        return new ReferenceBackend() {
            {
                register(type, factory);
            }

            @Override public String name() { return name; }
        };
    }

    /** act_quant that ignores ue8m0: the scale is not rounded up to a power of two. */
    static Backend actQuantWithoutUe8m0() {
        return mutant("act-quant-no-ue8m0", ActQuantOp.class, (ctx, self) -> {
            ActQuantOp ok = OK.require(ActQuantOp.class, ctx);
            return (x, f) -> ok.quantize(x, ScaleFormat.PLAIN);
        });
    }

    /** A linear that skips act_quant in fp8 mode (computes the exact product). */
    static Backend linearWithoutActQuant() {
        return mutant("linear-no-act-quant", LinearOp.class, (ctx, self) -> OK.require(LinearOp.class, new OpContext(ctx.config(), PrecisionMode.EXACT)));
    }

    /** RMSNorm with eps 1e-5 instead of the configured 1e-6. */
    static Backend rmsNormWrongEps() {
        return mutant("rms-norm-eps", RmsNormOp.class, (ctx, self) -> {
            RmsNormOp ok = OK.require(RmsNormOp.class, ctx);
            return new RmsNormOp() {
                @Override public TensorF64 apply(TensorF64 x, org.dsv32.spec.weights.Weight w, double eps) { return ok.apply(x, w, 10 * eps); }

                @Override public TensorF64 applyWithResidual(TensorF64 x, TensorF64 r, org.dsv32.spec.weights.Weight w, double eps) {
                    return ok.applyWithResidual(x, r, w, 10 * eps);
                }
            };
        });
    }

    /** LayerNorm with eps ten times too large. */
    static Backend layerNormWrongEps() {
        return mutant("layer-norm-eps", LayerNormOp.class, (ctx, self) -> {
            LayerNormOp ok = OK.require(LayerNormOp.class, ctx);
            return (x, w, b, eps) -> ok.apply(x, w, b, 10 * eps);
        });
    }

    /** RoPE with the two layouts swapped (the indexer rotated interleaved, MLA half-split). */
    static Backend ropeLayoutSwapped() {
        return mutant("rope-layout-swapped", RopeOp.class, (ctx, self) -> {
            RopeOp ok = OK.require(RopeOp.class, ctx);
            return (x, p, l) -> ok.apply(x, p, l == RopeLayout.INTERLEAVED ? RopeLayout.HALF_SPLIT : RopeLayout.INTERLEAVED);
        });
    }

    /** Hadamard without its n^-1/2 scale. */
    static Backend hadamardUnscaled() {
        return mutant("hadamard-unscaled", HadamardOp.class, (ctx, self) -> {
            HadamardOp ok = OK.require(HadamardOp.class, ctx);
            return x -> {
                TensorF64 y = ok.apply(x);
                double s = Math.sqrt(x.cols());
                for (int i = 0; i < y.size(); i++) y.setFlat(i, y.getFlat(i) * s);
                return y;
            };
        });
    }

    /** The indexer choosing the lowest-scoring keys instead of the highest (scores untouched). */
    static Backend indexerPicksWorst() {
        return mutant("indexer-picks-worst", IndexerOp.class, (ctx, self) -> {
            IndexerOp ok = OK.require(IndexerOp.class, ctx);
            return (x, q, start, w, cache) -> {
                IndexerResult r = ok.select(x, q, start, w, cache);
                int[][] sel = new int[r.selected().length][];
                for (int t = 0; t < sel.length; t++) {
                    int visible = start + t + 1, k = r.selected()[t].length;
                    double[] s = r.scores().rowArray(t);
                    Integer[] idx = new Integer[visible];
                    for (int i = 0; i < visible; i++) idx[i] = i;
                    java.util.Arrays.sort(idx, (a, b) -> Double.compare(s[a], s[b]));
                    sel[t] = new int[k];
                    for (int i = 0; i < k; i++) sel[t][i] = idx[i];
                }
                return new IndexerResult(r.scores(), sel);
            };
        });
    }

    /** The indexer's scores without the 64^-0.5 head-weight factor (selection unchanged: only the scores show it). */
    static Backend indexerUnscaledWeights() {
        return mutant("indexer-weights-unscaled", IndexerOp.class, (ctx, self) -> {
            IndexerOp ok = OK.require(IndexerOp.class, ctx);
            return (x, q, start, w, cache) -> {
                IndexerResult r = ok.select(x, q, start, w, cache);
                TensorF64 s = r.scores().copy();
                double f = Math.sqrt(ctx.config().indexNHeads());
                for (int i = 0; i < s.size(); i++) s.setFlat(i, s.getFlat(i) * f);
                return new IndexerResult(s, r.selected());
            };
        });
    }

    /** MLA without the YaRN mscale² in the softmax scale. */
    static Backend mlaWithoutMscale() {
        return mutant("mla-no-mscale", MlaAttentionOp.class, (ctx, self) -> {
            ModelConfig c = ctx.config();
            RopeScaling r = c.ropeScaling();
            RopeScaling noM = new RopeScaling(r.type(), r.factor(), r.originalMaxPositionEmbeddings(), r.betaFast(), r.betaSlow(), r.mscale(), 0);
            ModelConfig m = new ModelConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.moeIntermediateSize(), c.numHiddenLayers(),
                    c.numNextnPredictLayers(), c.firstKDenseReplace(), c.numAttentionHeads(), c.qLoraRank(), c.kvLoraRank(), c.qkNopeHeadDim(),
                    c.qkRopeHeadDim(), c.vHeadDim(), c.nRoutedExperts(), c.numExpertsPerTok(), c.nGroup(), c.topkGroup(), c.nSharedExperts(),
                    c.scoringFunc(), c.topkMethod(), c.normTopkProb(), c.routedScalingFactor(), c.indexNHeads(), c.indexHeadDim(), c.indexTopk(),
                    c.ropeTheta(), noM, c.rmsNormEps(), c.maxPositionEmbeddings(), c.quantization());
            return OK.require(MlaAttentionOp.class, new OpContext(m, ctx.mode()));
        });
    }

    /** MLA that skips the kv latent's FP8 round trip before caching (fact sheet, section 5). */
    static Backend mlaLatentNotFp8() {
        return mutant("mla-latent-not-fp8", MlaAttentionOp.class, (ctx, self) -> new org.dsv32.reference.ReferenceMla(ctx, self) {
            @Override protected TensorF64 roundTripLatent(TensorF64 latent) { return latent; }
        });
    }

    /** A block that drops the attention's residual connection (out = attn + FFN(...) without x). */
    static Backend blockWithoutResidual() {
        return mutant("block-no-residual", org.dsv32.spec.ops.BlockOp.class, (ctx, self) -> {
            org.dsv32.spec.ops.BlockOp ok = new org.dsv32.reference.ReferenceBlock(ctx, self);
            return (x, start, w, cache) -> {
                TensorF64 y = ok.forward(x, start, w, cache);
                for (int i = 0; i < y.size(); i++) y.setFlat(i, y.getFlat(i) - x.getFlat(i));
                return y;
            };
        });
    }

    /** The MTP module with the concat order swapped: [RMSNorm_h(h) ; RMSNorm_e(emb)]. */
    static Backend mtpConcatSwapped() {
        return mutant("mtp-concat-swapped", org.dsv32.spec.ops.MtpOp.class, (ctx, self) -> new org.dsv32.reference.ReferenceMtp(ctx, self) {
            @Override protected TensorF64 concat(TensorF64 first, TensorF64 second, int d) { return super.concat(second, first, d); }
        });
    }

    /** The router putting the bias into the expert weights (w_i from s + bias). */
    static Backend gateBiasInWeights() {
        return mutant("gate-bias-in-weights", MoeGateOp.class, (ctx, self) -> {
            MoeGateOp ok = OK.require(MoeGateOp.class, ctx);
            return (x, w) -> {
                Routing r = ok.route(x, w);
                double[][] weights = new double[r.experts().length][];
                for (int t = 0; t < weights.length; t++) {
                    int[] e = r.experts()[t];
                    double sum = 0;
                    for (int i : e) sum += r.selectionScores()[t][i];
                    weights[t] = new double[e.length];
                    for (int i = 0; i < e.length; i++) weights[t][i] = r.selectionScores()[t][e[i]] / sum * ctx.config().routedScalingFactor();
                }
                return new Routing(r.experts(), weights, r.scores(), r.selectionScores(), r.groupScores(), r.groups());
            };
        });
    }

    /** The MoE layer scaling the shared expert by routed_scaling_factor too. */
    static Backend moeSharedScaled() {
        return mutant("moe-shared-scaled", MoeOp.class, (ctx, self) -> {
            MoeOp ok = OK.require(MoeOp.class, ctx);
            MlpOp mlp = OK.require(MlpOp.class, ctx);
            return (x, w, forced) -> {
                MoeResult r = ok.forward(x, w, forced);
                TensorF64 shared = mlp.forward(x, w.shared());
                TensorF64 y = r.output().copy();
                double extra = ctx.config().routedScalingFactor() - 1;
                for (int i = 0; i < y.size(); i++) y.setFlat(i, y.getFlat(i) + extra * shared.getFlat(i));
                return new MoeResult(y, r.routing());
            };
        });
    }

    /** SwiGLU with gate and up swapped: silu(up x) * gate x. */
    static Backend mlpGateUpSwapped() {
        return mutant("mlp-gate-up-swapped", MlpOp.class, (ctx, self) -> {
            MlpOp ok = OK.require(MlpOp.class, ctx);
            return (x, w) -> ok.forward(x, new MlpWeights(w.up(), w.gate(), w.down()));
        });
    }
}
