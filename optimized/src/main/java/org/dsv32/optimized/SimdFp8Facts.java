package org.dsv32.optimized;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.dsv32.spec.weights.Fp8BlockWeight;

/**
 * What the GEMV fast path needs to know about an FP8 weight, found by one scan of its bytes on first use and kept
 * for the weight's lifetime: whether any code is the e4m3 NaN (S.1111.111), so the kernel can skip checking every
 * chunk; whether any is an e4m3 subnormal (S.0000.mmm, mmm not 0), which the fast decodes turn into an fp32
 * subnormal, on which every arithmetic instruction takes a microcode assist ({@link SimdGemmDriver#gemm} keeps such a
 * weight's few-row products off the paths that multiply one decoded value into several rows); and the largest
 * block scale magnitude, which bounds the rescaled promotion (see
 * {@link SimdGemvRows}). It also holds, per vector width (128/256/512 bits), how often the GEMV asked for the
 * weight's repacked codes and the codes once {@link SimdWeightCache#packedCodes} has made them, so a decode step
 * finds them without a second map lookup.
 */
record SimdFp8Facts(boolean hasNanCode, boolean hasSubnormalCode, float maxAbsScale, AtomicReferenceArray<int[]> packed, AtomicIntegerArray packUses) {
    private static final SimdIdentityMemo<Fp8BlockWeight, SimdFp8Facts> MEMO = new SimdIdentityMemo<>(SimdFp8Facts::scan);
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;

    static SimdFp8Facts of(Fp8BlockWeight w) { return MEMO.get(w); }

    /** The slot of {@link #packed} and {@link #packUses} for vectors of {@code lanes} ints (4, 8 or 16). */
    static int packedSlot(int lanes) { return Integer.numberOfTrailingZeros(lanes) - 2; }

    private static SimdFp8Facts scan(Fp8BlockWeight w) {
        MemorySegment codes = w.codes();
        long n = (long) w.rows() * w.cols();
        boolean nan = false, subnormal = false;
        long i = 0;
        // the NaN code is the only one with all seven low bits set; a subnormal has exponent bits 0 and mantissa bits not
        for (long bound = n - n % B.length(); i < bound && !(nan && subnormal); i += B.length()) {
            ByteVector v = ByteVector.fromMemorySegment(B, codes, i, java.nio.ByteOrder.LITTLE_ENDIAN);
            nan |= v.and((byte) 0x7F).compare(VectorOperators.EQ, (byte) 0x7F).anyTrue();
            subnormal |= v.and((byte) 0x78).compare(VectorOperators.EQ, (byte) 0)
                    .and(v.and((byte) 0x07).compare(VectorOperators.NE, (byte) 0)).anyTrue();
        }
        for (; i < n; i++) {
            int c = codes.get(SimdLayouts.I8, i);
            nan |= (c & 0x7F) == 0x7F;
            subnormal |= (c & 0x78) == 0 && (c & 0x07) != 0;
        }
        float max = 0f;
        MemorySegment scales = w.scales();
        long count = (long) w.scaleRows() * w.scaleCols();
        for (long j = 0; j < count; j++) {
            float s = Math.abs(scales.get(SimdLayouts.F32, 4 * j));
            if (Float.isNaN(s)) {
                max = Float.NaN; // then no rescaling is allowed
                break;
            }
            max = Math.max(max, s);
        }
        return new SimdFp8Facts(nan, subnormal, max, new AtomicReferenceArray<>(3), new AtomicIntegerArray(3));
    }
}
