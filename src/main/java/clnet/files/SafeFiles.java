package clnet.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How clnet reads and writes files it is given, in one place.
 *
 * <p>Reads come only from regular files: {@code /dev/zero} would be read until the heap is
 * gone, a FIFO would block forever, and a directory is no data file.
 *
 * <p>Writes are atomic and replace only regular files: the content goes to a temporary
 * sibling {@code .NAME.<hex>.tmp}, is flushed to disk, and is renamed over the target, so a
 * crash leaves the old file or the new one, never half of one. A device node, a FIFO, a
 * directory or a symbolic link at the target is refused rather than silently replaced by a
 * regular file. The writer holds a lock on its temporary file; a temporary file of ours
 * whose lock is free belongs to a writer that died (killed mid-save), and the next write to
 * the same target removes it.
 */
public final class SafeFiles {
    private SafeFiles() {
    }

    /** Writes a file's content. */
    public interface Content {
        void write(FileChannel out) throws IOException;
    }

    /**
     * Null if {@code path} can be read as {@code what} (a regular file, links followed), else
     * the problem, for the caller's own exception: "no such file", "is a directory, not
     * {@code what}", "is not a regular file (a device, FIFO or socket)".
     */
    public static String unreadable(Path path, String what) {
        if (!Files.exists(path)) {
            return Files.exists(path, LinkOption.NOFOLLOW_LINKS) ? "is a broken symbolic link" : "no such file";
        }
        if (Files.isDirectory(path)) {
            return "is a directory, not " + what;
        }
        if (!Files.isRegularFile(path)) {
            return "is not a regular file (a device, FIFO or socket); clnet reads " + what + " only from regular"
                    + " files";
        }
        if (!Files.isReadable(path)) {
            return "permission denied";
        }
        return null;
    }

    /**
     * Fails unless {@code target} may be written: it does not exist or is a regular file (not
     * a link to one), and its directory exists or can be made. For checking a destination
     * before hours of work, and before every write.
     */
    public static void requireWritable(Path target) throws IOException {
        Path t = target.toAbsolutePath();
        if (Files.isSymbolicLink(t)) {
            throw new IOException(target + ": is a symbolic link; clnet replaces only regular files (name the link's"
                    + " target instead)");
        }
        if (Files.isDirectory(t, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(target + ": is a directory; give a file name");
        }
        if (Files.exists(t, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(t, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(target + ": is not a regular file (a device, FIFO or socket); clnet replaces only"
                    + " regular files");
        }
        Path dir = t.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
    }

    /** Writes {@code target} atomically (see the class comment). */
    public static void writeAtomically(Path target, Content content) throws IOException {
        requireWritable(target);
        Path t = target.toAbsolutePath();
        removeStaleTemporaries(t);
        Path tmp = temporarySibling(t);
        try {
            // CREATE_NEW under a random name, not createTempFile: the file then gets the
            // permissions the umask gives any new file, where createTempFile makes it private
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
                 FileLock lock = out.lock()) {
                content.write(out);
                out.force(true);
                keepPermissions(t, tmp); // a replaced file's mode (a private checkpoint stays private)
                // renamed while the lock is held: no cleaner can take the finished file for a dead writer's
                try {
                    Files.move(tmp, t, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            syncDirectory(t.getParent()); // the rename itself survives a crash, not just the bytes
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void keepPermissions(Path target, Path tmp) {
        try {
            if (Files.isRegularFile(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not POSIX, or not ours to read: the new file keeps the umask's mode
        }
    }

    /** fsync of the directory, so that a rename in it is on disk; where directories cannot be opened, nothing. */
    private static void syncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some systems cannot open a directory for reading: the file itself was forced
        }
    }

    /** Writes {@code text} (UTF-8) to {@code target} atomically. */
    public static void writeString(Path target, CharSequence text) throws IOException {
        writeBytes(target, text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code target} atomically. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        writeAtomically(target, out -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                out.write(b);
            }
        });
    }

    /** A fresh name beside {@code target}: {@code .NAME.<hex>.tmp}. */
    public static Path temporarySibling(Path target) {
        return target.resolveSibling("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    }

    /**
     * Deletes {@code .NAME.<hex>.tmp} siblings of {@code target} that no living writer holds:
     * what a writer killed mid-save left behind. A writer of this process or another that is
     * still writing (or renaming) keeps its lock, and its file; an empty temporary younger than
     * a second may be one created a moment before its lock (microseconds apart) and is left alone.
     */
    static void removeStaleTemporaries(Path target) {
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        String prefix = "." + target.getFileName() + ".";
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(".tmp")
                    && n.substring(prefix.length(), n.length() - 4).matches("[0-9a-f]{1,16}");
        })) {
            for (Path stale : siblings) {
                if (!Files.isRegularFile(stale, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try (FileChannel ch = FileChannel.open(stale, StandardOpenOption.WRITE);
                     FileLock lock = ch.tryLock()) {
                    // an empty file may be one a writer has just created and not yet locked: left for later
                    boolean fresh = ch.size() == 0 && Files.getLastModifiedTime(stale).toMillis()
                            > System.currentTimeMillis() - 1_000;
                    if (lock != null && !fresh) {
                        Files.deleteIfExists(stale);
                    }
                } catch (OverlappingFileLockException | IOException busy) {
                    // a writer of this process holds it, or it vanished: not ours to remove
                }
            }
        } catch (IOException e) {
            // cleaning is a courtesy; the write itself decides success
        }
    }
}
