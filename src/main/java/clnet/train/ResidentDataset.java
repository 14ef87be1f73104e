package clnet.train;

import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.tensor.HostTensor;
import clnet.tensor.Shape;

/**
 * Samples and targets uploaded to the backend once, with an order (a permutation of the
 * rows, itself in the backend) from which batches are gathered on the device. Shuffling
 * an epoch uploads the new order, 4 bytes a sample, and nothing else.
 */
final class ResidentDataset implements BatchSource {
    private final Backend backend;
    private final Tensor x;
    private final Tensor y;
    private final Tensor order;
    private final int size;

    /** Uploads {@code x} and, unless null, {@code y}; the order starts as 0, 1, ..., n-1. */
    ResidentDataset(Backend backend, HostTensor x, HostTensor y) {
        this.backend = backend;
        this.size = x.rows();
        Tensor xs = null;
        Tensor ys = null;
        Tensor ord = null;
        try {
            xs = backend.upload(x.reshape(x.rows(), x.cols()));
            ys = y == null ? null : backend.upload(y.reshape(y.rows(), y.cols()));
            ord = backend.alloc(Shape.of(size, 1), DType.INT32);
        } catch (RuntimeException e) {
            for (Tensor t : new Tensor[] {xs, ys, ord}) {
                if (t != null) {
                    t.close();
                }
            }
            throw e;
        }
        this.x = xs;
        this.y = ys;
        this.order = ord;
        int[] identity = new int[size];
        for (int i = 0; i < size; i++) {
            identity[i] = i;
        }
        setOrder(identity);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void setOrder(int[] permutation) {
        backend.upload(permutation, order);
    }

    @Override
    public void batch(int start, Tensor xb, Tensor yb) {
        backend.gatherRows(x, order, start, xb);
        if (yb != null) {
            backend.gatherRows(y, order, start, yb);
        }
    }

    @Override
    public void close() {
        x.close();
        if (y != null) {
            y.close();
        }
        order.close();
    }
}
