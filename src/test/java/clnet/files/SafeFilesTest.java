package clnet.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads only from regular files; writes replace only regular files and clean what dead writers left. */
class SafeFilesTest {
    @TempDir
    Path dir;

    @Test
    void specialFilesAreNotRead() throws Exception {
        assertTrue(SafeFiles.unreadable(Path.of("/dev/zero"), "a model file").startsWith("is not a regular file"));
        assertEquals("is a directory, not a model file", SafeFiles.unreadable(dir, "a model file"));
        assertEquals("no such file", SafeFiles.unreadable(dir.resolve("absent"), "x"));
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertTrue(SafeFiles.unreadable(fifo, "an IDX file").startsWith("is not a regular file"));
        Path regular = Files.writeString(dir.resolve("ok"), "x");
        assertNull(SafeFiles.unreadable(regular, "x"));
        Files.createSymbolicLink(dir.resolve("link"), regular);
        assertNull(SafeFiles.unreadable(dir.resolve("link"), "x"), "a link to a regular file reads");
    }

    /** A replaced file keeps its mode: a private checkpoint does not become readable by all. */
    @Test
    void aReplacedFileKeepsItsPermissions() throws Exception {
        Path target = Files.writeString(dir.resolve("private.safetensors"), "old");
        Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        SafeFiles.writeString(target, "new");
        assertEquals("new", Files.readString(target));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(target)));
    }

    @Test
    void onlyRegularFilesAreReplaced() throws Exception {
        Path target = Files.writeString(dir.resolve("t.txt"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.txt"), target);
        IOException e = assertThrows(IOException.class, () -> SafeFiles.writeString(link, "new"));
        assertTrue(e.getMessage().startsWith(link + ": is a symbolic link"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("old", Files.readString(target));
        IOException dev = assertThrows(IOException.class, () -> SafeFiles.writeString(Path.of("/dev/null"), "x"));
        assertTrue(dev.getMessage().contains("is not a regular file"), dev.getMessage());
        SafeFiles.writeString(target, "new");
        assertEquals("new", Files.readString(target));
    }

    @Test
    void aDeadWritersTemporaryIsRemovedALiveOneIsKept() throws Exception {
        Path target = dir.resolve("m.safetensors");
        Path dead = Files.writeString(dir.resolve(".m.safetensors.1a2b3c.tmp"), "half a model");
        Path live = dir.resolve(".m.safetensors.4d5e6f.tmp");
        Path unrelated = Files.writeString(dir.resolve(".m.safetensors.notours.tmp"), "?");
        try (FileChannel ch = FileChannel.open(live, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            SafeFiles.writeString(target, "model");
            assertFalse(Files.exists(dead), "a temporary nobody holds is what a killed writer left");
            assertTrue(Files.exists(live), "a writer still holds this one");
        }
        assertTrue(Files.exists(unrelated), "only names of ours (.NAME.<hex>.tmp) are touched");
        assertEquals("model", Files.readString(target));
    }
}
