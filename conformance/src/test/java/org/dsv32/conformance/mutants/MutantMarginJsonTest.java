package org.dsv32.conformance.mutants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The margin fields of a mutants --json entry ({@link MutantMerge#putMargin}) and their way through {@code --merge}:
 * a number, "Infinity" for an exact contract broken, null with a reason for a mutant not killed or not reachable.
 */
class MutantMarginJsonTest {
    private static final ObjectMapper OM = new ObjectMapper();

    private static MutantMerge.Input shard(int index, List<String> selected, List<MutantResult> results) {
        ObjectNode root = OM.createObjectNode();
        root.put("seed", 1);
        root.put("judge", "reference");
        root.put("quick", true);
        root.put("dims", "real");
        root.put("version", "test");
        root.putObject("shard").put("index", index).put("count", 2);
        selected.forEach(root.putArray("selected")::add);
        var nr = root.putArray("not_reachable");
        var arr = root.putArray("mutants");
        for (MutantResult r : results) {
            arr.add(MutantMerge.entry(r)); // the entry the command writes
            if (!r.reachable()) nr.add(r.mutant().id());
        }
        root.put("seconds", 1.0);
        return new MutantMerge.Input(Path.of("shard" + index + ".json"), root);
    }

    private static MutantResult killed(String id, double margin) {
        return new MutantResult(MutantCatalogue.byId(id), true, "act_quant exact/tight", "case", "calc_diff 1 > 0.1", List.of("act_quant"), 0, margin, null);
    }

    @Test
    void marginsSurviveTheMergeAndNotReachableIsNeitherKilledNorSurvived() {
        List<String> sel = List.of("ue8m0-not-rounded", "rms-norm-eps", "model-position-not-advanced");
        MutantResult a = killed("ue8m0-not-rounded", 12.5), b = killed("rms-norm-eps", Double.POSITIVE_INFINITY);
        MutantResult c = MutantResult.notReachable(MutantCatalogue.byId("model-position-not-advanced"), "the model is 61 layers", List.of("model"), 0);
        ObjectNode merged = MutantMerge.merge(List.of(shard(2, sel, List.of(b)), shard(1, sel, List.of(a, c))));
        assertEquals(2, merged.get("killed").asInt());
        assertEquals(0, merged.get("survived").asInt(), "a not-reachable mutant is no survivor");
        assertEquals(List.of("model-position-not-advanced"), OM.convertValue(merged.get("not_reachable"), List.class));
        JsonNode m = merged.get("mutants");
        assertEquals(sel, List.of(m.get(0).get("id").asText(), m.get(1).get("id").asText(), m.get(2).get("id").asText()));
        assertEquals(12.5, m.get(0).get("margin").asDouble());
        assertTrue(m.get(0).get("killed").asBoolean());
        assertEquals("Infinity", m.get(1).get("margin").asText());
        assertTrue(m.get(2).get("margin").isNull());
        assertFalse(m.get(2).get("killed").asBoolean());
        assertEquals("the model is 61 layers", m.get(2).get("reason").asText());
        // and back to results, as the merge command reads them
        assertEquals(12.5, MutantMerge.result(m.get(0)).margin());
        assertEquals(Double.POSITIVE_INFINITY, MutantMerge.result(m.get(1)).margin());
        MutantResult back = MutantMerge.result(m.get(2));
        assertFalse(back.reachable());
        assertFalse(back.survived());
        assertEquals("the model is 61 layers", back.notReachable());
    }

    @Test
    void aSurvivorHasANullMarginWithAReason() {
        MutantResult s = new MutantResult(MutantCatalogue.byId("rms-norm-eps"), false, "", "", "", List.of("rms_norm"), 0);
        ObjectNode n = MutantMerge.entry(s);
        assertTrue(n.get("margin").isNull());
        assertTrue(n.get("reason").asText().startsWith("survived"), n.toString());
        assertEquals("survived", n.get("status").asText());
    }

    @Test
    void aKillBelowTheTargetIsNamed() {
        assertTrue(killed("ue8m0-not-rounded", 9.9).belowTarget());
        assertFalse(killed("ue8m0-not-rounded", 10).belowTarget());
        assertFalse(killed("ue8m0-not-rounded", Double.POSITIVE_INFINITY).belowTarget());
        assertTrue(killed("ue8m0-not-rounded", 2.79).line().contains("margin 2.79x"), killed("ue8m0-not-rounded", 2.79).line());
    }
}
