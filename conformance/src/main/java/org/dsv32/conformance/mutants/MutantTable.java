package org.dsv32.conformance.mutants;

import java.util.List;

/** Generates conformance/MUTANTS.md from the catalogue (a build test keeps the file equal to it). */
public final class MutantTable {
    private MutantTable() {}

    /** The command that regenerates the file, quoted in its header. */
    public static final String REGENERATE = "./dsv32 mutants --markdown conformance/MUTANTS.md";

    public static String markdown(List<Mutant> mutants) {
        StringBuilder sb = new StringBuilder();
        sb.append("# The mutant catalogue\n\n")
          .append("Every known port bug (`spec/SEMANTICS.md` §12) is kept as a *mutant*: the float64\n")
          .append("reference with exactly that one bug injected, as a subclass of one reference operation that overrides one\n")
          .append("method. `./dsv32 mutants` runs the conformance checks (quick size, fixed seed) against each mutant, the\n")
          .append("mutated operation's check first; a mutant is *killed* when a check fails. The build's `MutantCatalogueTest`\n")
          .append("fails if any mutant survives, or is killed by another check than the one listed here, and a control run\n")
          .append("shows that the unmutated reference passes the same checks.\n\n")
          .append("Each kill has a *margin*: how many gates wide the bug is, the largest measure / bound over the killing check's\n")
          .append("failed cases — `sqrt(calc_diff / bound)` for a norm-wise gate (calc_diff is quadratic in the error), the plain\n")
          .append("ratio for an element-wise one, the score deficit over the score tolerance for a top-k violation, and infinity\n")
          .append("for a broken exact contract (bits, NaN positions, shapes, determinism); `spec/TOLERANCES.md` §4a. `./dsv32\n")
          .append("mutants` prints it and names every kill below 10x; `--json` lists every mutant as `{\"id\", \"killed\",\n")
          .append("\"margin\"}` (margin null, with a `\"reason\"`, for one not killed or not reachable). With `--dims real` a mutant\n")
          .append("goes through its own and its expected killer's check at the 671B shapes; one whose checks have no cases there\n")
          .append("is *not reachable* (neither killed nor SURVIVED).\n\n")
          .append("When a new class of bug is found, add a mutant to `MutantCatalogue` and regenerate this file:\n")
          .append("`").append(REGENERATE).append("`. ")
          .append("Generated from `org.dsv32.conformance.mutants.MutantCatalogue`; do not edit by hand.\n\n")
          .append("| id | bug (section 12 wording: what exactly) | injected at | killed by check |\n")
          .append("|---|---|---|---|\n");
        for (Mutant m : mutants) {
            sb.append("| `").append(m.id()).append("` | ")
              .append(m.fromSection12() ? "**" + escape(m.factSheet()) + "**: " : "*(not in section 12)* ")
              .append(escape(m.detail())).append(" | `").append(m.injectedAt()).append("` | ")
              .append(m.expectedKillerLabel()).append(" |\n");
        }
        long s12 = mutants.stream().filter(Mutant::fromSection12).count();
        sb.append("\n").append(mutants.size()).append(" mutants, ").append(s12).append(" of them for the bugs of section 12.\n");
        return sb.toString();
    }

    private static String escape(String s) { return s.replace("|", "\\|"); }
}
