package clnet.backend.cpu;

import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.tensor.Shape;
import org.ejml.data.FMatrixRMaj;

/** A CPU tensor: an EJML row-major matrix for FLOAT32, a plain array for INT32. */
final class CpuTensor extends Tensor {
    /** The float values; for a view, a matrix of fewer rows over the same array. */
    final FMatrixRMaj matrix;
    final int[] indices;

    CpuTensor(CpuBackend owner, Shape shape, DType dtype) {
        super(owner, shape, dtype);
        this.matrix = dtype == DType.FLOAT32 ? new FMatrixRMaj(shape.rows(), shape.cols()) : null;
        this.indices = dtype == DType.INT32 ? new int[shape.size()] : null;
    }

    private CpuTensor(CpuTensor parent, Shape shape) {
        super(parent, shape);
        // EJML keeps an array that may be longer than rows * cols, so a view is just a
        // matrix header with fewer rows over the same data.
        this.matrix = parent.matrix == null ? null : FMatrixRMaj.wrap(shape.rows(), shape.cols(), parent.matrix.data);
        this.indices = parent.indices;
    }

    /** The float values, row-major; longer than size() for a view. */
    float[] data() {
        return matrix.data;
    }

    @Override
    protected Tensor view(Shape shape) {
        return new CpuTensor(this, shape);
    }
}
