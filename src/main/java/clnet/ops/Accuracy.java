package clnet.ops;

/**
 * How a prediction counts as correct, per sample, as Keras's accuracy metrics do.
 * The per-sample value is 0 or 1, except for {@link #BINARY} with several outputs, where
 * it is the fraction of outputs on the right side of 0.5.
 */
public enum Accuracy {
    /** argmax of the prediction equals argmax of the one-hot target. */
    CATEGORICAL,
    /** argmax of the prediction equals the class index in the single target column. */
    SPARSE_CATEGORICAL,
    /** prediction > 0.5 agrees with target > 0.5, averaged over the outputs. */
    BINARY
}
