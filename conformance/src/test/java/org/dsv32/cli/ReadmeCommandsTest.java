package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every command in README.md's {@code bash} blocks starts with an executable of this repository that finds JDK 25
 * itself (sources {@code scripts/find-jdk.sh}), such as {@code ./dsv32}, {@code ./run-tests} or {@code scripts/mvn}.
 * A bare {@code java} or {@code mvn} runs on the first Java of the PATH: with Java 17 there the JMH command printed
 * UnsupportedClassVersionError and exited 0, and Maven died on {@code .mvn/jvm.config} without a hint.
 */
class ReadmeCommandsTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    /** The line a repository script that starts no Java carries (scripts/official runs the PyTorch kit). */
    static final String NO_JAVA = "# Starts no JVM:";

    @Test
    void everyReadmeCommandStartsWithALauncherThatFindsTheJdk() throws IOException {
        List<String> commands = bashCommands(Files.readAllLines(REPO.resolve("README.md")));
        assertFalse(commands.isEmpty(), "README.md has no bash block");
        List<String> bad = new ArrayList<>();
        for (String command : commands) {
            String why = launcherProblem(command);
            if (why != null) bad.add(command + "\n    " + why);
        }
        assertEquals(List.of(), bad, "README commands that would not run as written on a machine whose java is older");
    }

    /** The command lines of the bash blocks: comments and blank lines dropped, trailing comments cut. */
    static List<String> bashCommands(List<String> lines) {
        List<String> out = new ArrayList<>();
        boolean inBash = false;
        for (String line : lines) {
            String t = line.strip();
            if (t.startsWith("```")) {
                inBash = !inBash && t.equals("```bash");
                continue;
            }
            if (!inBash || t.isEmpty() || t.startsWith("#")) continue;
            int hash = t.indexOf("  #");
            out.add((hash < 0 ? t : t.substring(0, hash)).strip());
        }
        return out;
    }

    /** Why the command's program is not a repository launcher that finds JDK 25, or null when it is. */
    private static String launcherProblem(String command) throws IOException {
        String[] words = command.split("\\s+");
        int i = 0;
        while (i < words.length && words[i].matches("[A-Za-z_][A-Za-z0-9_]*=.*")) i++; // VAR=value prefixes
        if (i == words.length) return "no program";
        String program = words[i];
        if (!program.startsWith("./") && !program.startsWith("scripts/")) {
            return "'" + program + "' is not a script of this repository (use ./dsv32, ./run-tests or scripts/...)";
        }
        Path file = REPO.resolve(program).normalize();
        if (!file.startsWith(REPO) || !Files.isRegularFile(file)) return program + " does not exist";
        if (!Files.isExecutable(file)) return program + " is not executable";
        String text = Files.readString(file);
        if (text.contains(NO_JAVA)) {
            // a launcher of something else (the PyTorch kit): it must then really start no JVM and no Maven
            return text.matches("(?s).*\\b(java|mvn|javac)\\b.*") ? program + " declares '" + NO_JAVA + "' but calls java or mvn" : null;
        }
        if (!text.contains("find-jdk.sh")) {
            return program + " does not source scripts/find-jdk.sh";
        }
        return null;
    }
}
