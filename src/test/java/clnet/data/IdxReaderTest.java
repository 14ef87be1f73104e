package clnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path tmp;

    /** A 3 x 2 x 2 array whose bytes cover the whole unsigned range. */
    private static IdxArray sample() {
        byte[] data = {0, 1, 2, 127, (byte) 128, (byte) 200, (byte) 254, (byte) 255, 9, 8, 7, 6};
        return new IdxArray(new int[] {3, 2, 2}, data);
    }

    /** A larger array, so that its gzip stream has a body worth cutting. */
    private static IdxArray noisy(int count) {
        byte[] data = new byte[count * 64];
        long state = 42;
        for (int i = 0; i < data.length; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            data[i] = (byte) (state >>> 56);
        }
        return new IdxArray(new int[] {count, 8, 8}, data);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        }
        return bytes.toByteArray();
    }

    private Path file(String name, byte[] content) throws IOException {
        return Files.write(tmp.resolve(name), content);
    }

    /** Reading fails with a one-line message that starts with the path and contains {@code fragment}. */
    private static IdxFormatException assertFails(Path file, String fragment) {
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.read(file));
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), "message should start with the path: " + message);
        assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        assertFalse(message.contains("\n"), "message should be one line: " + message);
        assertEquals(file, e.file());
        return e;
    }

    @Test
    void roundTripRaw() throws IOException {
        Path f = tmp.resolve("a-idx3-ubyte");
        IdxWriter.write(f, sample(), false);
        assertEquals(16 + 12, Files.size(f));
        IdxArray back = IdxReader.read(f);
        assertArrayEquals(new int[] {3, 2, 2}, back.dims());
        assertArrayEquals(sample().data(), back.data());
        assertEquals(3, back.count());
        assertEquals(4, back.itemSize());
        assertEquals(255, back.unsigned(7));
        assertEquals(200, back.unsigned(5));
    }

    @Test
    void roundTripGzipIsDeterministic() throws IOException {
        Path f = tmp.resolve("a-idx3-ubyte.gz");
        IdxWriter.write(f, noisy(50));
        byte[] first = Files.readAllBytes(f);
        assertEquals(0x1F, first[0] & 0xFF);
        assertEquals(0x8B, first[1] & 0xFF);
        assertEquals(0, first[4] | first[5] | first[6] | first[7], "gzip MTIME should be zero");
        IdxArray back = IdxReader.read(f);
        assertArrayEquals(new int[] {50, 8, 8}, back.dims());
        assertArrayEquals(noisy(50).data(), back.data());

        IdxWriter.write(f, noisy(50));
        assertArrayEquals(first, Files.readAllBytes(f), "writing twice should give identical bytes");
    }

    @Test
    void compressionIsDetectedFromContentNotName() throws IOException {
        Path gzipWithoutSuffix = tmp.resolve("labels");
        IdxWriter.write(gzipWithoutSuffix, new IdxArray(new int[] {3}, new byte[] {5, 0, 4}), true);
        assertArrayEquals(new byte[] {5, 0, 4}, IdxReader.read(gzipWithoutSuffix).data());

        Path rawWithSuffix = tmp.resolve("labels.gz");
        IdxWriter.write(rawWithSuffix, new IdxArray(new int[] {3}, new byte[] {1, 2, 3}), false);
        assertEquals(0, Files.readAllBytes(rawWithSuffix)[0]);
        assertArrayEquals(new byte[] {1, 2, 3}, IdxReader.read(rawWithSuffix).data());
    }

    @Test
    void emptyArrayRoundTrips() throws IOException {
        Path f = tmp.resolve("empty-items.gz");
        IdxWriter.write(f, new IdxArray(new int[] {0, 28, 28}, new byte[0]));
        IdxArray back = IdxReader.read(f);
        assertEquals(0, back.count());
        assertEquals(784, back.itemSize());
    }

    @Test
    void truncatedRawFile() throws IOException {
        byte[] whole = Files.readAllBytes(writeRaw("whole", sample()));
        Path f = file("train-images-idx3-ubyte", Arrays.copyOf(whole, 16 + 5));
        IdxFormatException e = assertFails(f, "truncated");
        assertEquals(f + ": truncated: the header declares 3 x 2 x 2 = 12 bytes of data but the file holds 5",
                e.getMessage());
    }

    @Test
    void truncatedHeader() throws IOException {
        Path f = file("short-header", new byte[] {0, 0, 8, 3, 0, 0});
        assertFails(f, "truncated: the header declares rank 3, which needs 16 header bytes, but the file holds 6");
        assertFails(file("three-bytes", new byte[] {0, 0, 8}),
                "truncated: an IDX header needs at least 4 bytes but the file holds 3");
    }

    @Test
    void truncatedGzipFile() throws IOException {
        byte[] whole = Files.readAllBytes(writeGzip("whole.gz", noisy(100)));
        // Cut inside the deflate data, inside the trailer, and right after the gzip header.
        for (int keep : new int[] {whole.length / 2, whole.length - 3, 12}) {
            Path f = file("cut-" + keep + ".gz", Arrays.copyOf(whole, keep));
            assertFails(f, "truncated");
        }
    }

    @Test
    void corruptGzipFile() throws IOException {
        byte[] bytes = Files.readAllBytes(writeGzip("whole.gz", noisy(100)));
        // Damage the CRC32 in the trailer: every byte decompresses, the check fails at the end.
        bytes[bytes.length - 6] ^= 0x55;
        assertFails(file("bad-crc.gz", bytes), "corrupt gzip stream");

        byte[] body = Files.readAllBytes(writeGzip("whole2.gz", noisy(100)));
        // Damage the middle of the deflate data, well past the IDX header.
        for (int i = body.length / 2; i < body.length / 2 + 40; i++) {
            body[i] = (byte) 0xFF;
        }
        assertFails(file("bad-body.gz", body), "corrupt gzip stream");
    }

    @Test
    void gzipWhoseHeaderDeclaresMoreThanItHolds() throws IOException {
        byte[] content = concat(IdxWriter.header(new int[] {3, 2, 2}), new byte[7]);
        Path f = file("short.gz", gzip(content));
        IdxFormatException e = assertFails(f, "truncated");
        assertEquals(f + ": truncated: the header declares 3 x 2 x 2 = 12 bytes of data but the file holds 7"
                + " after decompression", e.getMessage());
    }

    @Test
    void trailingBytes() throws IOException {
        byte[] content = concat(IdxWriter.header(new int[] {4}), new byte[] {1, 2, 3, 4, 5, 6, 7});
        Path raw = file("extra-raw", content);
        IdxFormatException e = assertFails(raw, "holds 3 more bytes than the header declares");
        assertEquals(raw + ": the file holds 3 more bytes than the header declares (4 bytes of data)", e.getMessage());

        Path gz = file("extra.gz", gzip(content));
        assertFails(gz, "holds 3 more bytes after decompression than the header declares");
    }

    @Test
    void multiMemberGzipIsRead() throws IOException {
        // ISIZE describes only the last member, so it disagrees with the header here.
        byte[] content = concat(IdxWriter.header(new int[] {2, 3}), new byte[] {1, 2, 3, 4, 5, 6});
        byte[] twoMembers = concat(gzip(Arrays.copyOf(content, 10)), gzip(Arrays.copyOfRange(content, 10, content.length)));
        IdxArray back = IdxReader.read(file("two-members.gz", twoMembers));
        assertArrayEquals(new int[] {2, 3}, back.dims());
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6}, back.data());
    }

    @Test
    void wrongMagic() throws IOException {
        Path f = file("picture.png", new byte[] {0x1F, 0x2E, 0, 0, 1, 2, 3, 4});
        IdxFormatException e = assertFails(f, "not an IDX file");
        assertEquals(f + ": not an IDX file (magic 0x1f2e0000, expected 0x0000 then type and rank)", e.getMessage());

        assertFails(file("one-byte", new byte[] {7}), "not an IDX file (starts with 0x07");
    }

    @Test
    void unsupportedTypes() throws IOException {
        Path f = file("floats-idx3", concat(new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1}, new byte[4]));
        IdxFormatException e = assertFails(f, "unsupported");
        assertEquals(f + ": unsupported element type 0x0D (float); clnet reads unsigned-byte IDX files",
                e.getMessage());

        String[] names = {"signed byte", "short", "int", "float", "double"};
        int[] types = {0x09, 0x0B, 0x0C, 0x0D, 0x0E};
        for (int i = 0; i < types.length; i++) {
            Path g = file("type-" + types[i], new byte[] {0, 0, (byte) types[i], 1, 0, 0, 0, 0});
            assertFails(g, String.format("unsupported element type 0x%02X (%s)", types[i], names[i]));
        }
        assertFails(file("type-7", new byte[] {0, 0, 7, 1, 0, 0, 0, 0}), "unknown element type 0x07");
    }

    @Test
    void badRankAndNegativeDimension() throws IOException {
        assertFails(file("rank0", new byte[] {0, 0, 8, 0}), "the header declares rank 0; clnet reads 1 to 8");
        assertFails(file("rank9", new byte[] {0, 0, 8, 9}), "the header declares rank 9");
        Path f = file("negative", new byte[] {0, 0, 8, 2, 0, 0, 0, 1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFB});
        assertFails(f, "dimension 2 of 2 is negative (-5)");
    }

    @Test
    void hugeDeclaredSizeFailsBeforeAllocating() throws IOException {
        // 2e9 bytes would need a 2 GB array; the check against the file size must come first.
        byte[] content = concat(IdxWriter.header(new int[] {2_000_000_000}), new byte[4]);
        Path raw = file("huge", content);
        IdxFormatException e = assertFails(raw, "truncated");
        assertEquals(raw + ": truncated: the header declares 2000000000 bytes of data but the file holds 4",
                e.getMessage());

        // gzip: deflate expands at most 1032-fold, so the compressed size bounds what may be allocated
        Path gz = file("huge.gz", gzip(content));
        assertFails(gz, "the header declares 2000000000 bytes of data but 29 gzip bytes decompress to at most 29928");

        byte[] overflow = concat(IdxWriter.header(new int[] {100_000, 100_000, 100_000}), new byte[4]);
        assertFails(file("overflow", overflow),
                "the header declares 100000 x 100000 x 100000 = 1000000000000000 bytes of data,"
                        + " more than a Java array holds");
    }

    @Test
    void emptyFiles() throws IOException {
        Path f = file("train-labels-idx1-ubyte", new byte[0]);
        IdxFormatException e = assertFails(f, "file is empty");
        assertEquals(f + ": file is empty", e.getMessage());

        assertFails(file("empty-stream.gz", gzip(new byte[0])), "the gzip stream is empty");
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = tmp.resolve("no-such-file");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> IdxReader.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

        assertFails(tmp, "is a directory");
    }

    private Path writeRaw(String name, IdxArray a) throws IOException {
        Path f = tmp.resolve(name);
        IdxWriter.write(f, a, false);
        return f;
    }

    private Path writeGzip(String name, IdxArray a) throws IOException {
        Path f = tmp.resolve(name);
        IdxWriter.write(f, a, true);
        return f;
    }
}
