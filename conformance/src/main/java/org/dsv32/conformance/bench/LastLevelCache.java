package org.dsv32.conformance.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The size of this machine's last-level cache, which decides how much memory the benchmarks must cycle through for
 * their weights to come from memory rather than the cache: 32 MB on the AMD EPYC development machine the first
 * figures came from, 480 MiB on the Intel Xeon it later ran on, where 64 MiB of weight copies stayed L3-resident and
 * GEMVs measured above the streaming bandwidth.
 */
public final class LastLevelCache {
    private LastLevelCache() {}

    /** Assumed when the size cannot be read (not Linux): a large server L3. */
    static final long FALLBACK_BYTES = 32L << 20;

    /** The bytes of the highest cache level of cpu0 (Linux sysfs), or {@link #FALLBACK_BYTES} when unreadable. */
    public static long bytes() { return bytes(Path.of("/sys/devices/system/cpu/cpu0/cache")); }

    /** {@link #bytes()} read from {@code dir} (its {@code index*} folders with {@code level} and {@code size}). */
    static long bytes(Path dir) {
        int best = -1;
        long size = FALLBACK_BYTES;
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(x -> x.getFileName().toString().startsWith("index")).toList()) {
                try {
                    int level = Integer.parseInt(Files.readString(p.resolve("level")).trim());
                    long bytes = parseSize(Files.readString(p.resolve("size")).trim());
                    if (level > best && bytes > 0) {
                        best = level;
                        size = bytes;
                    }
                } catch (Exception e) {
                    // an index without a readable level or size: skipped
                }
            }
        } catch (Exception e) {
            return FALLBACK_BYTES;
        }
        return size;
    }

    /** "491520K", "32M", "1024" (bytes) as bytes; -1 when not a size. */
    static long parseSize(String s) {
        if (s.isEmpty()) return -1;
        char unit = Character.toUpperCase(s.charAt(s.length() - 1));
        long mult = switch (unit) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = mult == 1 ? s : s.substring(0, s.length() - 1);
        try {
            return Long.parseLong(digits.trim()) * mult;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The bytes of distinct weight copies a benchmark cycles through so that no call finds its weight in the cache:
     * twice the last-level cache, at least 64 MiB.
     */
    public static long coldBytes() { return Math.max(64L << 20, 2 * bytes()); }

    static String describe() { return String.format(Locale.ROOT, "%.0f MiB", bytes() / 1048576.0); }
}
