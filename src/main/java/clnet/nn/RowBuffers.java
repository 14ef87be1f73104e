package clnet.nn;

import clnet.backend.Backend;
import clnet.backend.Tensor;

/**
 * A layer's output and input-gradient buffers for batches of {@code cols} features, sized for
 * the largest batch so far: views of them serve smaller batches, so a training step
 * allocates nothing (the shape-preserving layers, Dropout and Normalization, share this).
 */
final class RowBuffers implements AutoCloseable {
    private final Backend backend;
    private final int cols;
    private int capacity;
    private Tensor out;
    private Tensor grad;

    RowBuffers(Backend backend, int cols) {
        this.backend = backend;
        this.cols = cols;
    }

    /** The output buffer's first {@code rows} rows, growing both buffers if needed. */
    Tensor output(int rows) {
        grow(rows);
        return out.firstRows(rows);
    }

    /** The input-gradient buffer's first {@code rows} rows, growing both buffers if needed. */
    Tensor gradient(int rows) {
        grow(rows);
        return grad.firstRows(rows);
    }

    private void grow(int rows) {
        if (rows <= capacity) {
            return;
        }
        close();
        out = backend.alloc(rows, cols);
        grad = backend.alloc(rows, cols);
        capacity = rows;
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {out, grad}) {
            if (t != null) {
                t.close();
            }
        }
        out = grad = null;
        capacity = 0;
    }
}
