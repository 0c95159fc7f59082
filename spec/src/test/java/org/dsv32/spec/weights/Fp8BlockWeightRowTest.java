package org.dsv32.spec.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** {@link Fp8BlockWeight#row} reads block by block; it must give exactly {@link Fp8BlockWeight#get}'s values, ragged edge blocks included. */
class Fp8BlockWeightRowTest {
    @Property(tries = 60)
    void rowEqualsGetElementByElement(@ForAll @IntRange(min = 1, max = 9) int rows, @ForAll @IntRange(min = 1, max = 300) int cols,
                                      @ForAll @IntRange(min = 1, max = 4) int blockRows, @ForAll @IntRange(min = 1, max = 130) int blockCols,
                                      @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment codes = arena.allocate((long) rows * cols);
            for (long i = 0; i < codes.byteSize(); i++) codes.set(ValueLayout.JAVA_BYTE, i, (byte) rng.nextInt(256));
            int sr = Fp8BlockWeight.scaleRows(rows, blockRows), sc = Fp8BlockWeight.scaleCols(cols, blockCols);
            MemorySegment scales = arena.allocate(4L * sr * sc);
            for (long i = 0; i < (long) sr * sc; i++) scales.set(Fp8BlockWeight.F32, 4 * i, (float) Math.scalb(1.0 + rng.nextDouble(), rng.nextInt(-20, 5)));
            Fp8BlockWeight w = new Fp8BlockWeight("w", codes, scales, rows, cols, blockRows, blockCols);
            for (int r = 0; r < rows; r++) {
                double[] row = w.row(r);
                assertEquals(cols, row.length);
                for (int c = 0; c < cols; c++) {
                    assertEquals(Double.doubleToRawLongBits(w.get(r, c)), Double.doubleToRawLongBits(row[c]), "row " + r + " column " + c);
                }
            }
        }
    }
}
