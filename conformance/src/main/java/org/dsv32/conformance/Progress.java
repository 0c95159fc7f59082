package org.dsv32.conformance;

/** Receives progress while a run goes on (the CLI prints it on stderr). */
@FunctionalInterface
public interface Progress {
    void report(String line);

    Progress NONE = line -> {};
}
