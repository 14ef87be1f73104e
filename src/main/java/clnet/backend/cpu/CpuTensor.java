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
    private final boolean view;
    private boolean closed;

    CpuTensor(Shape shape, DType dtype) {
        this(shape, dtype,
                dtype == DType.FLOAT32 ? new FMatrixRMaj(shape.rows(), shape.cols()) : null,
                dtype == DType.INT32 ? new int[shape.size()] : null, false);
    }

    private CpuTensor(Shape shape, DType dtype, FMatrixRMaj matrix, int[] indices, boolean view) {
        super(shape, dtype);
        this.matrix = matrix;
        this.indices = indices;
        this.view = view;
    }

    /** The float values, row-major; longer than size() for a view. */
    float[] data() {
        checkOpen();
        return matrix.data;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tensor " + shape() + " used after close()");
        }
    }

    @Override
    public Tensor firstRows(int rows) {
        checkOpen();
        if (rows < 0 || rows > rows()) {
            throw new IllegalArgumentException("view of " + rows + " rows of a tensor " + shape());
        }
        if (rows == rows()) {
            return new CpuTensor(shape(), dtype(), matrix, indices, true);
        }
        // EJML keeps an array that is longer than rows * cols, so a view is just a
        // matrix header with fewer rows over the same data.
        FMatrixRMaj m = matrix == null ? null : FMatrixRMaj.wrap(rows, cols(), matrix.data);
        return new CpuTensor(shape().withRows(rows), dtype(), m, indices, true);
    }

    @Override
    public void close() {
        if (!view) {
            closed = true;
        }
    }
}
