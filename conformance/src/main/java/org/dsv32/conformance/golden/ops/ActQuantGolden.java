package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenCaseWriter;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.format.E4M3;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.QuantizedActivation;
import org.dsv32.spec.tensor.TensorF64;
import org.dsv32.spec.weights.ScaleFormat;

/**
 * act_quant: {@code input.x} [R][C] (C a multiple of 128) → {@code expected.codes} F8_E4M3 [R][C] and
 * {@code expected.scales} F32 [R][C/128], with the config's scale_fmt. TIGHT: scales bit-equal, dequantised codes
 * under {@link Tolerances#actQuant} (bit-equal with ue8m0); LOOSE: dequantised codes against x itself.
 */
public final class ActQuantGolden extends AbstractGoldenOp<ActQuantOp, ActQuantGolden.Prepared> {
    record Prepared(TensorF64 x, byte[] codes, float[] scales) {}

    public ActQuantGolden() { super(ActQuantOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.variants(true)) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            long seed = ctx.seed("act_quant-mixed-rows");
            SplittableRandom rng = new SplittableRandom(seed);
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, 6, 512), 1e-3, 1e3);
            x = RandomInputs.zeroTile(x, 1, 2);
            TensorF64 tiny = RandomInputs.gaussian(rng, 1e-7, 1, 512);
            for (int c = 0; c < 512; c++) x.put(3, c, tiny.at(0, c));
            x = RandomInputs.with(x, 2, 130, 1e4);
            x = RandomInputs.with(x, 4, 5, -E4M3.MAX * 3.5);
            write(ctx, v, cfg, "mixed-rows", seed, x,
                    "6 rows x 512 of magnitudes 1e-3..1e3; row 1 tile 2 all zero (amax floor 1e-4); row 3 below the floor; outliers");
        }
        for (GoldenGenerator.Variant v : ctx.variants(false)) {
            if (v.mode() != org.dsv32.spec.backend.PrecisionMode.FP8) continue;
            long seed = ctx.seed("act_quant-one-token");
            TensorF64 x = RandomInputs.gaussian(new SplittableRandom(seed), 1, 1, 128);
            write(ctx, v, GoldenConfigs.operations(v.scales()), "one-token-k128", seed, x, "one token, K = 128 (a single tile)");
        }
    }

    private void write(GoldenGenerator.Context ctx, GoldenGenerator.Variant v, ModelConfig cfg, String what, long seed, TensorF64 x, String d)
            throws IOException {
        QuantizedActivation q = ctx.reference(ActQuantOp.class, cfg, v.mode()).quantize(x.copy(), cfg.activationScaleFormat());
        GoldenCaseWriter w = writer(v, cfg, what, seed, d).input("x", x)
                .expectedBytes("codes", DType.F8_E4M3, q.codes(), q.rows(), q.cols())
                .expectedFloats("scales", q.scales(), q.rows(), q.tilesPerRow());
        ctx.write(name(v, what), w);
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, -1);
        if (x.cols() % 128 != 0) throw GoldenException.corrupted(c.file() + ": input.x has " + x.cols() + " columns, not a multiple of 128");
        int[] cs = c.shape(GoldenFormat.EXPECTED + "codes");
        if (cs.length != 2 || cs[0] != x.rows() || cs[1] != x.cols()) throw GoldenException.corrupted(c.file() + ": expected.codes must be [" + x.rows() + "][" + x.cols() + "]");
        byte[] codes = c.bytes(GoldenFormat.EXPECTED + "codes", DType.F8_E4M3);
        int[] ss = c.shape(GoldenFormat.EXPECTED + "scales");
        if (ss.length != 2 || ss[0] != x.rows() || ss[1] != x.cols() / 128 || c.raw(GoldenFormat.EXPECTED + "scales").dtype() != DType.F32) {
            throw GoldenException.corrupted(c.file() + ": expected.scales must be F32 [" + x.rows() + "][" + x.cols() / 128 + "]");
        }
        TensorF64 s = c.expected("scales");
        float[] scales = new float[s.size()];
        for (int i = 0; i < scales.length; i++) scales[i] = (float) s.getFlat(i);
        return new Prepared(x, codes, scales);
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) { return Tolerances.actQuant(tier, c.config().activationScaleFormat()); }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, ActQuantOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        ScaleFormat f = c.config().activationScaleFormat();
        TensorF64 x = p.x().copy();
        QuantizedActivation q = op.quantize(x, f);
        ev.requireUnchanged("input.x", p.x(), x);
        if (q.rows() != p.x().rows() || q.cols() != p.x().cols() || q.scales().length != p.scales().length) {
            ev.fail("shape: " + q.rows() + "x" + q.cols() + " with " + q.scales().length + " scales, expected "
                    + p.x().rows() + "x" + p.x().cols() + " with " + p.scales().length);
            return ev.result();
        }
        if (c.tolerance().tier() == Tier.LOOSE && !c.tolerance().isCustom()) {
            ev.compare("dequant(codes) vs input.x", q.dequantize(), p.x());
            return ev.result();
        }
        QuantizedActivation e = new QuantizedActivation(p.codes(), p.scales(), q.rows(), q.cols(), 128);
        ev.requireBitwise("scales", doubles(q.scales()), doubles(p.scales()));
        ev.compare("dequant(codes)", q.dequantize(), e.dequantize());
        return ev.result();
    }

    static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
