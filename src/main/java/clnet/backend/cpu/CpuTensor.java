package clnet.backend.cpu;

import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;
import clnet.tensor.Shape;
import org.ejml.data.FMatrixRMaj;

/**
 * A CPU tensor: an EJML row-major matrix for FLOAT32, a plain array for INT32. A tensor
 * group's parts are matrices of their own (Java arrays cannot overlap), and its whole is
 * the list of those arrays with the zero padding between them ({@link #segments}).
 */
final class CpuTensor extends Tensor {
    /** The float values; for a view, a matrix of fewer rows over the same array; null for a group's whole. */
    final FMatrixRMaj matrix;
    final int[] indices;
    /** For a group's whole: its parts' arrays and the padding between them, in order; else null. */
    final float[][] segments;

    CpuTensor(CpuBackend owner, Shape shape, DType dtype) {
        super(owner, shape, dtype);
        this.matrix = dtype == DType.FLOAT32 ? new FMatrixRMaj(shape.rows(), shape.cols()) : null;
        this.indices = dtype == DType.INT32 ? new int[shape.size()] : null;
        this.segments = null;
    }

    private CpuTensor(CpuTensor parent, Shape shape) {
        super(parent, shape);
        // EJML keeps an array that may be longer than rows * cols, so a view is just a
        // matrix header with fewer rows over the same data.
        this.matrix = parent.matrix == null ? null : FMatrixRMaj.wrap(shape.rows(), shape.cols(), parent.matrix.data);
        this.indices = parent.indices;
        this.segments = null;
    }

    /** The whole of a group whose parts are {@code parts}' arrays, padded as {@code layout} says. */
    private CpuTensor(CpuBackend owner, TensorGroup.Layout layout, float[][] segments) {
        super(owner, layout);
        this.matrix = null;
        this.indices = null;
        this.segments = segments;
    }

    /** A part of a group: a view of {@code whole} (closed with it) with an array of its own. */
    private CpuTensor(CpuTensor whole, Shape shape, FMatrixRMaj own) {
        super(whole, shape);
        this.matrix = own;
        this.indices = null;
        this.segments = null;
    }

    /** A zero-filled group: one array per part, zero arrays for the padding. */
    static TensorGroup group(CpuBackend owner, TensorGroup.Layout layout) {
        int n = layout.shapes().size();
        FMatrixRMaj[] parts = new FMatrixRMaj[n];
        java.util.List<float[]> segments = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            int padding = layout.offsets().get(i) - (i == 0 ? 0 : layout.offsets().get(i - 1) + layout.partSize(i - 1));
            if (padding > 0) {
                segments.add(new float[padding]);
            }
            Shape s = layout.shapes().get(i);
            parts[i] = new FMatrixRMaj(s.rows(), s.cols());
            segments.add(parts[i].data);
        }
        CpuTensor whole = new CpuTensor(owner, layout, segments.toArray(new float[0][]));
        java.util.List<Tensor> views = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            views.add(new CpuTensor(whole, layout.shapes().get(i), parts[i]));
        }
        return new TensorGroup(whole, views);
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
