package org.dsv32.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The optimized backends are second implementations, independent of the float64 reference they are checked
 * against: no main source of {@code optimized} or {@code cuda} names the reference's package, in code (an import, a
 * qualified name, a class loaded by name) or in documentation. Their tests may use the reference. The build holds
 * the other half: dsv32-reference has test scope in those modules, and the enforcer rule
 * {@code independent-of-reference} (parent pom) fails the build if it gets any other scope.
 */
class BackendIndependenceTest {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String REFERENCE_PACKAGE = "org.dsv32.reference";

    @Test
    void noBackendMainSourceNamesTheReference() throws IOException {
        List<String> found = new ArrayList<>();
        int files = 0;
        for (String module : List.of("optimized", "cuda")) {
            Path main = REPO.resolve(module).resolve("src/main");
            assertTrue(Files.isDirectory(main), main + " is missing");
            try (Stream<Path> s = Files.walk(main)) {
                for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                    files++;
                    if (!f.toString().endsWith(".java")) continue;
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        if (lines.get(i).contains(REFERENCE_PACKAGE)) {
                            found.add(REPO.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
                        }
                    }
                }
            }
        }
        assertTrue(files > 50, "only " + files + " main sources found under optimized and cuda");
        assertEquals(List.of(), found, "backend main code must not use the reference (" + REFERENCE_PACKAGE + ")");
    }
}
