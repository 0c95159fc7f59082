package org.dsv32.cli;

import java.util.List;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import org.dsv32.spec.backend.Backend;
import org.dsv32.spec.backend.Backends;
import org.dsv32.spec.ops.OperationCatalog;
import picocli.CommandLine.Command;

/** {@code ./dsv32 info}: Java, vector species, CPUs, and each backend's availability. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the Java runtime, vector width, CPUs and backends.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("java:     " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        System.out.println("vector:   preferred species " + FloatVector.SPECIES_PREFERRED + " ("
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits, " + FloatVector.SPECIES_PREFERRED.length() + " floats)");
        System.out.println("cpus:     " + Runtime.getRuntime().availableProcessors());
        System.out.println("memory:   max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        System.out.println("backends:");
        List<Backend> all = Backends.all();
        if (all.isEmpty()) System.out.println("  (none found on the class path)");
        for (Backend b : all) {
            String ops = OperationCatalog.describeCoverage(b);
            System.out.printf("  %-10s %s%n             %s; %s%n", b.name(), b.availability(), b.description(), ops);
        }
        return 0;
    }
}
