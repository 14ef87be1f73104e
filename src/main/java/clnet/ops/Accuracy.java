package clnet.ops;

/**
 * The metric reported beside the loss, per sample, as Keras's metrics define it: how a
 * prediction counts as correct (0 or 1, except for {@link #BINARY} with several outputs,
 * where it is the fraction of outputs on the right side of 0.5), or, for regression, the
 * mean absolute error (Keras's {@code metrics=["mae"]}).
 */
public enum Accuracy {
    /** argmax of the prediction equals argmax of the one-hot target. */
    CATEGORICAL("accuracy"),
    /** argmax of the prediction equals the class index in the single target column. */
    SPARSE_CATEGORICAL("accuracy"),
    /** prediction > 0.5 agrees with target > 0.5, averaged over the outputs. */
    BINARY("accuracy"),
    /** mean over the outputs of |prediction − target|: a regression's metric. */
    MEAN_ABSOLUTE_ERROR("mae");

    private final String metricName;

    Accuracy(String metricName) {
        this.metricName = metricName;
    }

    /** The name in the logs and the history: {@code accuracy}, or {@code mae}. */
    public String metricName() {
        return metricName;
    }

    /** Whether a higher value is better (callbacks' mode). */
    public boolean higherIsBetter() {
        return this != MEAN_ABSOLUTE_ERROR;
    }
}
