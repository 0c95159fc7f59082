package org.dsv32.conformance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Which shard runs each unit of work of a conformance run, balanced by time: the units (every suite's
 * {@link CheckSuite#unitKeys} for every backend, and one row per unavailable backend) are dealt longest first, each to
 * the shard with the least total cost so far (ties: the lower shard), costs from a {@link ShardCosts} table — the
 * classic longest-processing-time rule, whose longest shard is within 4/3 of the best possible split and never more
 * than one unit above the average. Units of equal cost are taken in their canonical order (backend, suite, unit), so
 * with {@link ShardCosts#uniform()} the plan is a round-robin over the whole run.
 *
 * <p>The plan depends only on the run's units and the table, never on timing or the machine: every machine of a CI
 * matrix that has the same version and table computes the same plan. Immutable.
 */
public final class ShardPlan {
    /** One unit of work: canonical position, its place in the run, its cost. */
    record Unit(int position, int backend, int suite, int unit, double cost) {}

    private final Shard shard;
    private final Map<Long, Integer> owner = new HashMap<>();
    private final double[] loads;

    /**
     * @param unitKeys  per backend b and suite s, the unit keys of the suite ({@code unitKeys.get(b).get(s)}); an
     *                  unavailable backend is an empty list (it has one row of its own, unit -1)
     * @param backends  the backends' names
     * @param suites    the suites' names
     */
    public ShardPlan(Shard shard, ShardCosts costs, List<String> backends, List<String> suites, List<List<List<String>>> unitKeys) {
        this.shard = shard;
        List<Unit> units = new ArrayList<>();
        for (int b = 0; b < backends.size(); b++) {
            List<List<String>> perSuite = unitKeys.get(b);
            if (perSuite.isEmpty()) { // an unavailable backend: its one UNAVAILABLE row costs nothing
                units.add(new Unit(units.size(), b, -1, -1, 0));
                continue;
            }
            for (int s = 0; s < suites.size(); s++) {
                List<String> keys = perSuite.get(s);
                for (int u = 0; u < keys.size(); u++) units.add(new Unit(units.size(), b, s, u, costs.cost(suites.get(s), backends.get(b), keys.get(u))));
            }
        }
        List<Unit> order = new ArrayList<>(units);
        order.sort(Comparator.comparingDouble(Unit::cost).reversed().thenComparingInt(Unit::position));
        loads = new double[shard.count()];
        int[] counts = new int[shard.count()];
        for (Unit x : order) {
            int best = 0;
            for (int i = 1; i < loads.length; i++) {
                // Least cost first; equal costs (a uniform table) fall back to the fewest units, which makes it a round-robin.
                if (loads[i] < loads[best] || (loads[i] == loads[best] && counts[i] < counts[best])) best = i;
            }
            loads[best] += x.cost();
            counts[best]++;
            owner.put(id(x.backend(), x.suite(), x.unit()), best + 1);
        }
    }

    private static long id(int backend, int suite, int unit) { return ((long) backend << 42) ^ ((long) (suite + 1) << 21) ^ (unit + 1); }

    /** Whether this shard runs unit {@code u} of suite {@code s} for backend {@code b}. */
    public IntPredicate units(int suite, int backend) {
        return u -> owner.getOrDefault(id(backend, suite, u), -1) == shard.index();
    }

    /** Whether this shard reports unavailable backend {@code b}. */
    public boolean ownsUnavailable(int backend) { return owner.getOrDefault(id(backend, -1, -1), -1) == shard.index(); }

    /** The planned cost of each shard, 1-based index i at i - 1 (for messages and tests). */
    public double[] loads() { return loads.clone(); }
}
