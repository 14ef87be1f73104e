package clnet.ops;

import java.util.Locale;

/**
 * The losses, as Keras defines them. Each is a per-sample value; what a model reports
 * and differentiates is the mean over the samples of a batch.
 *
 * <ul>
 *   <li>categorical cross-entropy: -Σ_j y_j log p_j, with p rescaled to sum to 1 and
 *       clipped to [ε, 1-ε], ε = 1e-7;</li>
 *   <li>sparse categorical cross-entropy: the same with the target given as a class
 *       index (one column) instead of a one-hot row;</li>
 *   <li>binary cross-entropy: -mean_j [y_j log p_j + (1-y_j) log(1-p_j)], p clipped;</li>
 *   <li>mean squared error: mean_j (y_j - p_j)²;</li>
 *   <li>mean absolute error: mean_j |y_j - p_j|.</li>
 * </ul>
 */
public enum Loss {
    CATEGORICAL_CROSSENTROPY("categorical_crossentropy"),
    SPARSE_CATEGORICAL_CROSSENTROPY("sparse_categorical_crossentropy"),
    BINARY_CROSSENTROPY("binary_crossentropy"),
    MEAN_SQUARED_ERROR("mean_squared_error"),
    MEAN_ABSOLUTE_ERROR("mean_absolute_error");

    /** Keras's fuzz factor: probabilities are clipped to [EPSILON, 1 - EPSILON]. */
    public static final float EPSILON = 1e-7f;

    private final String id;

    Loss(String id) {
        this.id = id;
    }

    /** The Keras name. */
    public String id() {
        return id;
    }

    public static Loss parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "categorical_crossentropy", "cce" -> CATEGORICAL_CROSSENTROPY;
            case "sparse_categorical_crossentropy", "scce" -> SPARSE_CATEGORICAL_CROSSENTROPY;
            case "binary_crossentropy", "bce" -> BINARY_CROSSENTROPY;
            case "mean_squared_error", "mse" -> MEAN_SQUARED_ERROR;
            case "mean_absolute_error", "mae" -> MEAN_ABSOLUTE_ERROR;
            default -> throw new IllegalArgumentException("unknown loss '" + name
                    + "' (known: categorical_crossentropy, sparse_categorical_crossentropy,"
                    + " binary_crossentropy, mean_squared_error (mse), mean_absolute_error (mae))");
        };
    }

    /** How many target columns a sample has, for a model with {@code outputs} outputs. */
    public int targetColumns(int outputs) {
        return this == SPARSE_CATEGORICAL_CROSSENTROPY ? 1 : outputs;
    }

    /**
     * The accuracy Keras 3 picks for {@code metrics=["accuracy"]}: by shape, not by loss.
     * One output is binary accuracy; one target column (class indices) for several
     * outputs is sparse categorical; anything else, binary cross-entropy on one-hot rows
     * included, is categorical.
     */
    public Accuracy accuracy(int outputs) {
        if (outputs == 1) {
            return Accuracy.BINARY;
        }
        if (targetColumns(outputs) == 1) {
            return Accuracy.SPARSE_CATEGORICAL;
        }
        return Accuracy.CATEGORICAL;
    }

    @Override
    public String toString() {
        return id;
    }
}
