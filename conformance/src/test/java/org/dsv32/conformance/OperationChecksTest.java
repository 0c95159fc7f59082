package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.dsv32.conformance.checks.ActQuantCheck;
import org.dsv32.conformance.checks.BlockCheck;
import org.dsv32.conformance.checks.ModelCheck;
import org.dsv32.conformance.checks.MtpCheck;
import org.dsv32.conformance.checks.HadamardCheck;
import org.dsv32.conformance.checks.IndexerCheck;
import org.dsv32.conformance.checks.LayerNormCheck;
import org.dsv32.conformance.checks.LinearCheck;
import org.dsv32.conformance.checks.MlaAttentionCheck;
import org.dsv32.conformance.checks.MlpCheck;
import org.dsv32.conformance.checks.MoeCheck;
import org.dsv32.conformance.checks.MoeGateCheck;
import org.dsv32.conformance.checks.RmsNormCheck;
import org.dsv32.conformance.checks.RopeCheck;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every implemented check passes for the reference against itself, and FAILS for the reference with one known port
 * bug in the checked operation (a mutant of {@link MutantCatalogue}) — so no check is one that cannot fail.
 */
class OperationChecksTest {
    static final Backend REFERENCE = new ReferenceBackend();
    static final CheckOptions QUICK = CheckOptions.quickDefaults();
    /** The reference's own results per check class, computed once even when a check has several mutants. */
    static final java.util.Map<Class<?>, List<CheckResult>> REFERENCE_RESULTS = new java.util.concurrent.ConcurrentHashMap<>();

    static Stream<Arguments> checksAndMutants() {
        return Stream.of(
                Arguments.of(new ActQuantCheck(), mutant("ue8m0-not-rounded")),
                Arguments.of(new LinearCheck(), mutant("linear-skips-act-quant")),
                Arguments.of(new RmsNormCheck(), mutant("rms-norm-eps")),
                Arguments.of(new LayerNormCheck(), mutant("layer-norm-eps")),
                Arguments.of(new RopeCheck(), mutant("rope-layouts-swapped")),
                Arguments.of(new HadamardCheck(), mutant("hadamard-unscaled")),
                Arguments.of(new IndexerCheck(), mutant("indexer-picks-worst")),
                Arguments.of(new IndexerCheck(), mutant("indexer-weights-unscaled")),
                Arguments.of(new MlaAttentionCheck(), mutant("mla-no-mscale-squared")),
                Arguments.of(new MlaAttentionCheck(), mutant("kv-latent-not-fp8")),
                Arguments.of(new MoeGateCheck(), mutant("gate-bias-in-weights")),
                Arguments.of(new MoeCheck(), mutant("routed-scale-on-shared")),
                Arguments.of(new MlpCheck(), mutant("mlp-gate-up-swapped")),
                Arguments.of(new BlockCheck(), mutant("block-no-residual")),
                // the model takes its blocks from the backend, so a block bug shows in the logits
                Arguments.of(new ModelCheck(), mutant("block-no-residual")),
                Arguments.of(new MtpCheck(), mutant("mtp-concat-swapped")));
    }

    /** A mutant of the catalogue (org.dsv32.conformance.mutants), made fresh for each use. */
    static Supplier<Backend> mutant(String id) {
        return () -> MutantCatalogue.byId(id).backend().get();
    }

    @ParameterizedTest(name = "{0}: reference passes, {1} fails")
    @MethodSource("checksAndMutants")
    void referencePassesAndMutantFails(OperationCheck check, Supplier<Backend> mutant) {
        List<CheckResult> ok = REFERENCE_RESULTS.computeIfAbsent(check.getClass(), k -> check.run(REFERENCE, REFERENCE, QUICK, Progress.NONE));
        assertFalse(ok.isEmpty());
        for (CheckResult r : ok) {
            assertTrue(r.status() == Status.PASS, () -> r.key() + " " + r.status() + ": " + failures(r));
            assertFalse(r.cases().isEmpty());
        }
        Backend bad = mutant.get();
        List<CheckResult> broken = check.run(bad, REFERENCE, QUICK, Progress.NONE);
        assertTrue(broken.stream().anyMatch(r -> r.status() == Status.FAIL),
                () -> bad.name() + " was not caught: " + broken.stream().map(r -> r.key() + "=" + r.status()).toList());
    }

    static String failures(CheckResult r) {
        return r.cases().stream().filter(c -> !c.passed()).map(c -> c.name() + ": " + c.failures()).toList().toString();
    }
}
