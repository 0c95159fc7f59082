package org.dsv32.spec.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.RopeOp;
import org.dsv32.spec.tensor.TensorF64;
import org.junit.jupiter.api.Test;

/** delegate hands the whole operation to another backend; delegateComposed takes its factory but its parts from here. */
class RegistryBackendDelegationTest {
    /** A stand-in "composite": RopeOp whose result is its sub-operation's (Hadamard) result. */
    static final class Cpu extends RegistryBackend {
        Cpu() {
            register(HadamardOp.class, (c, self) -> x -> TensorF64.vector(1.0));
            register(RopeOp.class, (c, self) -> (x, p, l) -> self.require(HadamardOp.class, c).apply(x));
        }
        @Override public String name() { return "cpu"; }
        @Override public String description() { return "test"; }
        @Override public Availability availability() { return Availability.yes(); }
    }

    static final class Gpu extends RegistryBackend {
        Gpu(boolean composed) {
            Cpu cpu = new Cpu();
            register(HadamardOp.class, (c, self) -> x -> TensorF64.vector(2.0));
            if (composed) delegateComposed(RopeOp.class, cpu);
            else delegate(RopeOp.class, cpu);
            delegateComposed(MlpOp.class, cpu);   // the cpu backend lacks it
        }
        @Override public String name() { return "gpu"; }
        @Override public String description() { return "test"; }
        @Override public Availability availability() { return Availability.yes(); }
    }

    private static final OpContext CTX = new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8);

    @Test
    void composedDelegationTakesSubOperationsFromTheDelegatingBackend() {
        double viaComposed = new Gpu(true).require(RopeOp.class, CTX).apply(TensorF64.zeros(1, 2), new int[] {0}, null).getFlat(0);
        double viaPlain = new Gpu(false).require(RopeOp.class, CTX).apply(TensorF64.zeros(1, 2), new int[] {0}, null).getFlat(0);
        assertEquals(2.0, viaComposed, "delegateComposed must build the composite over the delegating backend");
        assertEquals(1.0, viaPlain, "delegate must hand the whole operation over");
    }

    @Test
    void bothFormsNameTheBackendTheyDelegateTo() {
        assertEquals(Optional.of("cpu"), new Gpu(true).delegateOf(RopeOp.class));
        assertEquals(Optional.of("cpu"), new Gpu(false).delegateOf(RopeOp.class));
        assertTrue(new Gpu(true).delegateOf(HadamardOp.class).isEmpty());
    }

    @Test
    void composedDelegationToAMissingOperationFailsNamingIt() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> new Gpu(true).operation(MlpOp.class, CTX));
        assertTrue(e.getMessage().contains("cpu") && e.getMessage().contains("MlpOp"), e.getMessage());
    }
}
