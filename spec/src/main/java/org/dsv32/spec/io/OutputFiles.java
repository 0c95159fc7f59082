package org.dsv32.spec.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way dsv32 writes an output file: into a temporary file beside the target, then renamed over it, so a
 * reader never sees a half-written file, and only where replacing is safe.
 *
 * <p>The rules, checked by {@link #checkFile} before any work and again just before the rename:
 * <ul>
 *   <li>the target is a regular file or missing; a directory, device node ({@code /dev/null}, {@code /dev/full}),
 *       FIFO or socket is refused, and so is an existing regular file the user cannot write;</li>
 *   <li>the target is not a symbolic link: dsv32 neither replaces a link with a file nor writes through it to the
 *       link's target (either would surprise someone), so a link is refused and the message names what it points
 *       to; symbolic links among the parent directories are followed as usual;</li>
 *   <li>missing parent directories are created, but the nearest existing ancestor must be a writable directory,
 *       and nothing on the way may be a file.</li>
 * </ul>
 * An existing target keeps its POSIX permissions; a new one gets the process's default (umask) permissions.
 *
 * <p>The temporary file ({@code .NAME.RANDOM.tmp} beside the target) is deleted on every failure, including an
 * exception thrown by the content writer, and on a JVM shutdown (Ctrl-C, SIGTERM, {@code System.exit}) by a
 * shutdown hook. Only SIGKILL or a power cut can leave one behind.
 */
public final class OutputFiles {
    private OutputFiles() {}

    /** Writes the content of an output file. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Thrown when a path may not be written; its message names the path and what is wrong with it. */
    public static final class RefusedException extends java.nio.file.FileSystemException {
        public RefusedException(Path file, String reason) { super(file.toString(), null, reason); }
    }

    /** Temporary files being written now; the shutdown hook deletes what is left of them. */
    private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

    private static final class Hook {
        static {
            Runtime.getRuntime().addShutdownHook(new Thread(OutputFiles::deleteInFlight, "dsv32-delete-temporary-outputs"));
        }

        static void install() {}
    }

    /** Writes {@code text} as UTF-8 to {@code target} under the rules of this class. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes {@code bytes} to {@code target} under the rules of this class. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /**
     * Writes {@code target}: checks it, creates missing parent directories, lets {@code content} fill a temporary
     * file beside it, forces it to disk and renames it over the target. On any failure the temporary file is gone
     * and the target untouched.
     */
    public static void write(Path target, Content content) throws IOException {
        Path file = target.toAbsolutePath();
        checkFile(file);
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Hook.install();
        Path tmp = createTemp(dir, file.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = Channels.newOutputStream(ch)) {
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
            // Checked again: something may have appeared at the target while the content was written.
            checkTarget(file);
            copyPermissions(file, tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } finally {
                IN_FLIGHT.remove(tmp);
            }
        }
    }

    /**
     * Checks, without changing anything, that {@code target} may be written by {@link #write}: it is a regular file
     * the user can write or missing, not a symbolic link, and its directory exists and is writable or can be created.
     * Commands call it for every output path before any work.
     */
    public static void checkFile(Path target) throws IOException {
        Path file = target.toAbsolutePath();
        if (file.getFileName() == null) throw new RefusedException(target, "not a file name");
        checkTarget(file);
        checkCreatableDirectory(file.getParent(), target);
    }

    /**
     * Checks, without changing anything, that {@code dir} can hold output files: it is a writable directory (a
     * symbolic link to one is fine: files are written inside it, the link is not replaced), or missing with a
     * writable directory as its nearest existing ancestor.
     */
    public static void checkDirectory(Path dir) throws IOException {
        Path d = dir.toAbsolutePath();
        if (Files.exists(d)) {
            if (!Files.isDirectory(d)) throw new RefusedException(dir, "exists and is " + kind(d) + ", not a directory");
            if (!Files.isWritable(d)) throw new RefusedException(dir, "directory is not writable");
            return;
        }
        if (Files.isSymbolicLink(d)) throw new RefusedException(dir, "is a dangling symbolic link (to " + linkTarget(d) + ")");
        checkCreatableDirectory(d, dir);
    }

    /** The temporary files being written now (tests). */
    static Set<Path> inFlight() { return Set.copyOf(IN_FLIGHT); }

    /** Deletes every temporary file still being written: the shutdown hook's work. */
    static void deleteInFlight() {
        for (Path p : List.copyOf(IN_FLIGHT)) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException | RuntimeException e) {
                // best effort while the JVM goes down; nothing can be reported any more
            }
            IN_FLIGHT.remove(p);
        }
    }

    /** The target itself: missing, or a regular file the user can write; never a link, directory or special file. */
    private static void checkTarget(Path file) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (a.isSymbolicLink()) {
            throw new RefusedException(file, "is a symbolic link (to " + linkTarget(file)
                    + "); dsv32 does not replace links or write through them: give the path of a regular file");
        }
        if (a.isDirectory()) throw new RefusedException(file, "is a directory; give a file path");
        if (!a.isRegularFile()) {
            throw new RefusedException(file, "is " + kind(file) + ", not a regular file; dsv32 replaces only regular files");
        }
        if (!Files.isWritable(file)) throw new RefusedException(file, "exists and is not writable");
    }

    /** {@code dir} exists as a writable directory, or its nearest existing ancestor is one. */
    private static void checkCreatableDirectory(Path dir, Path named) throws IOException {
        Path d = dir;
        while (d != null && !Files.exists(d)) {
            if (Files.isSymbolicLink(d)) throw new RefusedException(named, d + " is a dangling symbolic link (to " + linkTarget(d) + ")");
            d = d.getParent();
        }
        if (d == null) throw new RefusedException(named, "no existing directory above it");
        if (!Files.isDirectory(d)) throw new RefusedException(named, d + " is " + kind(d) + ", not a directory");
        if (!Files.isWritable(d)) throw new RefusedException(named, "directory " + d + " is not writable");
    }

    /** A new empty file {@code .NAME.RANDOM.tmp} in {@code dir}, with default permissions, registered for cleanup. */
    private static Path createTemp(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            IN_FLIGHT.add(tmp); // before it exists: an interrupt right after creation still finds it
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                IN_FLIGHT.remove(tmp);
                if (attempt >= 100) throw e;
            } catch (IOException | RuntimeException e) {
                IN_FLIGHT.remove(tmp);
                throw e;
            }
        }
    }

    /** An existing target's permissions carry over to its replacement (best effort: not every file system has them). */
    private static void copyPermissions(Path from, Path to) {
        try {
            if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) return;
            PosixFileAttributes a = Files.readAttributes(from, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Files.getFileAttributeView(to, PosixFileAttributeView.class).setPermissions(a.permissions());
        } catch (IOException | UnsupportedOperationException e) {
            // keep the default permissions
        }
    }

    /** What kind of file {@code p} is, in words (lstat: a link is described as a link). */
    static String kind(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) return "a symbolic link";
            if (a.isDirectory()) return "a directory";
            if (a.isRegularFile()) return "a regular file";
            Object mode = Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (mode instanceof Integer m) {
                switch (m & 0170000) {
                    case 0020000: return "a character device";
                    case 0060000: return "a block device";
                    case 0010000: return "a FIFO (named pipe)";
                    case 0140000: return "a socket";
                    default: break;
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // fall through to the generic description
        }
        return "a special file";
    }

    private static String linkTarget(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "?";
        }
    }
}
