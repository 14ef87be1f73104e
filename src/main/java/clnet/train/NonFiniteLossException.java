package clnet.train;

/**
 * Training stopped because the loss became NaN or infinite: the weights are lost to it,
 * and every later step would only spread the NaN. Keras keeps going unless given a
 * TerminateOnNaN callback; clnet always stops, with this error.
 */
public final class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(String message) {
        super(message);
    }
}
