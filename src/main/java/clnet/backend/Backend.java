package clnet.backend;

import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;
import clnet.tensor.Shape;

/**
 * The small set of tensor ops that every layer, loss and optimizer is written against.
 * Two implementations: {@code CpuBackend} (EJML, the reference) and
 * {@code OpenClBackend} (kernels in {@code kernels-cl/}); each op has the same
 * semantics in both, down to the float32 formulas, so that one is the test oracle of
 * the other.
 *
 * <p>Ops are issued in order and may run asynchronously; only {@link #download} waits for
 * results. All tensors are row-major matrices (see {@link Tensor}); an op's shapes are
 * checked on the host before anything is queued, and a mismatch throws
 * {@link IllegalArgumentException}.
 */
public interface Backend extends AutoCloseable {

    /** A short name: {@code cpu}, or {@code opencl:P:D}. */
    String name();

    /** The device, in words, as a run prints it on start. */
    String description();

    // ---------------------------------------------------------------- memory

    /** A new tensor, zero-filled. */
    Tensor alloc(Shape shape, DType dtype);

    default Tensor alloc(int rows, int cols) {
        return alloc(Shape.of(rows, cols), DType.FLOAT32);
    }

    /**
     * Copies {@code src} (as many values as {@code dst} holds) into {@code dst}. The copy
     * may complete later, but {@code src} may be reused as soon as this returns.
     */
    void upload(float[] src, Tensor dst);

    /** Copies {@code src} into an INT32 tensor. */
    void upload(int[] src, Tensor dst);

    /** Waits for the ops queued so far, then copies {@code src} into {@code dst}. */
    void download(Tensor src, float[] dst);

    default Tensor upload(HostTensor host) {
        Tensor t = alloc(host.shape(), DType.FLOAT32);
        try {
            upload(host.data(), t);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    default HostTensor download(Tensor src) {
        float[] data = new float[src.size()];
        download(src, data);
        return new HostTensor(src.shape(), data);
    }

    /** Waits until every op queued so far has finished (for timing; results need no wait). */
    void finish();

    /** The device's memory; {@code fit} keeps a dataset resident when it takes at most half. */
    default long memoryBytes() {
        return Runtime.getRuntime().maxMemory();
    }

    /** The largest single tensor the device allows. */
    default long maxAllocationBytes() {
        return Integer.MAX_VALUE * 4L;
    }

    // ---------------------------------------------------------------- element-wise and copies

    /** t[i] = value. */
    void fill(Tensor t, float value);

    /** dst[i] = src[i]; same size. */
    void copy(Tensor src, Tensor dst);

    /** y[i] += alpha * x[i]; same size. */
    void axpy(float alpha, Tensor x, Tensor y);

    /**
     * dst[r, :] = src[indices[start + r], :] for r in [0, dst.rows): assembles a batch
     * from a dataset resident in this backend, in the order of a shuffled index tensor.
     */
    void gatherRows(Tensor src, Tensor indices, int start, Tensor dst);

    // ---------------------------------------------------------------- linear algebra

    /**
     * C = alpha * op(A) * op(B) + beta * C, where op(X) is X or its transpose. With
     * beta = 0, C's previous contents are ignored (even NaN), as in BLAS.
     */
    void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /** z[r, j] += bias[j]: the bias of a dense layer, bias being 1 x cols. */
    void addRowVector(Tensor z, Tensor bias);

    /** out[0, j] = alpha * sum_r x[r, j]: bias gradients. {@code out} is 1 x cols. */
    void sumRows(float alpha, Tensor x, Tensor out);

    // ---------------------------------------------------------------- activations

    /** a = f(z); softmax is taken over each row, in its numerically stable form. */
    void activationForward(Activation f, Tensor z, Tensor a);

    /**
     * dZ = dA ⊙ f'(z) for element-wise f; for softmax the row-wise Jacobian product
     * dZ = a ⊙ (dA - sum_j dA_j a_j). Both z and a = f(z) are given, so each function
     * uses whichever is cheaper and more accurate.
     */
    void activationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ);

    // ---------------------------------------------------------------- losses and metrics

    /**
     * acc[slot] += sum over rows of the per-sample loss of predictions {@code p} against
     * {@code y} (see {@link Loss} for the formulas). {@code acc} is a small 1 x n tensor
     * that stays in the backend until the progress line reads it.
     */
    void lossSum(Loss loss, Tensor p, Tensor y, Tensor acc, int slot);

    /** dP = scale * d(per-sample loss)/dp, element by element; scale = 1/m gives the batch mean. */
    void lossGradient(Loss loss, Tensor p, Tensor y, float scale, Tensor dP);

    /**
     * dZ = scale * (p - y): the gradient of (sparse) categorical cross-entropy taken
     * through the softmax that produced {@code p}, fused as Keras does when the output is a
     * softmax. {@code y} is one-hot, or class indices in one column when {@code sparse}.
     */
    void softmaxCrossEntropyGradient(Tensor p, Tensor y, boolean sparse, float scale, Tensor dZ);

    /** acc[slot] += number of correct predictions in the batch (see {@link Accuracy}). */
    void countCorrect(Accuracy accuracy, Tensor p, Tensor y, Tensor acc, int slot);

    // ---------------------------------------------------------------- optimizer updates

    /**
     * Keras SGD. Without momentum: w -= lr * g. With momentum (v given):
     * v = momentum * v - lr * g; then w += v, or w += momentum * v - lr * g (Nesterov).
     */
    void sgdStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, boolean nesterov);

    /**
     * Keras RMSprop: v = rho * v + (1 - rho) * g²; inc = lr * g / sqrt(v + eps);
     * w -= inc, or with momentum (mom given): mom = momentum * mom + inc; w -= mom.
     */
    void rmspropStep(Tensor w, Tensor g, Tensor v, Tensor mom, float lr, float rho, float momentum, float eps);

    /**
     * Keras Adam: m += (g - m) * (1 - beta1); v += (g² - v) * (1 - beta2);
     * w -= alpha * m / (sqrt(v) + eps), where alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
     * is computed once per step on the host.
     */
    void adamStep(Tensor w, Tensor g, Tensor m, Tensor v, float alpha, float beta1, float beta2, float eps);

    /** Releases the backend's device resources; its tensors must be closed first or are lost. */
    @Override
    void close();
}
