package org.dsv32.conformance.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The last-level cache size from sysfs, which sizes the cold weight copies of the benchmarks. */
class LastLevelCacheTest {
    @TempDir Path tmp;

    private void index(int i, String level, String size) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("index" + i));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }

    @Test
    void theHighestLevelsSizeIsTaken() throws Exception {
        index(0, "1", "48K");
        index(1, "1", "64K");
        index(2, "2", "2048K");
        index(3, "3", "491520K");
        assertEquals(491520L << 10, LastLevelCache.bytes(tmp));
    }

    @Test
    void unreadableFoldersFallBack() throws Exception {
        assertEquals(LastLevelCache.FALLBACK_BYTES, LastLevelCache.bytes(tmp.resolve("missing")));
        index(0, "x", "48K");
        assertEquals(LastLevelCache.FALLBACK_BYTES, LastLevelCache.bytes(tmp));
    }

    @Test
    void sizesWithUnits() {
        assertEquals(32L << 20, LastLevelCache.parseSize("32M"));
        assertEquals(48L << 10, LastLevelCache.parseSize("48K"));
        assertEquals(1L << 30, LastLevelCache.parseSize("1G"));
        assertEquals(4096, LastLevelCache.parseSize("4096"));
        assertEquals(-1, LastLevelCache.parseSize("big"));
    }

    @Test
    void coldBytesAreTwiceTheCacheAndAtLeast64MiB() {
        assertEquals(Math.max(64L << 20, 2 * LastLevelCache.bytes()), LastLevelCache.coldBytes());
        assertTrue(LastLevelCache.coldBytes() >= 64L << 20);
    }
}
