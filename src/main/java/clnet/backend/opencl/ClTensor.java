package clnet.backend.opencl;

import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.tensor.Shape;
import org.jocl.cl_mem;

/** A tensor in an OpenCL buffer. Views share their root's buffer and free nothing. */
final class ClTensor extends Tensor {
    private final cl_mem mem;

    ClTensor(OpenClBackend owner, Shape shape, DType dtype, cl_mem mem) {
        super(owner, shape, dtype);
        this.mem = mem;
    }

    private ClTensor(ClTensor parent, Shape shape) {
        super(parent, shape);
        this.mem = parent.mem;
    }

    /** The buffer; the backend's front has checked that it is still open. */
    cl_mem mem() {
        return mem;
    }

    long bytes() {
        return Math.max(4L, (long) size() * dtype().bytes());
    }

    @Override
    protected Tensor view(Shape shape) {
        return new ClTensor(this, shape);
    }
}
