package org.dsv32.spec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The routing-shape rules, stated as the predicate the reader must implement, over random small shapes. */
class ModelConfigReaderProperties {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Accepted exactly when E is divisible by G, the kept groups fit (K <= G) and the top-k fits in the kept experts
     * (k <= K * E / G); refused otherwise, naming one of the four keys.
     */
    @Property(tries = 200, seed = "31")
    void groupLimitedRoutingShapes(@ForAll @IntRange(min = 1, max = 12) int groups,
                                   @ForAll @IntRange(min = 1, max = 40) int experts,
                                   @ForAll @IntRange(min = 1, max = 12) int kept,
                                   @ForAll @IntRange(min = 1, max = 40) int topk) throws Exception {
        ObjectNode n = (ObjectNode) JSON.readTree(Files.readString(ModelConfigReaderTest.realConfig()));
        n.put("n_group", groups).put("n_routed_experts", experts).put("topk_group", kept).put("num_experts_per_tok", topk);
        boolean valid = experts % groups == 0 && kept <= groups && topk <= kept * (experts / groups);
        if (valid) {
            ModelConfig c = ModelConfigReader.parse(n.toString(), "p.json");
            assertEquals(experts / groups, c.expertsPerGroup());
        } else {
            ConfigException e = assertThrows(ConfigException.class, () -> ModelConfigReader.parse(n.toString(), "p.json"));
            assertEquals(true, java.util.Set.of("n_routed_experts", "topk_group", "num_experts_per_tok").contains(e.key()), e.getMessage());
        }
    }

    /** index_head_dim is accepted exactly when it is a power of two no smaller than qk_rope_head_dim. */
    @Property(tries = 100, seed = "32")
    void indexerHeadDim(@ForAll @IntRange(min = 1, max = 300) int dim, @ForAll @IntRange(min = 1, max = 64) int halfRope)
            throws Exception {
        ObjectNode n = (ObjectNode) JSON.readTree(Files.readString(ModelConfigReaderTest.realConfig()));
        n.put("index_head_dim", dim).put("qk_rope_head_dim", 2 * halfRope);
        boolean valid = Integer.bitCount(dim) == 1 && dim >= 2 * halfRope;
        if (valid) {
            assertEquals(dim, ModelConfigReader.parse(n.toString(), "p.json").indexHeadDim());
        } else {
            ConfigException e = assertThrows(ConfigException.class, () -> ModelConfigReader.parse(n.toString(), "p.json"));
            assertEquals("index_head_dim", e.key(), e.getMessage());
        }
    }
}
