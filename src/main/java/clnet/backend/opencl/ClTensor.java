package clnet.backend.opencl;

import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;
import clnet.tensor.Shape;
import java.util.List;
import org.jocl.cl_mem;

/**
 * A tensor in an OpenCL buffer. Views share their root's buffer and free nothing; a tensor
 * group's parts are sub-buffers of its whole's buffer, released with it.
 */
final class ClTensor extends Tensor {
    private final cl_mem mem;
    /** For a group's whole: its parts' sub-buffers, released before the buffer; else empty. */
    private final List<cl_mem> subBuffers;

    ClTensor(OpenClBackend owner, Shape shape, DType dtype, cl_mem mem) {
        super(owner, shape, dtype);
        this.mem = mem;
        this.subBuffers = List.of();
    }

    private ClTensor(ClTensor parent, Shape shape) {
        super(parent, shape);
        this.mem = parent.mem;
        this.subBuffers = List.of();
    }

    /** A group's whole, holding {@code mem} and the parts' {@code subBuffers}. */
    ClTensor(OpenClBackend owner, TensorGroup.Layout layout, cl_mem mem, List<cl_mem> subBuffers) {
        super(owner, layout);
        this.mem = mem;
        this.subBuffers = List.copyOf(subBuffers);
    }

    /** A part of a group: a view of {@code whole} over one of its sub-buffers. */
    ClTensor(ClTensor whole, Shape shape, cl_mem subBuffer) {
        super(whole, shape);
        this.mem = subBuffer;
        this.subBuffers = List.of();
    }

    /** The buffer; the backend's front has checked that it is still open. */
    cl_mem mem() {
        return mem;
    }

    List<cl_mem> subBuffers() {
        return subBuffers;
    }

    long bytes() {
        return Math.max(4L, (long) size() * dtype().bytes());
    }

    @Override
    protected Tensor view(Shape shape) {
        return new ClTensor(this, shape);
    }
}
