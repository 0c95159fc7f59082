package org.dsv32.conformance.official;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.conformance.golden.GoldenSource;
import org.dsv32.conformance.mutants.MutantCatalogue;
import org.dsv32.optimized.SimdBackend;
import org.dsv32.reference.ReferenceBackend;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.PrecisionMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed outputs of DeepSeek's own inference code (golden-data/.../official, made by scripts/official-cases
 * with conformance/python/dsv32_official.py): they cover what the issue asks (both scale formats, both modes, float32
 * activations, prompts longer than index_topk, several decode steps, exact ties), reference and simd pass all of
 * them, and a reference with the indexer's RoPE interleaved (the bug DeepSeek fixed on 2025-11-17) is a violation at
 * the first layer. No PyTorch needed.
 */
class OfficialCasesTest {
    static Path dir;
    static List<OfficialCase> cases;

    @BeforeAll
    static void extract() throws IOException {
        assertTrue(OfficialCases.shippedAvailable(), "golden-data ships DeepSeek's outputs under /official/");
        dir = OfficialCases.extractShipped();
        cases = OfficialCases.read(dir);
    }

    @AfterAll
    static void delete() { GoldenSource.deleteTree(dir); }

    @Test
    void theCasesCoverWhatTheyMustAndAreIntact() throws IOException {
        assertTrue(cases.size() >= 3, cases.toString());
        assertTrue(cases.stream().anyMatch(c -> c.name().equals("plain-fp8")), "the plain-scale fp8 case the act_quant test reads");
        Set<String> kinds = cases.stream().map(c -> c.variant().label() + "/" + c.precision().label()).collect(Collectors.toSet());
        assertTrue(kinds.contains("ue8m0/exact") && kinds.contains("ue8m0/fp8") && kinds.contains("plain/exact") && kinds.contains("plain/fp8"), kinds.toString());
        assertTrue(cases.stream().anyMatch(c -> c.actDtype().equals("float32")), "one case runs float32 activations");
        assertTrue(cases.stream().anyMatch(c -> c.precision() == PrecisionMode.BF16 && c.actDtype().equals("bfloat16")),
                "one case runs the bf16 deployment (spec/SEMANTICS.md §5c)");
        assertEquals(3, cases.stream().map(OfficialCase::seed).distinct().count(), "three checkpoints");
        for (OfficialCase c : cases) {
            assertEquals(List.of(), c.damaged(), c.name());
            assertTrue(c.provenance().get("official_commit").startsWith("8631a81"), c.name() + ": made from the fixed commit");
            assertTrue(c.provenance().containsKey("torch") && c.provenance().containsKey("model_py_sha256"), c.name());
        }
    }

    @Test
    void referenceAndSimdPassEveryCaseAndTiesOccur() {
        for (Backend b : List.of(new ReferenceBackend(), new SimdBackend())) {
            List<CheckResult> r = new OfficialSuite(dir).run(b, new ReferenceBackend(), new CheckOptions(1, true), Progress.NONE);
            assertEquals(cases.size(), r.size());
            for (CheckResult c : r) assertEquals(Status.PASS, c.status(), b.name() + " " + c.operation() + ": " + c.note() + " " + c.cases());
            // torch.topk breaks exact ties its own way: some steps are admissible only through their replayed decisions
            assertTrue(r.stream().anyMatch(c -> c.decisions().nearTie() > 0), "some step differs by a tie-break: " + r);
            assertTrue(r.stream().anyMatch(c -> c.mode().equals(PrecisionMode.EXACT.label())) && r.stream().anyMatch(c -> c.mode().equals("fp8")));
        }
    }

    @Test
    void actQuantRoundingsAtAMidpointAreReplayedAndWithoutThemPlainScalesAreNotProven() throws IOException {
        OfficialCase c = cases.stream().filter(x -> x.name().equals("plain-fp8")).findFirst().orElseThrow();
        Path ckpt = java.nio.file.Files.createTempDirectory("dsv32-official-test-");
        try {
            org.dsv32.spec.checkpoint.TinyCheckpointWriter.write(ckpt, org.dsv32.spec.config.ModelPresets.byName(c.preset()), c.seed(), c.variant());
            assertEquals(List.of(), c.checkpointDiffers(ckpt));
            try (var loader = org.dsv32.spec.checkpoint.CheckpointLoader.open(ckpt)) {
                var script = org.dsv32.conformance.logits.LogitsScript.read(c.script());
                java.util.Map<String, double[]> theirs = new java.util.LinkedHashMap<>();
                try (var f = org.dsv32.spec.io.SafetensorsFile.open(c.logits())) {
                    for (String n : f.names()) theirs.put(n, f.tensor(n).toDoubles());
                }
                var with = org.dsv32.conformance.parity.Parity.run(new ReferenceBackend(), c.precision(), loader.weights(), script, theirs, c.trace(),
                        org.dsv32.spec.tolerance.Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
                assertEquals(0, with.exitCode(), with.steps().toString());
                assertTrue(with.actQuantReplay().exactTie() > 0, "some element sat at a midpoint and went their way: " + with.actQuantReplay().describe());
                assertTrue(with.steps().stream().noneMatch(s -> s.verdict() == org.dsv32.conformance.parity.Parity.Verdict.ADMISSIBLE_ROUNDING));

                // The same trace without its act_quant records: the roundings cannot be forced, the replay no longer reproduces theirs.
                Path stripped = ckpt.resolve("stripped-trace.safetensors");
                java.util.List<org.dsv32.spec.io.TensorData> keep = new java.util.ArrayList<>();
                try (var f = org.dsv32.spec.io.SafetensorsFile.open(c.trace())) {
                    for (String n : f.names()) if (!n.endsWith(".act_quant.near_midpoint")) keep.add(f.tensor(n));
                    org.dsv32.spec.io.SafetensorsWriter.write(stripped, keep, f.metadata());
                }
                var without = org.dsv32.conformance.parity.Parity.run(new ReferenceBackend(), c.precision(), loader.weights(), script, theirs, stripped,
                        org.dsv32.spec.tolerance.Tolerances.LOGITS_PARITY_CALC_DIFF, Progress.NONE);
                double worst = without.steps().stream().mapToDouble(s -> s.replayedCalcDiff()).max().orElseThrow();
                assertTrue(worst > org.dsv32.spec.tolerance.Tolerances.LOGITS_PARITY_CALC_DIFF, "without the roundings replay leaves " + worst);
            }
        } finally {
            GoldenSource.deleteTree(ckpt);
        }
    }

    @Test
    void theMutantsDocumentedAsInvisibleEndToEndReallyPassDeepSeeksOutputs() {
        // the claim of OfficialJudge.INVISIBLE_END_TO_END, checked: once one of them is killed here, drop it from the list
        for (String id : org.dsv32.conformance.mutants.OfficialJudge.INVISIBLE_END_TO_END.keySet()) {
            Backend mutant = MutantCatalogue.byId(id).backend().get();
            for (CheckResult c : new OfficialSuite(dir).run(mutant, mutant, new CheckOptions(1, true), Progress.NONE)) {
                assertEquals(Status.PASS, c.status(), id + " " + c.operation() + ": " + c.note());
            }
        }
    }

    /** The reference with one group of bf16 stores dropped: that operation computes as in fp8 mode (wide). */
    static final class WithoutBf16Stores extends ReferenceBackend {
        private final String name;

        WithoutBf16Stores(String name, Class<? extends org.dsv32.spec.ops.Operation> which) {
            this.name = name;
            if (which == org.dsv32.spec.ops.RmsNormOp.class) {
                register(org.dsv32.spec.ops.RmsNormOp.class, (ctx, self) -> new org.dsv32.reference.ReferenceRmsNorm(ctx.fp32Island(), self));
            } else {
                register(org.dsv32.spec.ops.MlpOp.class, (ctx, self) -> new org.dsv32.reference.ReferenceMlp(ctx.fp32Island(), self));
            }
        }

        @Override public String name() { return name; }
    }

    @Test
    void theBf16CaseSeesAMissingBf16Store() {
        for (Backend mutant : List.of(new WithoutBf16Stores("no-bf16-norm-store", org.dsv32.spec.ops.RmsNormOp.class),
                new WithoutBf16Stores("no-bf16-mlp-store", org.dsv32.spec.ops.MlpOp.class))) {
            List<CheckResult> r = new OfficialSuite(dir).run(mutant, new ReferenceBackend(), new CheckOptions(1, true), Progress.NONE);
            for (CheckResult c : r) {
                // with their decisions replayed the bf16 case is reproduced to ~1e-14; a dropped store moves it far past 1e-6
                assertEquals(c.mode().equals("bf16") ? Status.FAIL : Status.PASS, c.status(), mutant.name() + " " + c.operation() + ": " + c.note());
            }
        }
    }

    @Test
    void anInterleavedIndexerRopeIsAViolationAtTheFirstLayer() {
        Backend mutant = MutantCatalogue.byId("indexer-rope-interleaved").backend().get();
        List<CheckResult> r = new OfficialSuite(dir).run(mutant, mutant, new CheckOptions(1, true), Progress.NONE);
        CheckResult exact = r.stream().filter(c -> c.operation().equals("official[ue8m0-exact]")).findFirst().orElseThrow();
        assertEquals(Status.FAIL, exact.status());
        String first = exact.cases().getFirst().failures().getFirst();
        assertTrue(first.matches("seq0\\.step0: decision violation: violation: seq0\\.step0\\.layer0\\.indexer query \\d+.*"), first);
    }
}
