package org.dsv32.conformance.mutants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dsv32.conformance.AbstractOperationCheck;
import org.dsv32.conformance.generate.ConformanceConfigs;
import org.dsv32.conformance.OperationCheck;
import org.dsv32.conformance.Progress;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.junit.jupiter.api.Test;

/**
 * The mutant catalogue: it covers every known port bug of spec/SEMANTICS.md §12, each mutant injects one bug
 * into one reference operation, the unmutated reference passes the checks the mutants face, and every mutant is
 * killed by them — by the check MUTANTS.md names.
 */
class MutantCatalogueTest {
    /**
     * spec/SEMANTICS.md §12, phrase by phrase, with the mutants each phrase requires: a phrase naming several
     * bugs ("0 or 2 times or to the shared expert") needs one mutant per bug.
     */
    static final Map<String, List<String>> SECTION_12 = new LinkedHashMap<>();

    static {
        SECTION_12.put("Indexer RoPE interleaved", List.of("indexer-rope-interleaved"));
        SECTION_12.put("indexer rope dims taken last instead of first", List.of("indexer-rope-dims-last"));
        SECTION_12.put("MLA RoPE non-interleaved", List.of("mla-rope-half-split"));
        SECTION_12.put("missing mscale^2", List.of("mla-no-mscale-squared"));
        SECTION_12.put("wrong norm eps", List.of("rms-norm-eps", "layer-norm-eps", "indexer-key-norm-eps", "mla-norm-eps"));
        SECTION_12.put("Hadamard on only one side", List.of("hadamard-query-only", "hadamard-key-only"));
        SECTION_12.put("indexer not causal", List.of("indexer-not-causal"));
        SECTION_12.put("indexer weights without the 64^-0.5 factor", List.of("indexer-weights-unscaled"));
        SECTION_12.put("ReLU missing or scores summed before ReLU", List.of("indexer-relu-missing", "indexer-relu-after-head-sum"));
        SECTION_12.put("top-k larger than the key count mishandled", List.of("indexer-topk-over-masked-keys"));
        SECTION_12.put("bias used in the expert weights", List.of("gate-bias-in-weights"));
        SECTION_12.put("group score = max instead of top-2 sum", List.of("gate-group-score-max"));
        SECTION_12.put("dropped groups filled with 0 instead of -inf", List.of("gate-dropped-groups-zero"));
        SECTION_12.put("routed scale applied 0 or 2 times or to the shared expert",
                List.of("routed-scale-missing", "routed-scale-twice", "routed-scale-on-shared"));
        SECTION_12.put("softmax instead of sigmoid", List.of("gate-softmax"));
        SECTION_12.put("ue8m0 not rounded or rounded down", List.of("ue8m0-not-rounded", "ue8m0-rounded-down"));
        SECTION_12.put("scale divided instead of multiplied", List.of("weight-scale-divided"));
        SECTION_12.put("amax floor missing (all-zero tile gives NaN)", List.of("amax-floor-missing"));
        SECTION_12.put("ragged edge blocks mis-indexed", List.of("ragged-block-misindexed"));
        SECTION_12.put("kv latent not passed through FP8", List.of("kv-latent-not-fp8"));
        SECTION_12.put("decode (absorbed) path disagreeing with prefill", List.of("decode-absorbed-wrong-split", "decode-absorbed-no-rope"));
        SECTION_12.put("MTP concat order swapped", List.of("mtp-concat-swapped"));
        SECTION_12.put("MTP position-0 embedding not zeroed", List.of("mtp-position0-not-zeroed"));
        SECTION_12.put("each indexer head selecting its own top-k keys", List.of("indexer-per-head-topk"));
        SECTION_12.put("chunked-prefill key offsets counted from the wrong origin", List.of("indexer-chunk-row-as-position"));
        SECTION_12.put("ragged-batch padding leaking into the indexer", List.of("ragged-padded-keys-visible", "ragged-padded-rows-read"));
        SECTION_12.put("MTP target offset by one", List.of("mtp-loss-target-offset"));
        SECTION_12.put("λ applied twice or not divided by D", List.of("mtp-loss-lambda-twice", "mtp-loss-not-divided-by-depth"));
        SECTION_12.put("a draft accepted without verification", List.of("speculation-accepts-unverified"));
    }

    static final List<Mutant> ALL = MutantCatalogue.all();
    static final OpContext CTX = new OpContext(ConformanceConfigs.small(), PrecisionMode.EXACT);
    /** One runner for the class: the reference's control results are computed once per check and shared. */
    static final MutantRunner RUNNER = MutantRunner.quick(new ReferenceBackend());

    @Test
    void atLeastTwentyMutantsWithDistinctIds() {
        assertTrue(ALL.size() >= 20, "only " + ALL.size() + " mutants");
        Set<String> ids = new HashSet<>();
        for (Mutant m : ALL) assertTrue(ids.add(m.id()), "duplicate id " + m.id());
    }

    @Test
    void everySection12BugHasItsMutant() {
        assertEquals(29, SECTION_12.size(), "section 12 lists 29 phrases");
        List<String> missing = new ArrayList<>();
        for (var e : SECTION_12.entrySet()) {
            for (String id : e.getValue()) {
                Mutant m = ALL.stream().filter(x -> x.id().equals(id)).findFirst().orElse(null);
                if (m == null) missing.add(id + " (for '" + e.getKey() + "')");
                else assertEquals(e.getKey(), m.factSheet(), id + " must carry the fact sheet's wording");
            }
        }
        assertTrue(missing.isEmpty(), "section 12 bugs without a mutant: " + missing);
        for (Mutant m : ALL) {
            if (!m.fromSection12()) continue;
            assertTrue(SECTION_12.containsKey(m.factSheet()), m.id() + " claims '" + m.factSheet() + "', which section 12 does not say");
            assertTrue(SECTION_12.get(m.factSheet()).contains(m.id()), m.id() + " is not listed for its phrase in this test");
        }
    }

    @Test
    void eachMutantOverridesOneMethodOfOneReferenceOperation() {
        Backend ref = new ReferenceBackend();
        for (Mutant m : ALL) {
            Backend b = m.backend().get();
            assertTrue(b.name().contains(m.id()), m.id() + ": backend name " + b.name());
            Class<?> mutated = b.require(m.operation(), CTX).getClass();
            Class<?> original = ref.require(m.operation(), CTX).getClass();
            assertEquals(original, mutated.getSuperclass(), m.id() + " must subclass " + original.getSimpleName());
            assertEquals(1, Mutant.overriddenMethods(mutated).size(), m.id() + " overrides " + Mutant.overriddenMethods(mutated));
            for (Class<? extends Operation> op : OperationCatalog.ALL) {
                if (op == m.operation()) continue;
                assertEquals(ref.require(op, CTX).getClass(), b.require(op, CTX).getClass(), m.id() + " must leave " + op.getSimpleName() + " alone");
            }
            assertTrue(m.injectedAt().startsWith(original.getSimpleName() + "."), m.injectedAt());
        }
    }

    @Test
    void theUnmutatedReferencePassesTheChecksTheMutantsFace() {
        for (OperationCheck c : RUNNER.checks()) {
            assertTrue(RUNNER.controlFailures(c).isEmpty(), () -> "the reference itself fails " + RUNNER.controlFailures(c));
        }
        // every operation some mutant is expected to be killed by has a real check (not a NOT_IMPLEMENTED stand-in)
        for (Mutant m : ALL) {
            assertTrue(RUNNER.checks().stream().anyMatch(c -> c.operation() == m.expectedKiller() && c instanceof AbstractOperationCheck<?, ?>),
                    "no check for " + m.expectedKillerLabel());
        }
    }

    @Test
    void aCheckTheReferenceFailsKillsNothing() {
        OperationCheck alwaysFails = new OperationCheck() {
            @Override public Class<? extends Operation> operation() { return org.dsv32.spec.ops.HadamardOp.class; }

            @Override public List<org.dsv32.conformance.CheckResult> run(Backend c, Backend r, org.dsv32.conformance.CheckOptions o, Progress p) {
                return List.of(org.dsv32.conformance.CheckResult.notRun("operations", c.name(), "hadamard", "exact",
                        org.dsv32.spec.tolerance.Tier.TIGHT, org.dsv32.conformance.Status.FAIL, "always"));
            }
        };
        MutantRunner runner = new MutantRunner(List.of(alwaysFails), new ReferenceBackend(), org.dsv32.conformance.CheckOptions.quickDefaults());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> runner.run(MutantCatalogue.byId("hadamard-unscaled"), Progress.NONE));
        assertTrue(e.getMessage().contains("unmutated reference fails"), e.getMessage());
    }

    @Test
    void everyMutantIsKilledByTheCheckTheCatalogueNames() {
        List<String> survivors = new ArrayList<>(), elsewhere = new ArrayList<>();
        for (Mutant m : ALL) {
            MutantResult r = RUNNER.run(m, Progress.NONE);
            if (!r.killed()) survivors.add(r.line());
            else if (!r.killedAsExpected()) elsewhere.add(m.id() + " expected " + m.expectedKillerLabel() + ", " + r.line());
        }
        assertTrue(survivors.isEmpty(), survivors.size() + " mutant(s) survived:\n" + String.join("\n", survivors));
        assertTrue(elsewhere.isEmpty(), "killed by another check than MUTANTS.md says:\n" + String.join("\n", elsewhere));
    }

    /**
     * The MTP objective's mutants under mtp_loss's predictive gate (spec/TOLERANCES.md §10.6): each dies by at least
     * {@link org.dsv32.conformance.Margin#TARGET} gates (under the rigorous gate they died by 2.8 to 6.1).
     */
    @Test
    void theMtpLossMutantsDieByTenGatesOrMore() {
        for (String id : List.of("mtp-loss-concat-swapped", "mtp-loss-target-offset", "mtp-loss-lambda-twice", "mtp-loss-not-divided-by-depth")) {
            MutantResult r = RUNNER.run(MutantCatalogue.byId(id), Progress.NONE);
            assertTrue(r.killed() && r.margin() >= org.dsv32.conformance.Margin.TARGET, r.line());
        }
    }

    @Test
    void mutantsMdIsTheGeneratedTable() throws IOException {
        Path md = Path.of("MUTANTS.md");
        assertTrue(Files.exists(md), "conformance/MUTANTS.md is missing; write it with " + MutantTable.REGENERATE);
        assertEquals(MutantTable.markdown(ALL), Files.readString(md), "conformance/MUTANTS.md is stale; regenerate it with " + MutantTable.REGENERATE);
        for (Mutant m : ALL) assertTrue(Files.readString(md).contains("`" + m.id() + "`"), m.id());
    }

    @Test
    void unknownIdIsRefusedWithTheKnownOnes() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MutantCatalogue.byId("no-such-bug"));
        assertTrue(e.getMessage().contains("mtp-concat-swapped"), e.getMessage());
    }
}
