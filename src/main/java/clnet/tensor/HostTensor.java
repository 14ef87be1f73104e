package clnet.tensor;

import java.util.Arrays;

/**
 * A float32 tensor in host memory: a row-major {@code float[]} with a {@link Shape}.
 * This is what users hand to {@code fit}, {@code evaluate} and {@code predict}, and
 * what {@code predict} returns; backends copy it to and from their own buffers.
 */
public final class HostTensor {
    private final Shape shape;
    private final float[] data;

    public HostTensor(Shape shape, float[] data) {
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("shape " + shape + " needs " + shape.size()
                    + " values, got " + data.length);
        }
        this.shape = shape;
        this.data = data;
    }

    public static HostTensor zeros(int... dims) {
        Shape s = Shape.of(dims);
        return new HostTensor(s, new float[s.size()]);
    }

    public static HostTensor of(Shape shape, float... data) {
        return new HostTensor(shape, data);
    }

    public Shape shape() {
        return shape;
    }

    /** The backing array, row-major; not a copy. */
    public float[] data() {
        return data;
    }

    public int rows() {
        return shape.rows();
    }

    public int cols() {
        return shape.cols();
    }

    public float get(int row, int col) {
        return data[row * cols() + col];
    }

    public void set(int row, int col, float value) {
        data[row * cols() + col] = value;
    }

    /** The same values with another shape of the same size (shares the array). */
    public HostTensor reshape(int... dims) {
        return new HostTensor(Shape.of(dims), data);
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive), copied. */
    public HostTensor rowRange(int from, int to) {
        if (from < 0 || to > rows() || from > to) {
            throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of " + rows());
        }
        int c = cols();
        return new HostTensor(shape.withRows(to - from), Arrays.copyOfRange(data, from * c, to * c));
    }

    /** Index of the largest value in a row (the first one on ties, as numpy's argmax). */
    public int argmaxRow(int row) {
        return argmax(data, row * cols(), cols());
    }

    /** Index (from {@code offset}) of the largest of {@code n} values; the first one on ties. */
    public static int argmax(float[] values, int offset, int n) {
        int best = 0;
        for (int j = 1; j < n; j++) {
            if (values[offset + j] > values[offset + best]) {
                best = j;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "HostTensor" + shape;
    }
}
