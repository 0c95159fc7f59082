package org.dsv32.conformance.golden;

import java.util.List;
import java.util.Optional;
import org.dsv32.spec.ops.OperationCatalog;

/** The golden operations, one per entry of {@link OperationCatalog#ALL}, in its order. */
public final class GoldenOps {
    private GoldenOps() {}

    public static final List<GoldenOp<?, ?>> ALL = List.of(new ActQuantGolden(), new LinearGolden(), new RmsNormGolden(),
            new LayerNormGolden(), new RopeGolden(), new HadamardGolden(), new IndexerGolden(), new MlaGolden(), new MoeGateGolden(),
            new MoeGolden(), new MlpGolden(), new BlockGolden(), new ModelGolden(), new MtpGolden());

    /** The golden operation of an OperationCatalog label. */
    public static Optional<GoldenOp<?, ?>> byLabel(String label) {
        return ALL.stream().filter(o -> o.label().equals(label)).findFirst();
    }
}
