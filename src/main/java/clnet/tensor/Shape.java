package clnet.tensor;

import java.util.Arrays;

/**
 * The dimensions of a tensor, outermost first. Immutable.
 *
 * <p>clnet is batch-major: the first dimension is the sample index, so a batch of
 * 128 flattened MNIST images has shape (128, 784). Backends see every tensor as a
 * row-major matrix of {@link #rows()} by {@link #cols()}.
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    public static Shape of(int... dims) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("a shape needs at least one dimension");
        }
        long size = 1;
        long cols = 1; // checked apart: a first dimension of 0 makes the size 0 whatever the columns
        for (int i = 0; i < dims.length; i++) {
            int d = dims[i];
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            }
            size *= d;
            cols = i == 0 ? 1 : cols * d;
            if (size > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims)
                        + " has more than " + Integer.MAX_VALUE + (size > Integer.MAX_VALUE ? " elements"
                        : " features per row"));
            }
        }
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements. */
    public int size() {
        int size = 1;
        for (int d : dims) {
            size *= d;
        }
        return size;
    }

    /** The first dimension (samples). */
    public int rows() {
        return dims[0];
    }

    /** The product of all dimensions but the first (features per sample). */
    public int cols() {
        int cols = 1;
        for (int i = 1; i < dims.length; i++) {
            cols *= dims[i];
        }
        return cols;
    }

    /** This shape with the first dimension replaced. */
    public Shape withRows(int rows) {
        int[] d = dims.clone();
        d[0] = rows;
        return Shape.of(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Python tuple notation, as Keras prints shapes: (128, 784). */
    @Override
    public String toString() {
        if (dims.length == 1) {
            return "(" + dims[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(dims[i]);
        }
        return sb.append(')').toString();
    }
}
