package clnet.data;

import java.io.IOException;
import java.nio.file.Path;

/** A CSV file that is not a table clnet can use: the message is the path, then the problem (line, column). */
public final class CsvFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public CsvFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
