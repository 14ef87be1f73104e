package clnet.backend;

import clnet.tensor.Shape;

/**
 * A buffer owned by a {@link Backend}: in device memory for OpenCL, in a Java array for
 * the CPU backend. Only its backend's ops read or write it; its values reach the host
 * through {@link Backend#download} and nowhere else, so no op hides a transfer.
 *
 * <p>Every tensor is a row-major matrix of {@link #rows()} by {@link #cols()} (see
 * {@link Shape}). {@link #firstRows(int)} gives a view of the leading rows, which is how
 * the last, shorter batch of an epoch reuses the buffers of a full one.
 */
public abstract class Tensor implements AutoCloseable {
    private final Shape shape;
    private final DType dtype;

    protected Tensor(Shape shape, DType dtype) {
        this.shape = shape;
        this.dtype = dtype;
    }

    public final Shape shape() {
        return shape;
    }

    public final DType dtype() {
        return dtype;
    }

    public final int rows() {
        return shape.rows();
    }

    public final int cols() {
        return shape.cols();
    }

    public final int size() {
        return shape.size();
    }

    /**
     * A view of the first {@code rows} rows, sharing this tensor's storage. Closing a view
     * frees nothing; the view must not be used after this tensor is closed.
     */
    public abstract Tensor firstRows(int rows);

    /** Frees the storage (a no-op for views and for a tensor already closed). */
    @Override
    public abstract void close();

    @Override
    public String toString() {
        return getClass().getSimpleName() + shape + " " + dtype;
    }
}
