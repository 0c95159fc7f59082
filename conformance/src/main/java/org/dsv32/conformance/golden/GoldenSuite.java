package org.dsv32.conformance.golden;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dsv32.conformance.CaseResult;
import org.dsv32.conformance.CheckOptions;
import org.dsv32.conformance.CheckResult;
import org.dsv32.conformance.CheckSuite;
import org.dsv32.conformance.Progress;
import org.dsv32.conformance.Status;
import org.dsv32.spec.tolerance.Tier;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.ops.OperationCatalog;

/**
 * The golden cases as a suite of {@code ./dsv32 conform}: the shipped set (or a given directory) verified against
 * each backend, one result per operation, precision mode and tier. A corrupted or tampered case fails its result
 * (its reason in the case's failures); a backend without the operation is NOT_IMPLEMENTED.
 */
public final class GoldenSuite implements CheckSuite {
    public static final String NAME = "golden";

    private final Path directory;

    /** The shipped set from the class path. */
    public GoldenSuite() { this(null); }

    /** The cases of {@code directory} (null: the shipped set). */
    public GoldenSuite(Path directory) { this.directory = directory; }

    @Override
    public String name() { return NAME; }

    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        Path dir = directory, extracted = null;
        try {
            if (dir == null) {
                if (!GoldenSource.shippedAvailable()) {
                    return List.of(CheckResult.notRun(NAME, candidate.name(), "*", "-", Tier.TIGHT, Status.NOT_IMPLEMENTED,
                            "no shipped golden set on the class path"));
                }
                dir = extracted = GoldenSource.extractShipped();
            }
            GoldenVerifier.Report r = GoldenVerifier.verify(dir, candidate, o -> progress.step(String.format(Locale.ROOT,
                    "[%s] golden %s %s", candidate.name(), o.name(), o.status().display())));
            List<CheckResult> out = group(candidate, r.outcomes());
            for (CheckResult c : out) {
                progress.report(String.format(Locale.ROOT, "[%s] golden %-18s %-11s %3d cases %s", candidate.name(), c.operation(),
                        c.mode() + "/" + c.tier().label(), c.cases().size(), c.status().display()));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return List.of(new CheckResult(NAME, candidate.name(), "*", "-", Tier.TIGHT, Status.FAIL, "golden cases unreadable: " + e.getMessage(),
                    null, List.of(CaseResult.failed("golden", String.valueOf(e.getMessage()))), 0));
        } finally {
            GoldenSource.deleteTree(extracted);
        }
    }

    /** One CheckResult per (operation, mode, tier), in catalogue order. */
    static List<CheckResult> group(Backend candidate, List<GoldenOutcome> outcomes) {
        Map<String, List<GoldenOutcome>> groups = new LinkedHashMap<>();
        List<String> order = new ArrayList<>(OperationCatalog.ALL.stream().map(OperationCatalog::label).toList());
        order.add("-");
        for (String op : order) {
            for (GoldenOutcome o : outcomes) if (o.operation().equals(op)) groups.computeIfAbsent(op + "|" + o.mode() + "|" + tier(o).label(), k -> new ArrayList<>()).add(o);
        }
        List<CheckResult> out = new ArrayList<>();
        for (List<GoldenOutcome> g : groups.values()) {
            GoldenOutcome first = g.getFirst();
            List<CaseResult> cases = new ArrayList<>();
            double secs = 0;
            long bad = 0, corrupt = 0, tampered = 0, notImpl = 0;
            for (GoldenOutcome o : g) {
                secs += o.seconds();
                switch (o.status()) {
                    case NOT_IMPLEMENTED -> notImpl++;
                    case CORRUPTED -> corrupt++;
                    case TAMPERED -> tampered++;
                    case FAIL -> bad++;
                    case PASS -> { }
                }
                if (o.result() != null) cases.add(rename(o.result(), o.name()));
                else if (o.status() != GoldenStatus.NOT_IMPLEMENTED) cases.add(CaseResult.failed(o.name(), o.status().display() + ": " + o.detail()));
            }
            Status s = bad + corrupt + tampered > 0 ? Status.FAIL : notImpl == g.size() ? Status.NOT_IMPLEMENTED : Status.PASS;
            String note = s == Status.NOT_IMPLEMENTED ? first.detail()
                    : corrupt + tampered > 0 ? (corrupt > 0 ? corrupt + " corrupted" : "") + (corrupt > 0 && tampered > 0 ? ", " : "")
                    + (tampered > 0 ? tampered + " tampered" : "") : candidate.delegateOf(opType(first.operation())).map(d -> "delegated to " + d).orElse("");
            out.add(new CheckResult(NAME, candidate.name(), first.operation(), first.mode(), tier(first), s, note,
                    g.stream().map(GoldenOutcome::tolerance).filter(java.util.Objects::nonNull).findFirst().orElse(null), cases, secs));
        }
        return out;
    }

    private static Tier tier(GoldenOutcome o) { return o.tier().equals("loose") ? Tier.LOOSE : Tier.TIGHT; }

    private static Class<? extends org.dsv32.spec.ops.Operation> opType(String label) {
        return GoldenOps.byLabel(label).<Class<? extends org.dsv32.spec.ops.Operation>>map(GoldenOp::type).orElse(org.dsv32.spec.ops.Operation.class);
    }

    private static CaseResult rename(CaseResult r, String name) {
        return new CaseResult(name, r.stats(), r.decisions(), r.failures(), r.ratio());
    }
}
