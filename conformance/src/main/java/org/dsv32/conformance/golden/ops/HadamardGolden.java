package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.SplittableRandom;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.generate.RandomInputs;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenConfigs;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.tolerance.Tolerances;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * hadamard: {@code input.x} [R][n] (n a power of two) → {@code expected.y} = n^-1/2 H_n x per row, H_n in Sylvester
 * order. The shipped case has n = 128 (the indexer's head) with unit vectors among its rows, so every sign of H shows.
 */
public final class HadamardGolden extends AbstractGoldenOp<HadamardOp, HadamardGolden.Prepared> {
    record Prepared(TensorF64 x, TensorF64 y) {}

    public HadamardGolden() { super(HadamardOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            int n = cfg.indexHeadDim();
            long seed = ctx.seed("hadamard-n128");
            SplittableRandom rng = new SplittableRandom(seed);
            TensorF64 x = RandomInputs.rowScaled(rng, RandomInputs.gaussian(rng, 1, 6, n), 1e-2, 1e2);
            for (int c = 0; c < n; c++) { x.put(0, c, c == 0 ? 1 : 0); x.put(1, c, c == n - 1 ? 1 : 0); }
            TensorF64 y = ctx.reference(HadamardOp.class, cfg, v.mode()).apply(x.copy());
            ctx.write(name(v, "n128"), writer(v, cfg, "n128", seed, "n = 128; rows 0 and 1 are the unit vectors e_0 and e_127")
                    .input("x", x).expected("y", y));
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, -1);
        if (Integer.bitCount(x.cols()) != 1) throw GoldenException.corrupted(c.file() + ": input.x has " + x.cols() + " columns, not a power of two");
        return new Prepared(x, c.expected("y", x.rows(), x.cols()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) { return Tolerances.hadamard(p.x().cols()); }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, HadamardOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 x = p.x().copy();
        ev.compare("y", op.apply(x), p.y());
        ev.requireUnchanged("input.x", p.x(), x);
        return ev.result();
    }
}
