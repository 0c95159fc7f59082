package org.dsv32.spec.ops;

import org.dsv32.spec.weights.Weight;

/**
 * The shape check every {@link LinearOp} implementation makes, in one place so that every backend refuses a
 * mismatched input with the same message: y = x W^T needs x [M][K] with K the column count of W [N][K].
 */
public final class LinearChecks {
    private LinearChecks() {}

    /** x [rows][cols] (rows: the product of every dimension but the last) must have the weight's column count. */
    public static void checkInput(Weight w, long rows, long cols) {
        if (cols != w.cols()) throw mismatch(w, "[" + rows + "][" + cols + "]");
    }

    /** A flat row-major input of {@code values} numbers, read as {@code rows} rows, must be rows x the weight's columns. */
    public static void checkFlatInput(Weight w, long rows, long values) {
        if (values == rows * w.cols()) return;
        throw mismatch(w, rows > 0 && values % rows == 0 ? "[" + rows + "][" + values / rows + "]" : "of " + values + " values in " + rows + " rows");
    }

    private static IllegalArgumentException mismatch(Weight w, String input) {
        return new IllegalArgumentException("linear " + w.name() + ": input " + input + " does not fit the weight "
                + w.rows() + "x" + w.cols() + " (x [M][K] needs K = " + w.cols() + " columns)");
    }
}
