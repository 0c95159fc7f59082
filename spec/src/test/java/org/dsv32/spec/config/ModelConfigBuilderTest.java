package org.dsv32.spec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.RecordComponent;
import org.junit.jupiter.api.Test;

/** The builder sets each component by its own name, copies a config whole, and names a component left unset. */
class ModelConfigBuilderTest {
    @Test
    void toBuilderCopiesEveryComponent() {
        assertEquals(ModelConfig.deepseekV32(), ModelConfig.deepseekV32().toBuilder().build());
        assertEquals(ModelPresets.tiny(), ModelPresets.tiny().toBuilder().build());
    }

    /**
     * For every record component, the builder method of the same name changes that component and no other: a
     * builder that passed two adjacent ints to the constructor in swapped order fails here.
     */
    @Test
    void eachSetterChangesOnlyItsComponent() throws Exception {
        ModelConfig base = ModelPresets.tiny();
        for (RecordComponent rc : ModelConfig.class.getRecordComponents()) {
            Object before = rc.getAccessor().invoke(base);
            Object after = changed(rc.getType(), before);
            ModelConfigBuilder b = base.toBuilder();
            ModelConfigBuilder.class.getMethod(rc.getName(), rc.getType()).invoke(b, after);
            ModelConfig c = b.build();
            for (RecordComponent other : ModelConfig.class.getRecordComponents()) {
                Object v = other.getAccessor().invoke(c);
                if (other.getName().equals(rc.getName())) assertEquals(after, v, rc.getName());
                else assertEquals(other.getAccessor().invoke(base), v, other.getName() + " changed by setting " + rc.getName());
            }
        }
    }

    private static Object changed(Class<?> type, Object v) {
        if (type == int.class) return (Integer) v + 1;
        if (type == double.class) return (Double) v * 2;
        if (type == boolean.class) return !(Boolean) v;
        if (type == String.class) return v + "-other";
        if (type == RopeScaling.class) return v.equals(RopeScaling.none()) ? RopeScaling.deepseekV32() : RopeScaling.none();
        if (type == QuantizationConfig.class) return v == null ? QuantizationConfig.deepseekV32() : null;
        throw new AssertionError("no changed value for " + type);
    }

    @Test
    void anUnsetComponentIsNamedByItsConfigKey() {
        ModelConfigBuilder b = ModelPresets.tiny().toBuilder();
        ModelConfigBuilder empty = ModelConfig.builder().vocabSize(8);
        var e = assertThrows(IllegalStateException.class, empty::build);
        assertEquals("ModelConfig builder: hidden_size is not set", e.getMessage());
        assertNotEquals(null, b.build());
    }

    @Test
    void ropeScalingAndQuantizationAreOptional() {
        ModelConfig t = ModelPresets.tiny();
        ModelConfig c = ModelConfig.builder()
                .vocabSize(t.vocabSize()).hiddenSize(t.hiddenSize()).intermediateSize(t.intermediateSize())
                .moeIntermediateSize(t.moeIntermediateSize()).numHiddenLayers(t.numHiddenLayers())
                .numNextnPredictLayers(t.numNextnPredictLayers()).firstKDenseReplace(t.firstKDenseReplace())
                .numAttentionHeads(t.numAttentionHeads()).qLoraRank(t.qLoraRank()).kvLoraRank(t.kvLoraRank())
                .qkNopeHeadDim(t.qkNopeHeadDim()).qkRopeHeadDim(t.qkRopeHeadDim()).vHeadDim(t.vHeadDim())
                .nRoutedExperts(t.nRoutedExperts()).numExpertsPerTok(t.numExpertsPerTok()).nGroup(t.nGroup())
                .topkGroup(t.topkGroup()).nSharedExperts(t.nSharedExperts())
                .scoringFunc(t.scoringFunc()).topkMethod(t.topkMethod()).normTopkProb(t.normTopkProb())
                .routedScalingFactor(t.routedScalingFactor())
                .indexNHeads(t.indexNHeads()).indexHeadDim(t.indexHeadDim()).indexTopk(t.indexTopk())
                .ropeTheta(t.ropeTheta()).rmsNormEps(t.rmsNormEps()).maxPositionEmbeddings(t.maxPositionEmbeddings())
                .build();
        assertEquals(RopeScaling.none(), c.ropeScaling());
        assertNull(c.quantization());
        assertEquals(t.toBuilder().ropeScaling(RopeScaling.none()).quantization(null).build(), c);
    }
}
