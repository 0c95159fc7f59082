package org.dsv32.conformance.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.io.DType;
import org.dsv32.spec.io.SafetensorsWriter;
import org.dsv32.spec.io.TensorData;
import org.dsv32.spec.weights.Fp8BlockWeight;
import org.dsv32.spec.weights.Weight;

/**
 * A layer workload that PyTorch can run too ({@code ./dsv32 bench --peer torch}, {@link TorchPeer#runLayer}): it
 * writes the inputs of its PyTorch form (conformance/python/bench_torch.py, the class named by {@link Case#kind})
 * and the float64 reference's output on them, which the peer's output must match before it is timed.
 */
public interface TorchLayer {
    /**
     * The PyTorch case of this workload: its inputs written to {@code input}, the reference's output computed with
     * {@code reference} (in exact mode: PyTorch runs on dequantised weights without act_quant).
     */
    Case torchCase(Path input, Backend reference);

    /**
     * What the peer runs and how it is judged and counted.
     *
     * @param kind           the layer class of bench_torch.py ("mla_decode", "moe")
     * @param expected       the float64 reference's output, row-major; the peer's first {@code expected.length} values
     *                       are compared with it
     * @param what           the comparison's name in messages
     * @param flops          floating-point operations of one call of the PyTorch form
     * @param elementsRead   weight and cache elements one call reads (bytes: 4 per element in fp32, 2 in bf16)
     * @param note           what the PyTorch form does and leaves out, for the row's note
     */
    record Case(String kind, double[] expected, String what, double flops, double elementsRead, String note) {}

    /** The tensors of a PyTorch case's input file: weights as FP8 codes and block scales (or F32 values), arrays as F32 or I32. */
    final class Inputs {
        private final List<TensorData> tensors = new ArrayList<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private int blockRows = -1, blockCols = -1;

        /** {@code name.codes} and {@code name.scales} of an FP8 weight (one block size per file), or {@code name} as F32 [rows][cols]. */
        public Inputs weight(String name, Weight w) {
            if (w instanceof Fp8BlockWeight f) {
                if (blockRows < 0) {
                    blockRows = f.blockRows();
                    blockCols = f.blockCols();
                } else if (blockRows != f.blockRows() || blockCols != f.blockCols()) {
                    throw new IllegalArgumentException(f.name() + ": blocks " + f.blockRows() + "x" + f.blockCols() + ", the file's are " + blockRows + "x" + blockCols);
                }
                tensors.add(new TensorData(name + ".codes", DType.F8_E4M3, new long[] {f.rows(), f.cols()}, f.codes()));
                tensors.add(new TensorData(name + ".scales", DType.F32, new long[] {f.scaleRows(), f.scaleCols()}, f.scales()));
            } else {
                float[] v = new float[w.rows() * w.cols()];
                for (int r = 0; r < w.rows(); r++) {
                    double[] row = w.row(r);
                    for (int c = 0; c < row.length; c++) v[r * w.cols() + c] = (float) row[c];
                }
                tensors.add(TensorData.ofFloats(name, v, w.rows(), w.cols()));
            }
            return this;
        }

        public Inputs floats(String name, double[] values, long... shape) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
            tensors.add(TensorData.ofFloats(name, f, shape));
            return this;
        }

        public Inputs ints(String name, int[] values, long... shape) {
            tensors.add(TensorData.ofInts(name, values, shape));
            return this;
        }

        public Inputs meta(String key, Object value) {
            metadata.put(key, String.valueOf(value));
            return this;
        }

        /** Writes the file (naming it in the error). */
        public void write(Path file) {
            Map<String, String> m = new LinkedHashMap<>(metadata);
            m.put("block_rows", "" + Math.max(blockRows, 1));
            m.put("block_cols", "" + Math.max(blockCols, 1));
            try {
                SafetensorsWriter.write(file, tensors, m);
            } catch (IOException e) {
                throw new IllegalStateException(file + ": writing the torch peer's inputs: " + e.getMessage(), e);
            }
        }
    }
}
