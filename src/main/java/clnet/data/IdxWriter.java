package clnet.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes unsigned-byte IDX files, raw or gzip-compressed, in the layout
 * {@link IdxReader} reads.
 *
 * <p>Gzip output is deterministic: Java's {@link GZIPOutputStream} stores no file
 * name and a zero timestamp, so the same array gives the same bytes on every run
 * (with the same zlib).
 */
public final class IdxWriter {
    private IdxWriter() {
    }

    /** Writes {@code array} to {@code file}, gzip-compressed if the name ends in {@code .gz}. */
    public static void write(Path file, IdxArray array) throws IOException {
        write(file, array, file.getFileName().toString().endsWith(".gz"));
    }

    /**
     * Writes {@code array} to {@code file}, replacing it if it exists.
     *
     * @param gzip whether to gzip-compress the file
     */
    public static void write(Path file, IdxArray array, boolean gzip) throws IOException {
        try (OutputStream out = open(file, gzip)) {
            out.write(header(array.dims()));
            out.write(array.data());
        }
    }

    /** The IDX header for unsigned-byte data with these dimensions. */
    public static byte[] header(int[] dims) {
        ByteBuffer buf = ByteBuffer.allocate(4 + 4 * dims.length).order(ByteOrder.BIG_ENDIAN);
        buf.put((byte) 0).put((byte) 0).put((byte) IdxReader.TYPE_UNSIGNED_BYTE).put((byte) dims.length);
        for (int d : dims) {
            buf.putInt(d);
        }
        return buf.array();
    }

    private static OutputStream open(Path file, boolean gzip) throws IOException {
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        if (!gzip) {
            return out;
        }
        try {
            return new GZIPOutputStream(out, 1 << 16);
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }
}
