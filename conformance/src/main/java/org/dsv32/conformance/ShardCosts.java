package org.dsv32.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What each unit of work of a conformance run costs, in seconds of an earlier run: what {@link ShardPlan} balances
 * shards by. Keyed by suite, backend and unit ({@link CheckSuite#unitKeys}); a unit the table lacks costs the median
 * of the known ones (1 s in an empty table, which makes every unit equal).
 *
 * <p>Written as a tab-separated table ({@code suite backend unit seconds}, one unit a line, sorted), which is what
 * the committed tables under {@value #RESOURCE_DIR} are; read from such a table or from any {@code report.json} of a
 * whole run (its checks' seconds summed per unit). Immutable.
 *
 * @param source  where the costs came from, for messages
 * @param seconds cost per {@link #key}
 */
public record ShardCosts(String source, Map<String, Double> seconds) {
    /** Where the committed tables live on the class path: {@code shard-costs-<dims>-<quick|full>.tsv}. */
    public static final String RESOURCE_DIR = "/org/dsv32/conformance/";

    private static final String HEADER = "# suite\tbackend\tunit\tseconds";

    public ShardCosts {
        seconds = java.util.Collections.unmodifiableMap(new TreeMap<>(seconds));
        for (Map.Entry<String, Double> e : seconds.entrySet()) {
            if (!(e.getValue() >= 0) || Double.isInfinite(e.getValue())) {
                throw new IllegalArgumentException(source + ": cost of " + e.getKey() + " is " + e.getValue() + " (need a finite number >= 0)");
            }
        }
    }

    /** Every unit costs the same: a plan then deals units round-robin. */
    public static ShardCosts uniform() { return new ShardCosts("uniform", Map.of()); }

    public static String key(String suite, String backend, String unit) { return suite + "\t" + backend + "\t" + unit; }

    /** The cost of a unit: its own, else the median of the known ones, else 1. */
    public double cost(String suite, String backend, String unit) {
        Double s = seconds.get(key(suite, backend, unit));
        return s != null ? s : fallback();
    }

    private double fallback() {
        if (seconds.isEmpty()) return 1;
        double[] v = seconds.values().stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v[v.length / 2];
    }

    /**
     * The identity of the table (its content's SHA-256, first 12 hex digits; "uniform" when empty): shards can merge
     * only when they were dealt by the same table.
     */
    public String digest() {
        if (seconds.isEmpty()) return "uniform";
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(tsv().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The table as TSV, one unit a line in key order, seconds with 3 decimals. */
    public String tsv() {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        seconds.forEach((k, v) -> b.append(k).append('\t').append(String.format(Locale.ROOT, "%.3f", v)).append('\n'));
        return b.toString();
    }

    /** Reads a TSV table or a report.json (recognised by its first non-blank character). */
    public static ShardCosts read(Path file, List<CheckSuite> suites) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return text.stripLeading().startsWith("{") ? fromReport(new ObjectMapper().readTree(text), suites, file.toString())
                : parseTsv(text, file.toString());
    }

    /** The committed table for a run's dims and size, or {@link #uniform()} when none is committed. */
    public static ShardCosts builtIn(CheckOptions o) {
        String name = builtInName(o);
        try (InputStream in = ShardCosts.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) return uniform();
            return parseTsv(new String(in.readAllBytes(), StandardCharsets.UTF_8), "class path " + RESOURCE_DIR + name);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code shard-costs-<dims>-<quick|full>.tsv}. */
    public static String builtInName(CheckOptions o) { return "shard-costs-" + o.dims().label() + "-" + (o.quick() ? "quick" : "full") + ".tsv"; }

    static ShardCosts parseTsv(String text, String source) {
        Map<String, Double> m = new TreeMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] f = lines[i].split("\t", -1);
            if (f.length != 4) throw new IllegalArgumentException(source + ":" + (i + 1) + ": expected suite<TAB>backend<TAB>unit<TAB>seconds, got '" + line + "'");
            double s;
            try {
                s = Double.parseDouble(f[3].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": seconds '" + f[3] + "' is not a number");
            }
            if (m.put(key(f[0], f[1], f[2]), s) != null) throw new IllegalArgumentException(source + ":" + (i + 1) + ": unit listed twice: " + line);
        }
        return new ShardCosts(source, m);
    }

    /**
     * Costs from a report.json: every result's seconds added to its unit ({@link CheckSuite#unitKeyOf}). Results of
     * suites not in {@code suites} are ignored; a sharded report gives only its shard's units, which is fine (the
     * others cost the median).
     */
    public static ShardCosts fromReport(JsonNode report, List<CheckSuite> suites, String source) {
        if (!report.path("results").isArray()) throw new IllegalArgumentException(source + ": not a conform report.json (no results array)");
        List<CheckResult> results = new ArrayList<>();
        for (JsonNode r : report.get("results")) {
            results.add(new CheckResult(r.path("suite").asText(), r.path("backend").asText(), r.path("operation").asText(),
                    r.path("precision").asText(), org.dsv32.spec.tolerance.Tier.TIGHT, Status.PASS, "", null, List.of(), r.path("seconds").asDouble()));
        }
        return fromResults(results, suites, source);
    }

    /** Costs from a run's results (see {@link #fromReport}). */
    public static ShardCosts fromResults(List<CheckResult> results, List<CheckSuite> suites, String source) {
        Map<String, Double> m = new TreeMap<>();
        for (CheckResult r : results) {
            for (CheckSuite s : suites) {
                if (!s.name().equals(r.suite())) continue;
                m.merge(key(r.suite(), r.backend(), s.unitKeyOf(r)), Math.max(0, r.seconds()), Double::sum);
            }
        }
        return new ShardCosts(source, m);
    }
}
