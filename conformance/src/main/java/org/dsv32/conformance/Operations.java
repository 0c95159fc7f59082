package org.dsv32.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dsv32.conformance.checks.ActQuantCheck;
import org.dsv32.conformance.checks.BalanceLossCheck;
import org.dsv32.conformance.checks.BlockCheck;
import org.dsv32.conformance.checks.ExpertBiasUpdateCheck;
import org.dsv32.conformance.checks.Fp8BackwardCheck;
import org.dsv32.conformance.checks.HadamardCheck;
import org.dsv32.conformance.checks.IndexerLossCheck;
import org.dsv32.conformance.checks.IndexerCheck;
import org.dsv32.conformance.checks.LayerNormCheck;
import org.dsv32.conformance.checks.LinearCheck;
import org.dsv32.conformance.checks.MlaAttentionCheck;
import org.dsv32.conformance.checks.MlpCheck;
import org.dsv32.conformance.checks.ModelCheck;
import org.dsv32.conformance.checks.MoeCheck;
import org.dsv32.conformance.checks.MoeGateCheck;
import org.dsv32.conformance.checks.MtpCheck;
import org.dsv32.conformance.checks.MtpLossCheck;
import org.dsv32.conformance.checks.SpeculativeDecodingCheck;
import org.dsv32.conformance.checks.RmsNormCheck;
import org.dsv32.conformance.checks.RopeCheck;
import org.dsv32.conformance.golden.ops.ActQuantGolden;
import org.dsv32.conformance.golden.ops.BalanceLossGolden;
import org.dsv32.conformance.golden.ops.BlockGolden;
import org.dsv32.conformance.golden.ops.ExpertBiasUpdateGolden;
import org.dsv32.conformance.golden.ops.Fp8BackwardGolden;
import org.dsv32.conformance.golden.ops.HadamardGolden;
import org.dsv32.conformance.golden.ops.IndexerLossGolden;
import org.dsv32.conformance.golden.ops.IndexerGolden;
import org.dsv32.conformance.golden.ops.LayerNormGolden;
import org.dsv32.conformance.golden.ops.LinearGolden;
import org.dsv32.conformance.golden.ops.MlaGolden;
import org.dsv32.conformance.golden.ops.MlpGolden;
import org.dsv32.conformance.golden.ops.ModelGolden;
import org.dsv32.conformance.golden.ops.MoeGateGolden;
import org.dsv32.conformance.golden.ops.MoeGolden;
import org.dsv32.conformance.golden.ops.MtpGolden;
import org.dsv32.conformance.golden.ops.MtpLossGolden;
import org.dsv32.conformance.golden.ops.SpeculativeDecodingGolden;
import org.dsv32.conformance.golden.ops.RmsNormGolden;
import org.dsv32.conformance.golden.ops.RopeGolden;
import org.dsv32.spec.ops.ActQuantOp;
import org.dsv32.spec.ops.BalanceLossOp;
import org.dsv32.spec.ops.BlockOp;
import org.dsv32.spec.ops.ExpertBiasUpdateOp;
import org.dsv32.spec.ops.Fp8BackwardOp;
import org.dsv32.spec.ops.HadamardOp;
import org.dsv32.spec.ops.IndexerLossOp;
import org.dsv32.spec.ops.IndexerOp;
import org.dsv32.spec.ops.LayerNormOp;
import org.dsv32.spec.ops.LinearOp;
import org.dsv32.spec.ops.MlaAttentionOp;
import org.dsv32.spec.ops.MlpOp;
import org.dsv32.spec.ops.ModelOp;
import org.dsv32.spec.ops.MoeGateOp;
import org.dsv32.spec.ops.MoeOp;
import org.dsv32.spec.ops.MtpLossOp;
import org.dsv32.spec.ops.SpeculativeDecodingOp;
import org.dsv32.spec.ops.MtpOp;
import org.dsv32.spec.ops.Operation;
import org.dsv32.spec.ops.OperationCatalog;
import org.dsv32.spec.ops.RmsNormOp;
import org.dsv32.spec.ops.RopeOp;

/**
 * The harness's one declaration per operation: to add an operation to conformance, golden cases, properties and
 * reports, add its line here (CONTRIBUTING.md lists every file a new operation touches). The entries must be exactly
 * {@link OperationCatalog#ALL}, in its order; a missing, extra or misplaced entry fails at class initialisation,
 * naming the operation, so it cannot be forgotten.
 */
public final class Operations {
    private Operations() {}

    /** Every operation, in {@link OperationCatalog#ALL}'s order (the order reports list them). */
    public static final List<OperationDescriptor<?>> ALL = inCatalogueOrder(List.of(
            OperationDescriptor.of(ActQuantOp.class, new ActQuantCheck(), new ActQuantGolden()),
            OperationDescriptor.of(LinearOp.class, new LinearCheck(), new LinearGolden()),
            OperationDescriptor.of(Fp8BackwardOp.class, new Fp8BackwardCheck(), new Fp8BackwardGolden()),
            OperationDescriptor.of(RmsNormOp.class, new RmsNormCheck(), new RmsNormGolden()),
            OperationDescriptor.of(LayerNormOp.class, new LayerNormCheck(), new LayerNormGolden()),
            OperationDescriptor.of(RopeOp.class, new RopeCheck(), new RopeGolden()),
            OperationDescriptor.of(HadamardOp.class, new HadamardCheck(), new HadamardGolden()),
            OperationDescriptor.of(IndexerOp.class, new IndexerCheck(), new IndexerGolden()),
            OperationDescriptor.of(MlaAttentionOp.class, new MlaAttentionCheck(), new MlaGolden()),
            OperationDescriptor.of(MoeGateOp.class, new MoeGateCheck(), new MoeGateGolden()),
            OperationDescriptor.of(MoeOp.class, new MoeCheck(), new MoeGolden()),
            OperationDescriptor.of(ExpertBiasUpdateOp.class, new ExpertBiasUpdateCheck(), new ExpertBiasUpdateGolden()),
            OperationDescriptor.of(BalanceLossOp.class, new BalanceLossCheck(), new BalanceLossGolden()),
            OperationDescriptor.of(IndexerLossOp.class, new IndexerLossCheck(), new IndexerLossGolden()),
            OperationDescriptor.of(MlpOp.class, new MlpCheck(), new MlpGolden()),
            OperationDescriptor.of(BlockOp.class, new BlockCheck(), new BlockGolden()),
            OperationDescriptor.of(ModelOp.class, new ModelCheck(), new ModelGolden()),
            OperationDescriptor.of(MtpOp.class, new MtpCheck(), new MtpGolden()),
            OperationDescriptor.of(MtpLossOp.class, new MtpLossCheck(), new MtpLossGolden()),
            OperationDescriptor.of(SpeculativeDecodingOp.class, new SpeculativeDecodingCheck(), new SpeculativeDecodingGolden())));

    /** The descriptor of a contract. */
    public static Optional<OperationDescriptor<?>> of(Class<? extends Operation> contract) {
        return ALL.stream().filter(d -> d.contract() == contract).findFirst();
    }

    /** The descriptor of a report label ("rms_norm"). */
    public static Optional<OperationDescriptor<?>> byLabel(String label) {
        return ALL.stream().filter(d -> d.label().equals(label)).findFirst();
    }

    /** The labels of every operation, in order. */
    public static List<String> labels() { return ALL.stream().map(OperationDescriptor::label).toList(); }

    /** {@code declared} in the catalogue's order; refuses a catalogued operation without a descriptor and vice versa. */
    static List<OperationDescriptor<?>> inCatalogueOrder(List<OperationDescriptor<?>> declared) {
        List<OperationDescriptor<?>> out = new ArrayList<>();
        for (Class<? extends Operation> op : OperationCatalog.ALL) {
            List<OperationDescriptor<?>> d = declared.stream().filter(x -> x.contract() == op).toList();
            if (d.size() != 1) {
                throw new IllegalStateException(op.getSimpleName() + " is in OperationCatalog.ALL but has " + d.size()
                        + " descriptors in Operations.ALL (need exactly one: its check and golden cases)");
            }
            out.add(d.getFirst());
        }
        for (OperationDescriptor<?> d : declared) {
            if (!OperationCatalog.ALL.contains(d.contract())) {
                throw new IllegalStateException(d.contract().getSimpleName() + " has a descriptor in Operations.ALL but is not in OperationCatalog.ALL");
            }
        }
        return List.copyOf(out);
    }
}
