package clnet.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a well-formed IDX file clnet can read: wrong magic, an
 * unsupported element type, a header that disagrees with the amount of data, a
 * corrupt gzip stream.
 *
 * <p>The message is always one line that starts with the file's path, then says
 * what is wrong, so that it can be shown to a user as is:
 * {@code data/mnist/train-labels-idx1-ubyte: file is empty}.
 */
public class IdxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    // Path is not Serializable; the message keeps the path for a deserialized copy.
    private final transient Path file;

    /**
     * @param file the file that is wrong
     * @param problem what is wrong with it, one line, without the path
     */
    public IdxFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /**
     * @param file the file that is wrong
     * @param problem what is wrong with it, one line, without the path
     * @param cause the low-level error (for example a {@link java.util.zip.ZipException})
     */
    public IdxFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the message is about. */
    public Path file() {
        return file;
    }
}
