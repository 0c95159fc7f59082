package org.dsv32.optimized;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Fp8Codec}'s E4M3 encode and decode, one lane each, for the kernels that quantise in vector registers (act_quant's
 * row quantiser and the backward GEMMs' tile quantisers): one definition, so the two cannot drift apart. Small and
 * static so that C2 inlines them into the callers' loops.
 */
final class SimdE4m3Lanes {
    private SimdE4m3Lanes() {}

    /** {@link Fp8Codec#encodeE4M3} of each lane of {@code scaled} (x / s), as int lanes 0..255. */
    static IntVector encode(FloatVector scaled) {
        IntVector bits = scaled.reinterpretAsInts();
        IntVector sign = bits.lanewise(VectorOperators.LSHR, 24).and(0x80);
        IntVector abs = bits.and(0x7FFFFFFF);
        VectorMask<Integer> nan = abs.compare(VectorOperators.GT, 0x7F800000);
        abs = abs.min(Fp8Codec.MAX_BITS);
        IntVector normal = abs.add(abs.lanewise(VectorOperators.LSHR, 20).and(1)).add(0x7FFFF)
                .lanewise(VectorOperators.LSHR, 20).sub(Fp8Codec.REBIAS);
        IntVector sub = abs.reinterpretAsFloats().add(Fp8Codec.SUBNORMAL_MAGIC).reinterpretAsInts().sub(Fp8Codec.SUBNORMAL_MAGIC_BITS);
        return normal.blend(sub, abs.compare(VectorOperators.LT, Fp8Codec.MIN_NORMAL_BITS)).blend(0x7F, nan).or(sign);
    }

    /**
     * {@link Fp8Codec#decodeE4M3} of each lane of {@code c} (codes 0..255): the 7 magnitude bits shifted into fp32
     * position, times 2^120, NaN for the NaN codes; exact.
     */
    static FloatVector decode(IntVector c, VectorSpecies<Float> f) {
        IntVector em = c.and(0x7F);
        return c.and(0x80).lanewise(VectorOperators.LSHL, 24).or(em.lanewise(VectorOperators.LSHL, 20)).reinterpretAsFloats()
                .mul(Fp8Codec.DECODE_SCALE).blend(Float.NaN, em.compare(VectorOperators.EQ, 0x7F).cast(f));
    }
}
