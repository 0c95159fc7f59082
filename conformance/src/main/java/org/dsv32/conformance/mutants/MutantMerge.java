package org.dsv32.conformance.mutants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Merges the {@code --json} files of the shards of one {@code ./dsv32 mutants} run ({@code mutants --merge FILE...})
 * into the file of the whole run, mutants in the selection's order. Refused, naming the file: a file that is not a
 * mutants report of a sharded-capable version (no {@code selected} list), shards of different runs (seed, judge,
 * version, selection, number of shards), a repeated or missing shard, a mutant in two files, or a selected mutant
 * in none.
 */
public final class MutantMerge {
    private MutantMerge() {}

    /** One shard's JSON as read from {@code file}. */
    public record Input(Path file, JsonNode root) {}

    public static ObjectNode merge(List<Input> inputs) {
        if (inputs.isEmpty()) throw new IllegalArgumentException("--merge: no mutants reports given");
        for (Input in : inputs) {
            if (!in.root().path("mutants").isArray() || !in.root().path("selected").isArray() || !in.root().path("shard").isObject()) {
                throw new IllegalArgumentException(in.file() + ": not a mutants --json report with shard and selection (written by an older version?)");
            }
        }
        Input first = inputs.getFirst();
        for (Input in : inputs.subList(1, inputs.size())) {
            for (String key : List.of("seed", "judge", "quick", "dims", "version", "selected")) same(in, first, key, first.root().path(key), in.root().path(key));
            same(in, first, "number of shards", first.root().path("shard").path("count"), in.root().path("shard").path("count"));
        }
        int n = first.root().path("shard").path("count").asInt();
        Map<Integer, Input> byIndex = new HashMap<>();
        for (Input in : inputs) {
            Input other = byIndex.putIfAbsent(in.root().path("shard").path("index").asInt(), in);
            if (other != null) {
                throw new IllegalArgumentException(in.file() + " and " + other.file() + " are both shard "
                        + in.root().path("shard").path("index").asInt() + "/" + n + ": overlapping shards");
            }
        }
        TreeSet<Integer> missing = new TreeSet<>();
        for (int i = 1; i <= n; i++) if (!byIndex.containsKey(i)) missing.add(i);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("shard(s) " + String.join(", ", missing.stream().map(i -> i + "/" + n).toList())
                    + " missing: " + inputs.size() + " of " + n + " report(s) given");
        }
        Map<String, JsonNode> byId = new HashMap<>();
        Map<String, Input> owner = new HashMap<>();
        Set<String> notReachable = new LinkedHashSet<>();
        double seconds = 0;
        for (Input in : inputs) {
            Set<String> ids = new LinkedHashSet<>(); // a not-reachable mutant is in both lists of its file
            for (JsonNode m : in.root().path("mutants")) { ids.add(m.path("id").asText()); byId.put(m.path("id").asText(), m); }
            for (JsonNode m : in.root().path("not_reachable")) ids.add(m.asText());
            for (JsonNode m : in.root().path("not_reachable")) notReachable.add(m.asText());
            for (String id : ids) {
                Input other = owner.putIfAbsent(id, in);
                if (other != null) throw new IllegalArgumentException(in.file() + ": mutant " + id + " is also in " + other.file() + ": overlapping shards");
            }
            seconds += in.root().path("seconds").asDouble();
        }
        List<String> absent = new ArrayList<>();
        for (JsonNode s : first.root().path("selected")) if (!owner.containsKey(s.asText())) absent.add(s.asText());
        if (!absent.isEmpty()) throw new IllegalArgumentException("selected mutant(s) " + absent + " in none of the reports");
        ObjectNode root = new ObjectMapper().createObjectNode();
        for (String key : List.of("seed", "judge", "quick", "dims", "version")) root.set(key, first.root().path(key));
        ObjectNode sh = root.putObject("shard");
        sh.put("index", 1);
        sh.put("count", 1);
        root.set("selected", first.root().path("selected"));
        root.put("seconds", seconds);
        ArrayNode arr = new ObjectMapper().createArrayNode();
        long killed = 0, survived = 0;
        for (JsonNode s : first.root().path("selected")) {
            JsonNode m = byId.get(s.asText());
            if (m == null) continue;
            arr.add(m);
            if ("killed".equals(m.path("status").asText())) killed++;
            if ("survived".equals(m.path("status").asText())) survived++;
        }
        root.put("killed", killed);
        root.put("survived", survived);
        ArrayNode nr = root.putArray("not_reachable");
        for (JsonNode s : first.root().path("selected")) if (notReachable.contains(s.asText())) nr.add(s.asText());
        root.set("mutants", arr);
        ArrayNode from = root.putArray("merged_from");
        for (Input in : inputs) {
            ObjectNode o = from.addObject();
            o.put("file", in.file().toString());
            o.set("shard", in.root().path("shard"));
            o.put("seconds", in.root().path("seconds").asDouble());
        }
        return root;
    }

    /** A mutant's result as written in the JSON, for the JUnit XML of a merge. */
    public static MutantResult result(JsonNode m) {
        Mutant mutant = MutantCatalogue.byId(m.path("id").asText());
        boolean killed = "killed".equals(m.path("status").asText());
        JsonNode k = m.path("killed_by");
        List<String> ran = new ArrayList<>();
        for (JsonNode c : m.path("checks_run")) ran.add(c.asText());
        if ("not_reachable".equals(m.path("status").asText())) {
            return MutantResult.notReachable(mutant, m.path("reason").asText("not reachable"), ran, m.path("seconds").asDouble());
        }
        return new MutantResult(mutant, killed, killed ? k.path("check").asText() : "", killed ? k.path("case").asText() : "",
                killed ? k.path("reason").asText() : "", ran, m.path("seconds").asDouble(), margin(m.path("margin")), null);
    }

    /**
     * One mutant's entry of a {@code mutants --json} file: its catalogue facts, status, margin (see {@link #putMargin}),
     * killer, the checks run and the time. What {@link #result} reads back.
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode entry(MutantResult r) {
        Mutant m = r.mutant();
        com.fasterxml.jackson.databind.node.ObjectNode n = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        n.put("id", m.id());
        if (m.factSheet() != null) n.put("fact_sheet", m.factSheet());
        else n.putNull("fact_sheet");
        n.put("detail", m.detail());
        n.put("operation", m.operationLabel());
        n.put("injected_at", m.injectedAt());
        n.put("expected_killer", m.expectedKillerLabel());
        n.put("status", r.status());
        n.put("killed", r.killed());
        putMargin(n, r);
        if (r.killed()) {
            com.fasterxml.jackson.databind.node.ObjectNode k = n.putObject("killed_by");
            k.put("check", r.killer());
            k.put("case", r.caseName());
            k.put("reason", r.reason());
        }
        com.fasterxml.jackson.databind.node.ArrayNode ran = n.putArray("checks_run");
        r.checksRun().forEach(ran::add);
        n.put("seconds", r.seconds());
        return n;
    }

    /**
     * Writes {@code margin} of one mutant's JSON entry: a number, the string "Infinity" for an exact contract broken,
     * or null with a {@code reason} (not killed, or not reachable at these shapes, or no margin measured).
     */
    public static void putMargin(ObjectNode n, MutantResult r) {
        double m = r.margin();
        if (r.killed() && Double.isFinite(m)) {
            n.put("margin", m);
        } else if (r.killed() && m == Double.POSITIVE_INFINITY) {
            n.put("margin", "Infinity");
        } else {
            n.putNull("margin");
            n.put("reason", !r.reachable() ? r.notReachable() : !r.killed() ? "survived: no check failed" : "the killing check measured no margin");
        }
    }

    /** Reads a margin written by {@link #putMargin}: a number, "Infinity", or null / absent (NaN). */
    static double margin(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return Double.NaN;
        if (n.isNumber()) return n.asDouble();
        return Double.parseDouble(n.asText());
    }

    private static void same(Input in, Input first, String what, JsonNode mine, JsonNode theirs) {
        if (!Objects.equals(mine, theirs)) {
            throw new IllegalArgumentException(in.file() + ": " + what + " " + theirs + " but " + first.file() + " has " + mine
                    + ": shards of different runs cannot be merged");
        }
    }
}
