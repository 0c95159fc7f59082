package org.dsv32.conformance.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.dsv32.conformance.golden.ops.MtpGolden;
import org.dsv32.conformance.golden.ops.RopeGolden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generator is deterministic, and its case list is the shipped one. */
class GoldenGeneratorTest {
    @Test
    void sameSeedGivesByteIdenticalFiles(@TempDir Path a, @TempDir Path b) throws Exception {
        GoldenManifest ma = GoldenGenerator.generate(a, GoldenGenerator.DEFAULT_SEED).manifest();
        GoldenGenerator.generate(b, GoldenGenerator.DEFAULT_SEED);
        List<Path> files = files(a);
        assertEquals(files, files(b));
        assertEquals(ma.cases().size() + ma.weights().size() + 1, files.size(), "the cases, the weights files and the manifest");
        for (Path rel : files) assertArrayEquals(Files.readAllBytes(a.resolve(rel)), Files.readAllBytes(b.resolve(rel)), rel.toString());

        // the case list is a property of the generator's code: a renamed or dropped case shows here
        Path shipped = GoldenSource.extractShipped();
        try {
            GoldenManifest ms = GoldenManifest.read(shipped.resolve(GoldenFormat.MANIFEST));
            assertEquals(ms.cases().stream().map(GoldenManifest.Entry::name).toList(), ma.cases().stream().map(GoldenManifest.Entry::name).toList(),
                    "the shipped set is out of date: run ./dsv32 golden generate");
            assertEquals(Long.toString(GoldenGenerator.DEFAULT_SEED), ms.seed());
        } finally {
            GoldenSource.deleteTree(shipped);
        }
    }

    @Test
    void regeneratingReplacesTheEarlierSetAndAnotherSeedChangesTheData(@TempDir Path dir) throws Exception {
        List<GoldenOp<?, ?>> ops = List.of(new RopeGolden(), new MtpGolden());
        GoldenGenerator.generate(dir, 7, ops);
        Files.writeString(dir.resolve("notes.txt"), "kept");
        String before = Files.readString(dir.resolve(GoldenFormat.MANIFEST));
        GoldenManifest m = GoldenGenerator.generate(dir, 8, List.of(new RopeGolden())).manifest();
        assertNotEquals(before, Files.readString(dir.resolve(GoldenFormat.MANIFEST)));
        assertTrue(Files.exists(dir.resolve("notes.txt")), "files the manifest did not list are left alone");
        assertEquals(m.cases().size() + m.weights().size() + 2, files(dir).size(), "the earlier cases and weights files are gone");
        assertTrue(m.weights().isEmpty());
    }

    private static List<Path> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
        }
    }
}
