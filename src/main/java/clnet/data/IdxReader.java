package clnet.data;

import clnet.files.SafeFiles;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format MNIST is distributed in, raw or gzip-compressed.
 *
 * <p>An IDX file is big-endian: two zero bytes, an element-type byte, a rank byte,
 * then one 4-byte size per dimension, then the elements in row-major order. clnet
 * reads only unsigned-byte files (type {@code 0x08}), which is what MNIST uses.
 *
 * <p>Everything the header claims is checked against the file before the data
 * array is allocated, so a damaged or foreign file fails at once with an
 * {@link IdxFormatException} whose one-line message names the file and the
 * problem, instead of an {@link OutOfMemoryError} or a bare {@link EOFException}.
 * Compression is recognised from the content (the gzip magic {@code 1f 8b}), not
 * from the file name.
 */
public final class IdxReader {
    /** The IDX element-type byte for unsigned bytes, the only type clnet reads. */
    public static final int TYPE_UNSIGNED_BYTE = 0x08;

    // A gzip member is at least a 10-byte header, a 2-byte empty deflate block and an 8-byte trailer.
    private static final int GZIP_MIN_LENGTH = 20;
    private static final int BUFFER_SIZE = 1 << 16;
    /** The most a deflate stream expands: 258 bytes per 2-bit code, about 1032 to 1. */
    static final long DEFLATE_MAX_RATIO = 1032;

    private IdxReader() {
    }

    /** What a valid header says. */
    private record Header(int[] dims, int length, int dataLength) {
        String describeData() {
            String size = dims.length == 1 ? "" : IdxArray.describe(dims) + " = ";
            return size + dataLength + " bytes of data";
        }
    }

    /**
     * Reads an unsigned-byte IDX file, raw or gzip-compressed.
     *
     * @throws java.nio.file.NoSuchFileException if the file does not exist (the message is its path)
     * @throws IdxFormatException if the file is not a complete, well-formed unsigned-byte IDX file
     * @throws IOException on other read errors
     */
    public static IdxArray read(Path file) throws IOException {
        String problem = SafeFiles.unreadable(file, "an IDX file");
        if (problem != null) {
            if (problem.equals("no such file")) {
                throw new java.nio.file.NoSuchFileException(file.toString(), null, problem);
            }
            throw new IdxFormatException(file, problem);
        }
        long fileSize = Files.size(file);
        if (fileSize == 0) {
            throw new IdxFormatException(file, "file is empty");
        }
        return isGzip(file) ? readGzip(file, fileSize) : readRaw(file, fileSize);
    }

    /** Whether the file starts with the gzip magic bytes {@code 1f 8b}. */
    static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] start = in.readNBytes(2);
            return start.length == 2 && (start[0] & 0xFF) == 0x1F && (start[1] & 0xFF) == 0x8B;
        }
    }

    private static IdxArray readRaw(Path file, long fileSize) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), BUFFER_SIZE)) {
            Header header = readHeader(file, in);
            long available = fileSize - header.length();
            checkDataLength(file, header, available, "");
            return readData(file, in, header);
        }
    }

    private static IdxArray readGzip(Path file, long fileSize) throws IOException {
        // ISIZE, the last four bytes, is the uncompressed length mod 2^32. Only a hint: a
        // truncated file ends in arbitrary bytes, and a multi-member file records only its
        // last member. So a mismatch is confirmed by decompressing before it is reported.
        long trailerSize = fileSize >= GZIP_MIN_LENGTH ? readGzipTrailerSize(file, fileSize) : -1;
        try {
            Header header;
            try (InputStream in = openGzip(file)) {
                header = readHeader(file, in);
                // deflate expands at most 1032-fold: a header claiming more than the compressed
                // bytes can hold is refused before anything is allocated for it
                if ((long) header.length() + header.dataLength() > DEFLATE_MAX_RATIO * fileSize) {
                    throw new IdxFormatException(file, "the header declares " + header.describeData() + " but "
                            + fileSize + " gzip bytes decompress to at most " + DEFLATE_MAX_RATIO * fileSize);
                }
                long expectedTotal = (long) header.length() + header.dataLength();
                if ((expectedTotal & 0xFFFFFFFFL) == trailerSize) {
                    return readData(file, in, header);
                }
                long available = countRemaining(file, in, header);
                checkDataLength(file, header, available, " after decompression");
            }
            // The stream holds exactly the declared amount although ISIZE disagreed
            // (several gzip members): read it again, now that the size is known to be right.
            try (InputStream in = openGzip(file)) {
                readHeader(file, in);
                return readData(file, in, header);
            }
        } catch (EOFException | ZipException e) {
            throw corruptGzip(file, e);
        }
    }

    private static InputStream openGzip(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER_SIZE);
        try {
            return new GZIPInputStream(raw, BUFFER_SIZE);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static IdxFormatException corruptGzip(Path file, IOException cause) {
        return new IdxFormatException(file, "truncated or corrupt gzip stream (" + detail(cause) + ")", cause);
    }

    /** The low-level reason, readable also when the exception carries no message. */
    private static String detail(IOException e) {
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        return e instanceof EOFException ? "unexpected end of file" : e.getClass().getSimpleName();
    }

    /** The gzip ISIZE field: the last four bytes of the file, little-endian, unsigned. */
    private static long readGzipTrailerSize(Path file, long fileSize) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(file)) {
            ByteBuffer trailer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.position(fileSize - 4);
            while (trailer.hasRemaining()) {
                if (channel.read(trailer) < 0) {
                    throw new IdxFormatException(file, "file shrank while being read");
                }
            }
            return trailer.getInt(0) & 0xFFFFFFFFL;
        }
    }

    /** Reads and checks the magic number and the dimensions. */
    private static Header readHeader(Path file, InputStream in) throws IOException {
        byte[] magic = in.readNBytes(4);
        if (magic.length == 0) {
            throw new IdxFormatException(file, "the gzip stream is empty (no IDX header)");
        }
        for (int i = 0; i < Math.min(2, magic.length); i++) {
            if (magic[i] != 0) {
                throw new IdxFormatException(file, "not an IDX file (" + describeMagic(magic)
                        + ", expected 0x0000 then type and rank)");
            }
        }
        if (magic.length < 4) {
            throw new IdxFormatException(file, "truncated: an IDX header needs at least 4 bytes but the file holds "
                    + magic.length);
        }
        int type = magic[2] & 0xFF;
        if (type != TYPE_UNSIGNED_BYTE) {
            String name = typeName(type);
            String what = name == null ? "unknown element type " + hexByte(type)
                    : "unsupported element type " + hexByte(type) + " (" + name + ")";
            throw new IdxFormatException(file, what + "; clnet reads unsigned-byte IDX files");
        }
        int rank = magic[3] & 0xFF;
        if (rank < 1 || rank > IdxArray.MAX_RANK) {
            throw new IdxFormatException(file, "the header declares rank " + rank + "; clnet reads 1 to "
                    + IdxArray.MAX_RANK + " dimensions");
        }
        int headerLength = 4 + 4 * rank;
        byte[] sizes = in.readNBytes(4 * rank);
        if (sizes.length < 4 * rank) {
            throw new IdxFormatException(file, "truncated: the header declares rank " + rank + ", which needs "
                    + headerLength + " header bytes, but the file holds " + (4 + sizes.length));
        }
        ByteBuffer buf = ByteBuffer.wrap(sizes).order(ByteOrder.BIG_ENDIAN);
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = buf.getInt();
            if (dims[i] < 0) {
                throw new IdxFormatException(file, "dimension " + (i + 1) + " of " + rank
                        + " is negative (" + dims[i] + ")");
            }
        }
        BigInteger product = BigInteger.ONE;
        int overflowAt = -1; // no shape may pass 2^31 - 1 on the way, even when a later dimension is 0
        for (int i = 0; i < rank; i++) {
            product = product.multiply(BigInteger.valueOf(dims[i]));
            if (overflowAt < 0 && product.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
                overflowAt = i;
            }
        }
        if (overflowAt >= 0 && product.signum() == 0) {
            throw new IdxFormatException(file, "the header declares " + IdxArray.describe(dims) + ", whose first "
                    + (overflowAt + 1) + " dimensions already exceed " + Integer.MAX_VALUE + " elements");
        }
        if (product.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
            throw new IdxFormatException(file, "the header declares " + IdxArray.describe(dims) + " = " + product
                    + " bytes of data, more than a Java array holds (" + Integer.MAX_VALUE + ")");
        }
        return new Header(dims, headerLength, product.intValue());
    }

    /** Fails unless exactly the declared number of data bytes is available. */
    private static void checkDataLength(Path file, Header header, long available, String how)
            throws IdxFormatException {
        if (available < header.dataLength()) {
            throw new IdxFormatException(file, "truncated: the header declares " + header.describeData()
                    + " but the file holds " + available + how);
        }
        if (available > header.dataLength()) {
            throw new IdxFormatException(file, "the file holds " + (available - header.dataLength())
                    + " more bytes" + how + " than the header declares (" + header.describeData() + ")");
        }
    }

    /** Reads the declared data and checks that the stream ends right after it. */
    private static IdxArray readData(Path file, InputStream in, Header header) throws IOException {
        byte[] data = new byte[header.dataLength()];
        int read = in.readNBytes(data, 0, data.length);
        if (read < data.length) {
            throw new IdxFormatException(file, "truncated: the header declares " + header.describeData()
                    + " but the data ends after " + read);
        }
        long extra = in.transferTo(OutputStream.nullOutputStream());
        if (extra > 0) {
            throw new IdxFormatException(file, "the file holds " + extra
                    + " more bytes than the header declares (" + header.describeData() + ")");
        }
        return new IdxArray(header.dims(), data);
    }

    /**
     * Counts the bytes left in a gzip stream without keeping them. A stream that breaks
     * off is reported with how much data it held before it did.
     */
    private static long countRemaining(Path file, InputStream in, Header header) throws IOException {
        byte[] buffer = new byte[BUFFER_SIZE];
        long count = 0;
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                count += n;
            }
        } catch (EOFException | ZipException e) {
            throw new IdxFormatException(file, "truncated or corrupt gzip stream: the header declares "
                    + header.describeData() + " but the stream breaks off after " + count + " bytes ("
                    + detail(e) + ")", e);
        }
        return count;
    }

    private static String describeMagic(byte[] magic) {
        StringBuilder sb = new StringBuilder(magic.length == 4 ? "magic 0x" : "starts with 0x");
        for (byte b : magic) {
            sb.append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }

    private static String hexByte(int value) {
        return String.format("0x%02X", value);
    }

    /** The name of an IDX element type, or null for a byte that is no IDX type. */
    static String typeName(int type) {
        return switch (type) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "short";
            case 0x0C -> "int";
            case 0x0D -> "float";
            case 0x0E -> "double";
            default -> null;
        };
    }
}
