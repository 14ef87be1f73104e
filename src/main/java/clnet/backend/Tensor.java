package clnet.backend;

import clnet.tensor.Shape;

/**
 * A buffer owned by a {@link Backend}: in device memory for OpenCL, in a Java array for
 * the CPU backend. Only its backend's ops read or write it; its values reach the host
 * through {@link Backend#download} and nowhere else, so no op hides a transfer.
 *
 * <p>Every tensor is a row-major matrix of {@link #rows()} by {@link #cols()} (see
 * {@link Shape}). {@link #firstRows(int)} gives a view of the leading rows, which is how
 * the last, shorter batch of an epoch reuses the buffers of a full one; the parts of a
 * {@link TensorGroup} are views of its whole. A view is closed
 * when the tensor it views is closed, and every tensor is closed when its backend is: the
 * backend's ops refuse closed tensors, the same way in every backend.
 */
public abstract class Tensor implements AutoCloseable {
    private final Backend owner;
    private final Shape shape;
    private final DType dtype;
    /** The tensor this one views, or null for a tensor that owns its storage. */
    private final Tensor parent;
    /** For the whole of a {@link TensorGroup}, where its parts lie; null for every other tensor. */
    private final TensorGroup.Layout groupLayout;
    private boolean closed;

    /** A tensor with storage of its own. */
    protected Tensor(Backend owner, Shape shape, DType dtype) {
        this.owner = owner;
        this.shape = shape;
        this.dtype = dtype;
        this.parent = null;
        this.groupLayout = null;
    }

    /** The whole of a tensor group: a float32 row of {@code layout.size()} elements that owns the storage. */
    protected Tensor(Backend owner, TensorGroup.Layout layout) {
        this.owner = owner;
        this.shape = Shape.of(1, layout.size());
        this.dtype = DType.FLOAT32;
        this.parent = null;
        this.groupLayout = layout;
    }

    /**
     * A view of the first rows of {@code parent}, or a part of the group whose whole is
     * {@code parent} (never of a view: views share the root, and are closed with it).
     */
    protected Tensor(Tensor parent, Shape shape) {
        this.owner = parent.owner;
        this.shape = shape;
        this.dtype = parent.dtype;
        this.parent = parent.parent == null ? parent : parent.parent;
        this.groupLayout = null;
    }

    public final Backend owner() {
        return owner;
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

    /** Where the parts of the group lie, for a group's whole ({@link TensorGroup#whole()}); else null. */
    public final TensorGroup.Layout groupLayout() {
        return groupLayout;
    }

    /** The tensor whose storage this one uses: itself, or the tensor a view views. */
    protected final Tensor root() {
        return parent == null ? this : parent;
    }

    /** True once this tensor, the tensor it views, or its backend is closed. */
    public final boolean isClosed() {
        synchronized (owner) {
            return root().closed || owner.isClosed();
        }
    }

    /**
     * A view of the first {@code rows} rows, sharing this tensor's storage. Closing a view
     * frees nothing; a view is closed with the tensor it views.
     */
    public final Tensor firstRows(int rows) {
        if (isClosed()) {
            throw new IllegalStateException("firstRows: tensor " + this + " used after close()");
        }
        if (groupLayout != null) {
            throw new IllegalArgumentException("firstRows: a tensor group's whole has no row views; use its parts");
        }
        if (rows < 0 || rows > rows()) {
            throw new IllegalArgumentException("view of " + rows + " rows of a tensor " + shape);
        }
        return view(shape.withRows(rows));
    }

    /** A view of this tensor's storage with {@code shape} (fewer or as many rows); see {@link #Tensor(Tensor, Shape)}. */
    protected abstract Tensor view(Shape shape);

    /** Frees the storage (a no-op for views, for a tensor already closed, and after the backend's close). */
    @Override
    public final void close() {
        if (parent != null) {
            return;
        }
        synchronized (owner) {
            if (!closed) {
                closed = true;
                owner.releaseTensor(this);
            }
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + shape + " " + dtype;
    }
}
