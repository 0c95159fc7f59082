package org.dsv32.conformance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.dsv32.conformance.checks.MtpCheck;
import org.dsv32.conformance.checks.RmsNormCheck;
import org.dsv32.conformance.checks.RopeCheck;
import org.dsv32.conformance.checks.UncheckedOperation;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;

/**
 * One check per operation of {@link OperationCatalog#ALL}, in the catalogue's order; an operation without a check
 * yet is reported NOT_IMPLEMENTED by {@link UncheckedOperation}. To add a check, add it to {@link #checks()}.
 */
public final class OperationSuite implements CheckSuite {
    private final List<OperationCheck> checks;

    public OperationSuite() { this(checks()); }

    public OperationSuite(List<OperationCheck> checks) { this.checks = List.copyOf(checks); }

    /** The implemented checks, plus a stand-in for every other catalogued operation. */
    public static List<OperationCheck> checks() {
        Map<Class<? extends Operation>, OperationCheck> byOp = new LinkedHashMap<>();
        for (OperationCheck c : List.of(new ActQuantCheck(), new LinearCheck(), new RmsNormCheck(), new LayerNormCheck(),
                new RopeCheck(), new HadamardCheck(), new IndexerCheck(), new MlaAttentionCheck(), new MoeGateCheck(),
                new MoeCheck(), new MlpCheck(), new BlockCheck(), new ModelCheck(), new MtpCheck())) {
            byOp.put(c.operation(), c);
        }
        List<OperationCheck> out = new ArrayList<>();
        for (Class<? extends Operation> op : OperationCatalog.ALL) out.add(byOp.getOrDefault(op, new UncheckedOperation(op)));
        return out;
    }

    @Override
    public String name() { return AbstractOperationCheck.SUITE; }

    @Override
    public List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress) {
        List<CheckResult> out = new ArrayList<>();
        for (OperationCheck c : checks) out.addAll(c.run(candidate, reference, options, progress));
        return out;
    }
}
