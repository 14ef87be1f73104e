package clnet.train;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.tensor.HostTensor;

/**
 * A dataset kept on the host, a batch uploaded at a time: one too large for device
 * memory, or one read once in order (evaluate, predict), whose batches are consecutive
 * rows uploaded straight from the host arrays. In a shuffled order, each batch is
 * assembled on the host and uploaded. The backend's uploads are
 * asynchronous and double-buffered, so the host assembles batch i + 1 while the device
 * still works on batch i.
 */
final class StreamedDataset implements BatchSource {
    private final Backend backend;
    private final HostTensor x;
    private final HostTensor y;
    private int[] order;
    /** Until an order is set, batches are consecutive rows, uploaded straight from the host arrays. */
    private boolean inOrder = true;
    private float[] xStage = new float[0];
    private float[] yStage = new float[0];

    StreamedDataset(Backend backend, HostTensor x, HostTensor y) {
        this.backend = backend;
        this.x = x;
        this.y = y;
        this.order = new int[x.rows()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
    }

    @Override
    public int size() {
        return x.rows();
    }

    @Override
    public void setOrder(int[] permutation) {
        order = permutation.clone();
        inOrder = false;
    }

    @Override
    public void batch(int start, Tensor xb, Tensor yb) {
        if (inOrder) { // evaluate and predict: one copy per row, none on the host
            backend.upload(x.data(), start * x.cols(), xb);
            if (yb != null) {
                backend.upload(y.data(), start * y.cols(), yb);
            }
            return;
        }
        xStage = gather(x, start, xb.rows(), xStage);
        backend.upload(xStage, xb);
        if (yb != null) {
            yStage = gather(y, start, yb.rows(), yStage);
            backend.upload(yStage, yb);
        }
    }

    private float[] gather(HostTensor src, int start, int rows, float[] stage) {
        int cols = src.cols();
        if (stage.length < rows * cols) {
            stage = new float[rows * cols];
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src.data(), order[start + r] * cols, stage, r * cols, cols);
        }
        return stage;
    }

    @Override
    public void close() {
        // nothing on the device
    }
}
