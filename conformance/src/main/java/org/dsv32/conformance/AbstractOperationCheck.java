package org.dsv32.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.config.ModelConfig;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.tolerance.Accumulator;
import org.dsv32.spec.tolerance.Tolerance;

/**
 * The skeleton every operation check shares: for each (mode, tier) comparison, for each generated case, bind the
 * candidate's and the reference's operation to the case's configuration and the two modes, run the case, and
 * fold the case results into a {@link CheckResult}. A candidate without the operation gives NOT_IMPLEMENTED,
 * never a pass; an exception in the candidate fails the case with its message.
 *
 * @param <T> the operation contract
 * @param <C> the case description
 */
public abstract class AbstractOperationCheck<T extends Operation, C extends AbstractOperationCheck.Case> implements OperationCheck {
    /** What one case needs: a name and the configuration the operations are bound to. */
    public interface Case {
        String name();

        ModelConfig config();
    }

    public static final String SUITE = "operations";

    private final Class<T> type;

    protected AbstractOperationCheck(Class<T> type) { this.type = type; }

    @Override
    public final Class<T> operation() { return type; }

    /** The comparisons this operation has (default: exact/tight, fp8/tight, fp8/loose). */
    protected List<ModeTier> comparisons() { return List.of(ModeTier.EXACT_TIGHT, ModeTier.FP8_TIGHT, ModeTier.FP8_LOOSE); }

    /** The cases at the harness's small shapes, generated from the options' seed. */
    protected abstract List<C> cases(CheckOptions options);

    /**
     * The cases at the published model's shapes ({@code --dims real}), generated from the options' seed, or null
     * when this check has none yet: the run then reports the operation as NOT IMPLEMENTED at real dims, never as
     * a pass.
     */
    protected List<C> realCases(CheckOptions options) { return null; }

    /** Why {@link #realCases} is null: the note of the NOT IMPLEMENTED results at {@code --dims real}. */
    /**
     * Why comparison {@code mt} cannot be judged at --dims real (it is then reported NOT IMPLEMENTED with the reason,
     * never run and never passed), or null when it can. Default: every comparison can.
     */
    protected String notJudgedAtRealDims(ModeTier mt) { return null; }

    protected String noRealCasesReason() { return "the " + OperationCatalog.label(type) + " check has no cases at --dims real yet"; }

    /**
     * Runs one case: {@code candidate} and {@code candidateAgain} are two instances of the candidate's operation
     * (for the determinism check), {@code reference} the reference's in {@link ModeTier#referenceMode()}.
     * Returns null when the case does not apply to this comparison (e.g. NaN inputs under LOOSE).
     */
    protected abstract CaseResult runCase(C c, T candidate, T candidateAgain, T reference, ModeTier mt);

    /**
     * Runs the check with the candidate's FP8 GEMM accumulator bound ({@link Accumulator#FP8_GEMM}), so that every
     * tolerance its cases derive uses that backend's GEMM tier (spec/TOLERANCES.md §10).
     */
    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        return ScopedValue.where(Accumulator.FP8_GEMM, candidate.fp8GemmAccumulator()).call(() -> runBound(candidate, reference, options, progress));
    }

    private List<CheckResult> runBound(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        String op = OperationCatalog.label(type);
        List<C> cases = options.realDims() ? realCases(options) : cases(options);
        List<CheckResult> out = new ArrayList<>();
        if (cases == null) {
            for (ModeTier mt : comparisons()) {
                out.add(CheckResult.notRun(SUITE, candidate.name(), op, mt.candidateMode().label(), mt.tier(),
                        Status.NOT_IMPLEMENTED, noRealCasesReason()));
            }
            return out;
        }
        for (ModeTier mt : comparisons()) {
            String notJudged = options.realDims() ? notJudgedAtRealDims(mt) : null;
            if (notJudged != null) {
                out.add(CheckResult.notRun(SUITE, candidate.name(), op, mt.candidateMode().label(), mt.tier(), Status.NOT_IMPLEMENTED, notJudged));
                continue;
            }
            long t0 = System.nanoTime();
            List<CaseResult> results = new ArrayList<>();
            CheckResult notRun = null;
            Tolerance tol = null;
            int done = 0;
            for (C c : cases) {
                Optional<T> cand = bind(candidate, c, mt.candidateMode());
                if (cand.isEmpty()) {
                    notRun = CheckResult.notRun(SUITE, candidate.name(), op, mt.candidateMode().label(), mt.tier(),
                            Status.NOT_IMPLEMENTED, "backend '" + candidate.name() + "' does not implement " + type.getSimpleName());
                    break;
                }
                Optional<T> ref = bind(reference, c, mt.referenceMode());
                if (ref.isEmpty()) {
                    notRun = CheckResult.notRun(SUITE, candidate.name(), op, mt.candidateMode().label(), mt.tier(),
                            Status.NOT_IMPLEMENTED, "the reference does not implement " + type.getSimpleName() + " yet: nothing to compare with");
                    break;
                }
                CaseResult r;
                try {
                    r = runCase(c, cand.get(), bind(candidate, c, mt.candidateMode()).orElseThrow(), ref.get(), mt);
                } catch (RuntimeException | StackOverflowError e) {
                    r = CaseResult.failed(c.name(), "threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
                }
                ++done;
                progress.step(String.format(java.util.Locale.ROOT, "[%s] %-18s %-11s %s case %d of %d", candidate.name(), op, mt.label(),
                        bar(done, cases.size()), done, cases.size()));
                if (r == null) continue;
                results.add(r);
                if (tol == null) tol = toleranceOf(c, mt);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            CheckResult res;
            if (notRun != null) {
                res = notRun;
            } else {
                boolean pass = results.stream().allMatch(CaseResult::passed);
                String note = candidate.delegateOf(type).map(d -> "delegated to " + d).orElse("");
                res = new CheckResult(SUITE, candidate.name(), op, mt.candidateMode().label(), mt.tier(),
                        pass ? Status.PASS : Status.FAIL, note, tol, results, secs);
            }
            progress.report(String.format(java.util.Locale.ROOT, "[%s] %-18s %-11s %3d cases %-15s (%.1f s)",
                    candidate.name(), op, mt.label(), res.cases().size(), res.status().display(), secs));
            out.add(res);
        }
        return out;
    }

    /** Width of {@link #bar} between its brackets. */
    static final int BAR_WIDTH = 10;

    /** A text progress bar, {@code [####......]} for 4 of 10 done: a long real-dims check shows how far it is. */
    public static String bar(int done, int total) {
        int filled = total <= 0 ? BAR_WIDTH : (int) ((long) Math.max(0, Math.min(done, total)) * BAR_WIDTH / total);
        return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "]";
    }

    /** Thrown by {@link #runOne} when the candidate lacks the operation. */
    public static final class NotImplemented extends RuntimeException {
        public NotImplemented(String message) { super(message); }
    }

    /**
     * Runs one case outside a suite (the jqwik property bases use this). Returns null when the case does not apply
     * to {@code mt}; throws {@link NotImplemented} when the candidate lacks the operation.
     */
    public final CaseResult runOne(C c, Backend candidate, Backend reference, ModeTier mt) {
        return ScopedValue.where(Accumulator.FP8_GEMM, candidate.fp8GemmAccumulator()).call(() -> runOneBound(c, candidate, reference, mt));
    }

    private CaseResult runOneBound(C c, Backend candidate, Backend reference, ModeTier mt) {
        Optional<T> cand = bind(candidate, c, mt.candidateMode());
        if (cand.isEmpty()) {
            throw new NotImplemented("NOT IMPLEMENTED: backend '" + candidate.name() + "' does not implement " + type.getSimpleName());
        }
        T ref = bind(reference, c, mt.referenceMode()).orElseThrow(() -> new UnsupportedOperationException(
                "the reference does not implement " + type.getSimpleName()));
        return runCase(c, cand.get(), bind(candidate, c, mt.candidateMode()).orElseThrow(), ref, mt);
    }

    /** The (mode, tier) comparisons of this check, for property tests. */
    public final List<ModeTier> modeTiers() { return comparisons(); }

    /** The tolerance applied to case {@code c} (for the report; runCase applies it). */
    protected abstract Tolerance toleranceOf(C c, ModeTier mt);

    private Optional<T> bind(Backend b, C c, org.dsv32.spec.backend.PrecisionMode mode) {
        try {
            return b.operation(type, new OpContext(c.config(), mode));
        } catch (UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
