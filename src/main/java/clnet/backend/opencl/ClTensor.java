package clnet.backend.opencl;

import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.tensor.Shape;
import org.jocl.cl_mem;

/** A tensor in an OpenCL buffer. Views share the buffer and free nothing. */
final class ClTensor extends Tensor {
    private final OpenClBackend owner;
    private cl_mem mem;
    private final boolean view;
    private final ClTensor parent;

    ClTensor(OpenClBackend owner, Shape shape, DType dtype, cl_mem mem) {
        super(shape, dtype);
        this.owner = owner;
        this.mem = mem;
        this.view = false;
        this.parent = null;
    }

    private ClTensor(ClTensor parent, Shape shape) {
        super(shape, parent.dtype());
        this.owner = parent.owner;
        this.mem = null;
        this.view = true;
        this.parent = parent;
    }

    OpenClBackend owner() {
        return owner;
    }

    /** The buffer; throws if this tensor (or the one it views) was closed. */
    cl_mem mem() {
        cl_mem m = view ? parent.mem : mem;
        if (m == null) {
            throw new IllegalStateException("tensor " + shape() + " used after close()");
        }
        return m;
    }

    long bytes() {
        return (long) size() * dtype().bytes();
    }

    @Override
    public Tensor firstRows(int rows) {
        if (rows < 0 || rows > rows()) {
            throw new IllegalArgumentException("view of " + rows + " rows of a tensor " + shape());
        }
        mem(); // fail now if closed
        return new ClTensor(view ? parent : this, shape().withRows(rows));
    }

    @Override
    public void close() {
        if (!view && mem != null) {
            owner.release(this, mem);
            mem = null;
        }
    }
}
