package org.dsv32.conformance;

import java.util.List;
import org.dsv32.spec.backend.Backend;

/**
 * A family of checks run against each backend: the operation checks now; golden cases and mutants later. The
 * runner ({@link ConformanceRunner}) holds a list of suites, so adding one is a single line.
 */
public interface CheckSuite {
    /** Short name shown in reports ("operations", "golden", "mutants"). */
    String name();

    /** Runs every check of this suite for {@code candidate}, {@code reference} being the float64 reference. */
    List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress);

    /**
     * Runs only the units of work {@code owned} selects ({@code --shard}): a unit is a 0-based position in the
     * suite's own fixed order (an operation's check, a case), the same on every machine for the same options and
     * version. The default treats the whole suite as unit 0; a suite with finer units overrides this.
     */
    default List<CheckResult> run(Backend candidate, Backend reference, CheckOptions options, Progress progress,
                                  java.util.function.IntPredicate owned) {
        return owned.test(0) ? run(candidate, reference, options, progress) : List.of();
    }

    /**
     * The names of this suite's units of work, in the order {@link #run(Backend, Backend, CheckOptions, Progress,
     * java.util.function.IntPredicate)} numbers them (unit u is element u): what a shard plan deals and what its cost
     * table ({@link ShardCosts}) is keyed by. The default is the whole suite as one unit.
     */
    default List<String> unitKeys(CheckOptions options) { return List.of(WHOLE_UNIT); }

    /** The unit of work a result of this suite came from (one of {@link #unitKeys}); how a report's times become costs. */
    default String unitKeyOf(CheckResult result) { return WHOLE_UNIT; }

    /** The key of a suite that is one unit. */
    String WHOLE_UNIT = "*";
}
