package org.dsv32.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./dsv32 calibrate}: one seed at the small shapes, the table written between its markers, usage errors. */
class CalibrateCommandTest {
    @Test
    void writesTheMeasuredTableBetweenItsMarkers(@TempDir Path dir) throws Exception {
        Path doc = dir.resolve("TOLERANCES.md");
        Files.writeString(doc, "before\n" + CalibrateCommand.begin("small") + "\nstale\n" + CalibrateCommand.end("small") + "\nafter\n");
        CliRun r = CliRun.of("calibrate", "--dims", "small", "--seeds", "1", "--write", doc.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("every measurement sits under its gate"), r.out());
        String text = Files.readString(doc);
        assertTrue(text.startsWith("before\n") && text.endsWith(CalibrateCommand.end("small") + "\nafter\n"), text);
        assertTrue(!text.contains("stale") && text.contains("| linear | K=128 | exact/tight | calc_diff | 1 |"), text);
    }

    @Test
    void refusesAFileWithoutMarkersAndBadOptions(@TempDir Path dir) throws Exception {
        Path doc = dir.resolve("other.md");
        Files.writeString(doc, "no markers\n");
        CliRun r = CliRun.of("calibrate", "--dims", "small", "--seeds", "1", "--write", doc.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no calibration markers"), r.err());
        assertEquals("no markers\n", Files.readString(doc));
        CliRun dims = CliRun.of("calibrate", "--dims", "huge");
        assertEquals(2, dims.exit(), dims.out() + dims.err());
        assertTrue(dims.err().contains("--dims must be real or small"), dims.err());
    }
}
