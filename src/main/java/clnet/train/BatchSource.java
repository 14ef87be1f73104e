package clnet.train;

import clnet.backend.Backend;
import clnet.tensor.HostTensor;
import clnet.backend.Tensor;

/**
 * The samples (and targets) of a loop over batches, in an order that can be reshuffled.
 * Two kinds: {@link ResidentDataset}, uploaded once and gathered on the device, and
 * {@link StreamedDataset}, kept on the host and uploaded a batch at a time, for data
 * that does not fit in device memory.
 */
interface BatchSource extends AutoCloseable {
    int size();

    /** Sets the order batches are drawn in: a permutation of 0..size-1. */
    void setOrder(int[] permutation);

    /** Fills {@code xb} (and {@code yb}, unless null) with the samples at positions start.. of the order. */
    void batch(int start, Tensor xb, Tensor yb);

    @Override
    void close();

    /**
     * A resident dataset when x and y take at most half of the device's memory and each fits
     * one buffer, or when {@code onDevice} forces it; else a streamed one.
     */
    static BatchSource of(Backend backend, HostTensor x, HostTensor y, Boolean onDevice) {
        long bytes = 4L * x.data().length + (y == null ? 0 : 4L * y.data().length);
        long largest = 4L * Math.max(x.data().length, y == null ? 0 : y.data().length);
        boolean fits = bytes <= backend.memoryBytes() / 2 && largest <= backend.maxAllocationBytes();
        return (onDevice != null ? onDevice : fits)
                ? new ResidentDataset(backend, x, y)
                : new StreamedDataset(backend, x, y);
    }
}
