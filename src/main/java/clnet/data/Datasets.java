package clnet.data;

import clnet.tensor.HostTensor;
import clnet.tensor.Shape;

/**
 * Turns raw data into the tensors {@code fit} and {@code evaluate} take, with the
 * same conventions as Keras, so that numbers can be compared with a Keras run.
 */
public final class Datasets {
    private Datasets() {
    }

    /**
     * Training and validation parts of a data set. When there is no validation part
     * (a fraction of 0), {@code xVal} and {@code yVal} have zero rows.
     */
    public record Split(HostTensor xTrain, HostTensor yTrain, HostTensor xVal, HostTensor yVal) {
        /** Whether there are validation rows. */
        public boolean hasValidation() {
            return xVal.rows() > 0;
        }
    }

    /**
     * One-hot encodes class indices, as Keras's {@code to_categorical(labels, numClasses)}:
     * row {@code i} is all zeros but a 1 in column {@code labels[i]}.
     *
     * @return a tensor of shape (labels.length, numClasses)
     * @throws IllegalArgumentException if {@code numClasses < 1} or a label is outside [0, numClasses)
     */
    public static HostTensor toCategorical(int[] labels, int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        float[] data = new float[Math.multiplyExact(labels.length, numClasses)];
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i];
            if (label < 0 || label >= numClasses) {
                throw new IllegalArgumentException("label " + label + " at index " + i
                        + " is outside [0, " + numClasses + ")");
            }
            data[i * numClasses + label] = 1f;
        }
        return new HostTensor(Shape.of(labels.length, numClasses), data);
    }

    /**
     * Class indices as a float column of shape (labels.length, 1): the targets of
     * sparse categorical cross-entropy.
     */
    public static HostTensor labelColumn(int[] labels) {
        float[] data = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            data[i] = labels[i];
        }
        return new HostTensor(Shape.of(labels.length, 1), data);
    }

    /**
     * Unsigned bytes scaled to [0, 1] by dividing by 255 in float32, as Keras examples
     * do with {@code x.astype("float32") / 255}. Each item becomes one row.
     *
     * @return a tensor of shape (a.count(), a.itemSize())
     */
    public static HostTensor fromUnsignedBytes(IdxArray a) {
        byte[] bytes = a.data();
        float[] data = new float[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            data[i] = (bytes[i] & 0xFF) / 255f;
        }
        return new HostTensor(Shape.of(a.count(), a.itemSize()), data);
    }

    /**
     * Splits off the last rows for validation, as Keras's {@code fit(validation_split=...)}:
     * no shuffling, the first {@code floor(n * (1 - validationFraction))} rows train and
     * the rest validate. The arithmetic is the same double-precision expression Keras
     * evaluates, so the row counts match it exactly (for 10 rows and 0.3, 7 train rows).
     *
     * @param validationFraction in [0, 1); 0 means no validation rows
     * @throws IllegalArgumentException if the fraction is outside [0, 1), x and y have
     *         different row counts, or a fraction above 0 leaves either part empty
     */
    public static Split splitLast(HostTensor x, HostTensor y, double validationFraction) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validationFraction);
        }
        int n = x.rows();
        if (y.rows() != n) {
            throw new IllegalArgumentException("x has " + n + " rows but y has " + y.rows());
        }
        if (validationFraction == 0) {
            return new Split(x, y, x.rowRange(n, n), y.rowRange(n, n));
        }
        int splitAt = (int) Math.floor(n * (1.0 - validationFraction));
        if (splitAt == 0 || splitAt == n) {
            throw new IllegalArgumentException(n + " samples are too few to split with validation fraction "
                    + validationFraction + ": " + splitAt + " would train and " + (n - splitAt) + " would validate");
        }
        return new Split(x.rowRange(0, splitAt), y.rowRange(0, splitAt), x.rowRange(splitAt, n), y.rowRange(splitAt, n));
    }

    /**
     * The most values one data matrix may hold, checked before it is allocated: what a Java
     * array holds, and no more than half the heap (training needs room beside it).
     */
    public static long maxValues() {
        return Math.min(Integer.MAX_VALUE - 8, Runtime.getRuntime().maxMemory() / Float.BYTES / 2);
    }

    /**
     * The row indices of a seeded shuffle of {@code n} rows cut in two: {train, test}, the test
     * part {@code testFraction} of the rows, rounded, and at least one row in each.
     */
    public static int[][] shuffledSplit(int n, double testFraction, long seed) {
        if (n < 2) {
            throw new IllegalArgumentException(n + " samples cannot be split into a training and a test part");
        }
        int test = Math.max(1, Math.min(n - 1, (int) Math.round(n * testFraction)));
        int[] order = new clnet.tensor.Rng(seed).permutation(n);
        return new int[][] {java.util.Arrays.copyOfRange(order, test, n), java.util.Arrays.copyOfRange(order, 0, test)};
    }
}
