package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.dsv32.conformance.golden.GoldenSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./dsv32 golden verify / seal}: per-case lines, the summary, and the exit codes. */
class GoldenCommandTest {
    static Path shipped;

    @BeforeAll
    static void extract() throws Exception { shipped = GoldenSource.extractShipped(); }

    @AfterAll
    static void clean() { GoldenSource.deleteTree(shipped); }

    static Path twoCases(Path dir) throws Exception {
        for (String n : List.of("rope-exact-ue8m0-interleaved.safetensors", "linear-fp8-plain-one-token-k128.safetensors")) {
            Files.copy(shipped.resolve(n), dir.resolve(n), StandardCopyOption.REPLACE_EXISTING);
        }
        CliRun s = CliRun.of("golden", "seal", dir.toString());
        assertEquals(0, s.exit(), s.err());
        assertTrue(s.out().contains("manifest.json rewritten"), s.out());
        return dir;
    }

    @Test
    void verifyPassesAndPrintsEachCase(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("golden", "verify", twoCases(dir).toString(), "--backend", "reference");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().lines().filter(l -> l.startsWith("PASS ")).count() == 2, r.out());
        assertTrue(r.out().contains("golden verify: PASS — 2 cases: 2 pass, 0 fail"), r.out());
    }

    @Test
    void verifyFailsOnATamperedCaseAndSaysSo(@TempDir Path dir) throws Exception {
        twoCases(dir);
        Path f = dir.resolve("rope-exact-ue8m0-interleaved.safetensors");
        byte[] b = Files.readAllBytes(f);
        b[b.length - 2] ^= 0x10;
        Files.write(f, b);
        CliRun r = CliRun.of("golden", "verify", dir.toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("TAMPERED        rope-exact-ue8m0-interleaved"), r.out());
        assertTrue(r.out().contains("1 pass, 0 fail, 0 not implemented, 0 corrupted, 1 tampered"), r.out());
    }

    @Test
    void verifyOfAFileThatIsNotACaseIsCorruptedNotACrash(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.safetensors");
        Files.writeString(f, "definitely not safetensors");
        CliRun r = CliRun.of("golden", "verify", f.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().startsWith("CORRUPTED"), r.out());
    }

    @Test
    void usageErrorsExitWithTwo(@TempDir Path dir) {
        CliRun missing = CliRun.of("golden", "verify", dir.resolve("nothing-here").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());
        CliRun backend = CliRun.of("golden", "verify", dir.toString(), "--backend", "no-such-backend");
        assertEquals(2, backend.exit());
        assertTrue(backend.err().contains("unknown backend"), backend.err());
    }
}
