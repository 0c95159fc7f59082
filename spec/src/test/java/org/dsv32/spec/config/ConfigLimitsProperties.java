package org.dsv32.spec.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.file.Files;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Every size key of config.json is bounded by 16 times its 671B value, and a value above is refused by name. */
class ConfigLimitsProperties {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Provide
    Arbitrary<BigInteger> hostile() {
        // just above a limit, anywhere in int and long, and beyond long (which Jackson reads as a BigInteger)
        return Arbitraries.oneOf(
                Arbitraries.bigIntegers().between(BigInteger.ONE, BigInteger.valueOf(1000)),
                Arbitraries.bigIntegers().between(BigInteger.valueOf(1001), BigInteger.valueOf(Integer.MAX_VALUE)),
                Arbitraries.bigIntegers().between(BigInteger.valueOf(Integer.MAX_VALUE), BigInteger.valueOf(Long.MAX_VALUE)),
                Arbitraries.bigIntegers().between(BigInteger.valueOf(Long.MAX_VALUE), BigInteger.TEN.pow(40)));
    }

    /**
     * The 671B config.json with one size key set to its limit plus a hostile excess is refused with a
     * ConfigException naming that key, the value, the limit and the 671B value — never sized or allocated.
     */
    @Property(tries = 400, seed = "5")
    void everySizeKeyAboveItsLimitIsRefusedByName(@ForAll @IntRange(min = 0, max = 22) int which,
                                                  @ForAll("hostile") BigInteger excess) throws Exception {
        List<ConfigLimits.Limit> limits = ConfigLimits.limits();
        ConfigLimits.Limit limit = limits.get(which % limits.size());
        BigInteger value = BigInteger.valueOf(limit.max()).add(excess);
        ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(ModelConfigReaderTest.realConfig()));
        set(root, limit.key(), value);
        ConfigException e = assertThrows(ConfigException.class, () -> ModelConfigReader.parse(root.toString(), "hostile.json"));
        assertEquals(limit.key(), e.key(), e.getMessage());
        assertTrue(e.getMessage().startsWith("hostile.json: " + limit.key() + ": " + value + " exceeds the limit " + limit.max()
                + " (16 x the 671B value " + limit.v32Value() + ")"), e.getMessage());
    }

    /** Sets a key, dotted for nested objects and with [i] for an array element. */
    private static void set(ObjectNode root, String key, BigInteger value) {
        String[] parts = key.split("\\.");
        ObjectNode o = root;
        for (int i = 0; i < parts.length - 1; i++) o = (ObjectNode) o.get(parts[i]);
        String last = parts[parts.length - 1];
        if (last.endsWith("]")) {
            int at = last.indexOf('[');
            ((ArrayNode) o.get(last.substring(0, at))).set(Integer.parseInt(last.substring(at + 1, last.length() - 1)), value);
        } else {
            o.put(last, value);
        }
    }

    @Test
    void theLimitsCoverEverySizeKeyAndAdmitThePresets() throws Exception {
        assertEquals(23, ConfigLimits.limits().size());
        for (ConfigLimits.Limit l : ConfigLimits.limits()) assertEquals(16 * l.v32Value(), l.max(), l.key());
        assertEquals(4096, ConfigLimits.limit("n_routed_experts").max());
        assertEquals(976, ConfigLimits.limit("num_hidden_layers").max());
        ConfigLimits.check(ModelPresets.deepseekV32(), "v32");
        ConfigLimits.check(ModelPresets.tiny(), "tiny");
        ModelConfigReader.read(ModelConfigReaderTest.realConfig());
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLimits.check(ModelPresets.tiny().withIndexTopk(100_000), "code"));
        assertEquals("code: index_topk: 100000 exceeds the limit 32768 (16 x the 671B value 2048)", e.getMessage());
    }

    @Test
    void heapRefusalsNameTheKeyAndTheBytes() throws ConfigException {
        ConfigLimits.requireHeap("c.json", "vocab_size", 5, "a small thing", 1000);
        long need = ConfigLimits.heapLimit() + 1;
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLimits.requireHeap("c.json", "vocab_size", 7, "the thing", need));
        assertEquals("vocab_size", e.key());
        assertTrue(e.getMessage().startsWith(String.format(java.util.Locale.ROOT,
                "c.json: vocab_size: 7: the thing needs about %,d bytes", need)), e.getMessage());
    }
}
