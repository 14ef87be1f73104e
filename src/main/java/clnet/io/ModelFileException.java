package clnet.io;

import java.io.IOException;

/** A model file that cannot be read: the message names the file and what is wrong with it. */
public final class ModelFileException extends IOException {
    public ModelFileException(String message) {
        super(message);
    }
}
