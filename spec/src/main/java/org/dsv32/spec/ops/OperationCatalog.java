package org.dsv32.spec.ops;

import java.util.ArrayList;
import java.util.List;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.OpContext;
import org.dsv32.spec.backend.PrecisionMode;
import org.dsv32.spec.config.ModelConfig;

/** Every operation contract, in the order reports list them. */
public final class OperationCatalog {
    private OperationCatalog() {}

    public static final List<Class<? extends Operation>> ALL = List.of(
            ActQuantOp.class, LinearOp.class, Fp8BackwardOp.class, RmsNormOp.class, LayerNormOp.class, RopeOp.class, HadamardOp.class,
            IndexerOp.class, MlaAttentionOp.class, MoeGateOp.class, MoeOp.class, ExpertBiasUpdateOp.class, BalanceLossOp.class, IndexerLossOp.class, MlpOp.class,
            BlockOp.class, ModelOp.class, MtpOp.class,
            MtpLossOp.class, SpeculativeDecodingOp.class);

    /** Short report name of an operation: "act_quant", "linear", ... */
    public static String label(Class<? extends Operation> op) {
        String s = op.getSimpleName().replaceAll("Op$", "");
        return s.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** "14/14 operations" or "3/14 operations (missing: ...)" plus delegations, for the fp8 mode of the 671B config. */
    public static String describeCoverage(Backend b) {
        if (!b.availability().available()) return "operations not probed";
        OpContext ctx = new OpContext(ModelConfig.deepseekV32(), PrecisionMode.FP8);
        List<String> missing = new ArrayList<>(), delegated = new ArrayList<>();
        for (Class<? extends Operation> op : ALL) {
            boolean has;
            try {
                has = b.operation(op, ctx).isPresent();
            } catch (RuntimeException e) {
                has = false;
            }
            if (!has) missing.add(label(op));
            else b.delegateOf(op).ifPresent(d -> delegated.add(label(op) + "->" + d));
        }
        StringBuilder sb = new StringBuilder().append(ALL.size() - missing.size()).append('/').append(ALL.size()).append(" operations");
        if (!missing.isEmpty()) sb.append(" (not implemented: ").append(String.join(", ", missing)).append(')');
        if (!delegated.isEmpty()) sb.append(" (delegated: ").append(String.join(", ", delegated)).append(')');
        return sb.toString();
    }
}
