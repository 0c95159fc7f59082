package org.dsv32.conformance.golden.ops;

import java.util.Arrays;
import org.dsv32.conformance.CaseEval;
import org.dsv32.conformance.golden.GoldenCase;
import org.dsv32.conformance.golden.GoldenCaseWriter;
import org.dsv32.conformance.golden.GoldenException;
import org.dsv32.conformance.golden.GoldenFormat;
import org.dsv32.conformance.golden.GoldenGenerator;
import org.dsv32.conformance.golden.GoldenOp;
import org.dsv32.spec.tolerance.Tolerance;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.tensor.TensorF64;

/** What the golden operations share: the case writer with the common metadata, and small checked readers. */
abstract class AbstractGoldenOp<T extends Operation, P> implements GoldenOp<T, P> {
    private final Class<T> type;

    AbstractGoldenOp(Class<T> type) { this.type = type; }

    @Override
    public final Class<T> type() { return type; }

    /** A writer for case {@code <label>-<variant>-<what>} with operation, mode, config, seed and description set. */
    GoldenCaseWriter writer(GoldenGenerator.Variant v, ModelConfig config, String what, long seed, String description) {
        return GoldenCaseWriter.forCase(name(v, what), label(), config, v.mode())
                .meta(GoldenFormat.SEED, seed)
                .meta(GoldenFormat.DESCRIPTION, description);
    }

    String name(GoldenGenerator.Variant v, String what) { return label() + "-" + v.label() + "-" + what; }

    /** A rank-2 tensor [rows][cols]; -1 leaves a dimension free. */
    static TensorF64 matrix(GoldenCase c, String name, int rows, int cols) throws GoldenException {
        TensorF64 t = c.tensor(name);
        if (t.rank() != 2 || (rows >= 0 && t.dim(0) != rows) || (cols >= 0 && t.dim(1) != cols) || t.size() == 0) {
            throw GoldenException.corrupted(c.file() + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected [" + (rows < 0 ? "R" : rows) + "][" + (cols < 0 ? "C" : cols) + "]");
        }
        return t;
    }

    /** The first {@code n} rows from {@code from} of x (a copy). */
    static TensorF64 rows(TensorF64 x, int from, int n) {
        TensorF64 y = TensorF64.zeros(n, x.cols());
        for (int r = 0; r < n; r++) for (int k = 0; k < x.cols(); k++) y.put(r, k, x.at(from + r, k));
        return y;
    }

    /** Columns [0, cols) of x (a copy). */
    static TensorF64 leftColumns(TensorF64 x, int cols) {
        TensorF64 y = TensorF64.zeros(x.rows(), cols);
        for (int r = 0; r < x.rows(); r++) for (int k = 0; k < cols; k++) y.put(r, k, x.at(r, k));
        return y;
    }

    /** Rows stacked into one [sum rows][cols] tensor. */
    static TensorF64 stack(java.util.List<TensorF64> parts) {
        int rows = 0, cols = parts.getFirst().cols();
        for (TensorF64 p : parts) rows += p.rows();
        TensorF64 y = TensorF64.zeros(rows, cols);
        int r0 = 0;
        for (TensorF64 p : parts) {
            for (int r = 0; r < p.rows(); r++) for (int k = 0; k < cols; k++) y.put(r0 + r, k, p.at(r, k));
            r0 += p.rows();
        }
        return y;
    }

    /** x padded on the right with {@code fill} to {@code cols} columns. */
    static TensorF64 padColumns(TensorF64 x, int cols, double fill) {
        TensorF64 y = TensorF64.zeros(x.rows(), cols);
        for (int r = 0; r < x.rows(); r++) for (int k = 0; k < cols; k++) y.put(r, k, k < x.cols() ? x.at(r, k) : fill);
        return y;
    }

    /** A new evaluation of case {@code c} under {@code t}. */
    static CaseEval eval(GoldenCase c, Tolerance t) { return new CaseEval(c.name(), t); }

    /** The element-wise gate of a tolerance as a calc_diff-plus-max-error tolerance (routing weights). */
    static Tolerance elementwise(Tolerance t) {
        return new Tolerance(org.dsv32.spec.tolerance.Tolerances.calcDiffOf(t.maxErrInf()), t.maxErrInf(), Double.NaN, t.derivation());
    }
}
