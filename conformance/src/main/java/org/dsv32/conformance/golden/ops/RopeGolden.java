package org.dsv32.conformance.golden.ops;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
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
import org.dsv32.spec.ops.RopeLayout;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;

/**
 * rope: {@code input.x} [R][qk_rope_head_dim], {@code input.positions} I32/I64 [R], metadata {@code rope_layout}
 * {@code interleaved} (MLA: pairs (2i, 2i+1)) or {@code half_split} (the indexer: pairs (i, i + d/2)) →
 * {@code expected.y}, with the config's YaRN frequencies. Positions from 0 to max_position_embeddings - 1, around
 * original_max_position_embeddings = 4096.
 */
public final class RopeGolden extends AbstractGoldenOp<RopeOp, RopeGolden.Prepared> {
    record Prepared(TensorF64 x, int[] positions, RopeLayout layout, TensorF64 y) {}

    public RopeGolden() { super(RopeOp.class); }

    @Override
    public void generate(GoldenGenerator.Context ctx) throws IOException {
        for (GoldenGenerator.Variant v : ctx.modes()) {
            ModelConfig cfg = GoldenConfigs.operations(v.scales());
            for (RopeLayout layout : RopeLayout.values()) {
                String l = layout.name().toLowerCase(Locale.ROOT);
                long seed = ctx.seed("rope-" + l);
                int orig = cfg.ropeScaling().originalMaxPositionEmbeddings();
                int[] pos = {0, 1, 2, 77, orig - 1, orig, orig + 1, 65_537, cfg.maxPositionEmbeddings() - 1};
                TensorF64 x = RandomInputs.gaussian(new SplittableRandom(seed), 1, pos.length, cfg.qkRopeHeadDim());
                TensorF64 y = ctx.reference(RopeOp.class, cfg, v.mode()).apply(x.copy(), pos.clone(), layout);
                String what = l.replace('_', '-');
                ctx.write(name(v, what), writer(v, cfg, what, seed, l + " rotation at positions " + Arrays.toString(pos))
                        .meta(GoldenFormat.ROPE_LAYOUT, l).input("x", x).inputInts("positions", pos).expected("y", y));
            }
        }
    }

    @Override
    public Prepared prepare(GoldenCase c) throws GoldenException {
        TensorF64 x = matrix(c, GoldenFormat.INPUT + "x", -1, c.config().qkRopeHeadDim());
        int[] pos = c.ints(GoldenFormat.INPUT + "positions");
        if (pos.length != x.rows()) throw GoldenException.corrupted(c.file() + ": input.positions has " + pos.length + " entries for " + x.rows() + " rows");
        for (int p : pos) if (p < 0) throw GoldenException.corrupted(c.file() + ": input.positions holds the negative position " + p);
        RopeLayout layout;
        try {
            layout = RopeLayout.valueOf(c.meta(GoldenFormat.ROPE_LAYOUT).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw GoldenException.corrupted(c.file() + ": __metadata__ rope_layout must be interleaved or half_split");
        }
        return new Prepared(x, pos, layout, c.expected("y", x.rows(), x.cols()));
    }

    @Override
    public Tolerance tolerance(GoldenCase c, Prepared p, Tier tier) {
        return Tolerances.rope(Arrays.stream(p.positions()).max().orElse(0), c.config().ropeFrequencies()[0]);
    }

    @Override
    public CaseResult run(GoldenCase c, Prepared p, RopeOp op, Tolerance tol) {
        CaseEval ev = eval(c, tol);
        TensorF64 x = p.x().copy();
        ev.compare("y", op.apply(x, p.positions().clone(), p.layout()), p.y());
        ev.requireUnchanged("input.x", p.x(), x);
        return ev.result();
    }
}
