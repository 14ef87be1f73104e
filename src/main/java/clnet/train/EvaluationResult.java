package clnet.train;

/**
 * What {@code evaluate} returns: the mean loss and the accuracy over the samples, as
 * Keras's {@code [loss, accuracy]}.
 */
public record EvaluationResult(double loss, double accuracy, int samples) {
}
