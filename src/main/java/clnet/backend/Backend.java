package clnet.backend;

import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;
import clnet.tensor.Shape;
import java.util.List;
import java.util.Locale;

/**
 * The small set of tensor ops that every layer, loss and optimizer is written against.
 *
 * <p>This class is the one checking front of every op, as EJML's {@code SimpleBase} is over
 * its thin implementations: each public op checks, in one order, that the backend is open,
 * that every tensor belongs to this backend, is open and has the right dtype, and that the
 * shapes fit; only then does it call the implementation's {@code do...} method, which
 * checks nothing. So every backend refuses the same calls with the same messages, and a
 * new backend (CPU, OpenCL, the validating mirror) writes only the arithmetic.
 * Implementations: {@code CpuBackend} (the reference) and {@code OpenClBackend} (kernels
 * in {@code kernels-cl/}); each op has the same semantics in both, down to the float32
 * formulas and the propagation of NaN and infinities (docs/ARCHITECTURE.md).
 *
 * <p>Ops are issued in order and may run asynchronously; only {@link #download} waits for
 * results. All tensors are row-major matrices (see {@link Tensor}).
 *
 * <p>Threads: a backend serializes its ops. Every public op, tensor allocation, tensor
 * {@code close()} and {@link #close()} holds the backend's lock, so several threads may
 * share one backend and its ops run one at a time; parallel work uses one backend per
 * device.
 */
public abstract class Backend implements AutoCloseable {
    private boolean closed;
    /** Ops run through the front, for {@link #launches()}. */
    private long opsRun;
    /** Downloads and finishes so far, for {@link #hostWaits()}. */
    private long hostWaits;

    /** A short name: {@code cpu}, or {@code opencl:P:D}. */
    public abstract String name();

    /** The device, in words, as a run prints it on start. */
    public abstract String description();

    /**
     * Backends with equal arithmetic compute every element-wise op, the optimizer steps
     * among them, bit for bit alike: data-parallel replicas, which share gradients and not
     * weights, stay identical only on such backends. The CPU backends' Java loops are one
     * arithmetic; an OpenCL device's is its kernels as its driver compiles them (it may fuse
     * a multiply and an add, or round a square root its own way).
     */
    public abstract String arithmetic();

    /** The device's memory; {@code fit} keeps a dataset resident when it takes at most half. */
    public long memoryBytes() {
        return Runtime.getRuntime().maxMemory();
    }

    /** The largest single tensor the device allows. */
    public long maxAllocationBytes() {
        return Integer.MAX_VALUE * 4L;
    }

    public final synchronized boolean isClosed() {
        return closed;
    }

    /**
     * How many launches the ops so far took: for the CPU backend one per op, for OpenCL
     * the kernels enqueued (an op may take more than one). {@code clnet bench} reports it
     * per training step.
     */
    public synchronized long launches() {
        return opsRun;
    }

    /**
     * How often the host has waited for this backend's results so far: every
     * {@link #download} and {@link #finish}. (An upload may also wait, for the copy itself: a
     * large one is written straight from the Java array, and a staged one for its buffer's
     * copy before last.) {@code clnet bench} reports it per epoch: a training step from a
     * resident dataset on one device waits for nothing, so an epoch waits once, for its
     * metrics.
     */
    public final synchronized long hostWaits() {
        return hostWaits;
    }

    // ---------------------------------------------------------------- memory

    /** A new tensor, zero-filled. */
    public final synchronized Tensor alloc(Shape shape, DType dtype) {
        open("alloc");
        if (shape == null || dtype == null) {
            throw new IllegalArgumentException("alloc: no shape or dtype");
        }
        return doAlloc(shape, dtype);
    }

    public final Tensor alloc(int rows, int cols) {
        return alloc(Shape.of(rows, cols), DType.FLOAT32);
    }

    /**
     * The alignment, in elements, of each part of a {@link TensorGroup} in this backend: 1
     * here; an OpenCL device's base address alignment (a sub-buffer starts only there).
     */
    public int groupAlignment() {
        return 1;
    }

    /** Zero-filled tensors of {@code shapes} in one buffer, at this backend's alignment; see {@link TensorGroup}. */
    public final TensorGroup allocGroup(List<Shape> shapes) {
        return allocGroup(shapes, groupAlignment());
    }

    /**
     * Zero-filled tensors of {@code shapes} in one buffer, each part at a multiple of
     * {@code alignment} elements, which must be a multiple of {@link #groupAlignment()} (a
     * mirror of another backend asks for that backend's layout).
     */
    public final synchronized TensorGroup allocGroup(List<Shape> shapes, int alignment) {
        open("allocGroup");
        if (shapes == null) {
            throw new IllegalArgumentException("allocGroup: no shapes given");
        }
        if (alignment < 1 || alignment % groupAlignment() != 0) {
            throw new IllegalArgumentException("allocGroup: alignment " + alignment + " is not a multiple of "
                    + name() + "'s " + groupAlignment() + " elements");
        }
        TensorGroup.Layout layout = TensorGroup.Layout.of(shapes, alignment);
        if (4L * layout.size() > maxAllocationBytes()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "allocGroup: %d parts need %d bytes; %s "
                    + "allows %d per tensor", shapes.size(), 4L * layout.size(), name(), maxAllocationBytes()));
        }
        return doAllocGroup(layout);
    }

    /**
     * Copies {@code src} (as many values as {@code dst} holds) into {@code dst}. The copy
     * may complete later, but {@code src} may be reused as soon as this returns.
     */
    public final synchronized void upload(float[] src, Tensor dst) {
        upload(src, 0, dst);
    }

    /**
     * Copies {@code src[offset ..]} (as many values as {@code dst} holds) into {@code dst}:
     * consecutive rows of a host array go to the device without a copy on the host.
     */
    public final synchronized void upload(float[] src, int offset, Tensor dst) {
        open("upload");
        elementOperand("upload", "dst", dst);
        if (offset < 0 || offset > src.length) {
            throw new IllegalArgumentException("upload: offset " + offset + " outside an array of " + src.length
                    + " values");
        }
        length("upload", src.length - offset, dst);
        doUpload(src, offset, dst);
    }

    /** Copies {@code src} into an INT32 tensor. */
    public final synchronized void upload(int[] src, Tensor dst) {
        open("upload");
        operand("upload", "dst", dst, DType.INT32);
        length("upload", src.length, dst);
        doUpload(src, dst);
    }

    /** Waits for the ops queued so far, then copies {@code src} into {@code dst}. */
    public final synchronized void download(Tensor src, float[] dst) {
        open("download");
        elementOperand("download", "src", src);
        length("download", dst.length, src);
        hostWaits++;
        doDownload(src, dst);
    }

    public final Tensor upload(HostTensor host) {
        Tensor t = alloc(host.shape(), DType.FLOAT32);
        try {
            upload(host.data(), t);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    public final HostTensor download(Tensor src) {
        float[] data = new float[src.size()];
        download(src, data);
        return new HostTensor(src.shape(), data);
    }

    /** Waits until every op queued so far has finished (for timing; results need no wait). */
    public final synchronized void finish() {
        open("finish");
        hostWaits++;
        doFinish();
    }

    // ---------------------------------------------------------------- element-wise and copies

    /** t[i] = value. */
    public final synchronized void fill(Tensor t, float value) {
        open("fill");
        opsRun++;
        elementOperand("fill", "t", t);
        doFill(t, value);
    }

    /** dst[i] = src[i]; same size. */
    public final synchronized void copy(Tensor src, Tensor dst) {
        open("copy");
        opsRun++;
        elementOperand("copy", "src", src);
        elementOperand("copy", "dst", dst);
        sameSize("copy", src, dst);
        sameLayout("copy", src, dst);
        doCopy(src, dst);
    }

    /** y[i] += alpha * x[i]; same size. */
    public final synchronized void axpy(float alpha, Tensor x, Tensor y) {
        open("axpy");
        opsRun++;
        elementOperand("axpy", "x", x);
        elementOperand("axpy", "y", y);
        sameSize("axpy", x, y);
        sameLayout("axpy", x, y);
        doAxpy(alpha, x, y);
    }

    /**
     * dst[r, :] = src[indices[start + r], :] for r in [0, dst.rows): assembles a batch
     * from a dataset resident in this backend, in the order of a shuffled index tensor. An
     * index outside [0, src.rows) makes its row NaN, in every backend (a kernel cannot
     * throw, and a row of NaN stops training at the loss check rather than training on
     * stale data).
     */
    public final synchronized void gatherRows(Tensor src, Tensor indices, int start, Tensor dst) {
        open("gatherRows");
        opsRun++;
        operand("gatherRows", "src", src, DType.FLOAT32);
        operand("gatherRows", "indices", indices, DType.INT32);
        operand("gatherRows", "dst", dst, DType.FLOAT32);
        if (src.cols() != dst.cols()) {
            throw new IllegalArgumentException("gatherRows: rows of " + src.shape() + " into " + dst.shape());
        }
        if (start < 0 || (long) start + dst.rows() > indices.size()) {
            throw new IllegalArgumentException("gatherRows: rows " + start + ".." + ((long) start + dst.rows())
                    + " of " + indices.size() + " indices");
        }
        doGatherRows(src, indices, start, dst);
    }

    /**
     * Inverted dropout, as Keras's: y[i] = x[i] / (1 - rate) where the element is kept, 0
     * where it is dropped. Element i is element g = offset + i of the step's whole batch,
     * and is dropped when word g % 4 of Philox block g / 4 of (seed, stream) is below rate
     * ({@link clnet.tensor.Philox#uniforms}): a pure function of (seed, stream, g), so every
     * backend draws the same mask bit for bit, a batch cut into row blocks (one per device,
     * {@code offset} = first row x columns) draws the mask of the whole batch, and the
     * backward pass is the same op with the same seed, stream and offset on dL/dy. A dropped
     * element is 0 even when x is NaN (a select, not a product).
     */
    public final synchronized void dropout(Tensor x, Tensor y, float rate, long seed, long stream, long offset) {
        open("dropout");
        opsRun++;
        operand("dropout", "x", x, DType.FLOAT32);
        operand("dropout", "y", y, DType.FLOAT32);
        sameShape("dropout", x, y);
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("dropout: rate must be in [0, 1), got " + rate);
        }
        if (offset < 0 || offset > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("dropout: offset must be in [0, 2^62), got " + offset);
        }
        doDropout(x, y, rate, 1f / (1f - rate), seed, stream, offset);
    }

    // ---------------------------------------------------------------- linear algebra

    /** The sizes of C = op(A) op(B): C is m x n, and the product sums over k. */
    public record GemmShape(int m, int n, int k) {
    }

    /**
     * C = alpha * op(A) * op(B) + beta * C, where op(X) is X or its transpose. With
     * beta = 0, C's previous contents are ignored (even NaN), as in BLAS; otherwise NaN and
     * infinities in A, B or C propagate as IEEE arithmetic says (no product is skipped for
     * a zero factor).
     */
    public final synchronized void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta,
                                        Tensor c) {
        open("gemm");
        opsRun++;
        operand("gemm", "a", a, DType.FLOAT32);
        operand("gemm", "b", b, DType.FLOAT32);
        operand("gemm", "c", c, DType.FLOAT32);
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: " + (transA ? "T" : "N") + (transB ? "T" : "N")
                    + " of " + a.shape() + " and " + b.shape() + " into " + c.shape());
        }
        if (m > 0 && n > 0) {
            doGemm(transA, transB, alpha, a, b, beta, c, new GemmShape(m, n, k));
        }
    }

    /**
     * A dense layer's forward pass: z = x · w + bias (kept for the backward pass), then
     * a = f(z). The bias and an element-wise f run in the product's epilogue where the
     * backend can (one kernel launch on OpenCL, z and a stored from the registers); softmax,
     * a row-wise f, after it. {@code a} may be {@code z} for the linear activation.
     */
    public final synchronized void denseForward(Activation f, Tensor x, Tensor w, Tensor bias, Tensor z, Tensor a) {
        open("denseForward");
        opsRun++;
        operand("denseForward", "x", x, DType.FLOAT32);
        operand("denseForward", "w", w, DType.FLOAT32);
        operand("denseForward", "bias", bias, DType.FLOAT32);
        operand("denseForward", "z", z, DType.FLOAT32);
        operand("denseForward", "a", a, DType.FLOAT32);
        if (x.cols() != w.rows() || z.rows() != x.rows() || z.cols() != w.cols()) {
            throw new IllegalArgumentException("denseForward: x " + x.shape() + " times w " + w.shape() + " into z "
                    + z.shape());
        }
        rowVector("denseForward", bias, w.cols());
        sameShape("denseForward", z, a);
        if (a == z && f.kind() != Activation.Kind.LINEAR) {
            throw new IllegalArgumentException("denseForward: a may be z only for the linear activation, not "
                    + f.id() + " (the backward pass needs z)");
        }
        if (x.rows() == 0 || w.cols() == 0) {
            return;
        }
        if (f.kind() == Activation.Kind.SOFTMAX) {
            doDenseForward(Activation.LINEAR, x, w, bias, z, z); // the product and bias, then the rows' softmax
            doActivationForward(f, z, a);
        } else {
            doDenseForward(f, x, w, bias, z, a);
        }
    }

    /** z[r, j] += bias[j]: the bias of a dense layer, bias being 1 x cols. */
    public final synchronized void addRowVector(Tensor z, Tensor bias) {
        open("addRowVector");
        opsRun++;
        operand("addRowVector", "z", z, DType.FLOAT32);
        operand("addRowVector", "bias", bias, DType.FLOAT32);
        rowVector("addRowVector", bias, z.cols());
        doAddRowVector(z, bias);
    }

    /**
     * y[r, j] = x[r, j] * scale[j] + shift[j], column by column (Keras's {@code Normalization}:
     * scale 1/σ, shift −μ/σ); {@code scale} and {@code shift} are 1 x cols, y may be x.
     */
    public final synchronized void scaleColumns(Tensor x, Tensor scale, Tensor shift, Tensor y) {
        open("scaleColumns");
        opsRun++;
        operand("scaleColumns", "x", x, DType.FLOAT32);
        operand("scaleColumns", "scale", scale, DType.FLOAT32);
        operand("scaleColumns", "shift", shift, DType.FLOAT32);
        operand("scaleColumns", "y", y, DType.FLOAT32);
        rowVector("scaleColumns", scale, x.cols());
        rowVector("scaleColumns", shift, x.cols());
        sameShape("scaleColumns", x, y);
        doScaleColumns(x, scale, shift, y);
    }

    /**
     * Each row of {@code x}, an image of {@code height x width x channels} (row-major, channels
     * last), warped by its own affine map: output pixel (r, c) samples the input bilinearly at
     * (a00·r + a01·c + o0, a10·r + a11·c + o1), the six numbers being row i of {@code matrices}
     * ({@link clnet.ops.Augmentation#matrices}). A tap outside the image takes {@code cval}
     * ({@code constantFill}) or the nearest edge pixel. Keras's ImageDataGenerator on the device.
     */
    public final synchronized void affineWarp(Tensor x, Tensor matrices, Tensor y, int height, int width, int channels,
                                              boolean constantFill, float cval) {
        open("affineWarp");
        opsRun++;
        operand("affineWarp", "x", x, DType.FLOAT32);
        operand("affineWarp", "matrices", matrices, DType.FLOAT32);
        operand("affineWarp", "y", y, DType.FLOAT32);
        sameShape("affineWarp", x, y);
        if (height < 1 || width < 1 || channels < 1 || (long) height * width * channels != x.cols()) {
            throw new IllegalArgumentException("affineWarp: images of " + height + " x " + width + " x " + channels
                    + " in rows of " + x.cols());
        }
        if (matrices.rows() != x.rows() || matrices.cols() != clnet.ops.Augmentation.MATRIX) {
            throw new IllegalArgumentException("affineWarp: matrices " + matrices.shape() + " for " + x.rows()
                    + " images (" + clnet.ops.Augmentation.MATRIX + " numbers each)");
        }
        if (x == y) {
            throw new IllegalArgumentException("affineWarp: y must not be x (every output reads several inputs)");
        }
        doAffineWarp(x, matrices, y, height, width, channels, constantFill, cval);
    }

    /** out[0, j] = alpha * sum_r x[r, j]: bias gradients. {@code out} is 1 x cols. */
    public final synchronized void sumRows(float alpha, Tensor x, Tensor out) {
        open("sumRows");
        opsRun++;
        operand("sumRows", "x", x, DType.FLOAT32);
        operand("sumRows", "out", out, DType.FLOAT32);
        rowVector("sumRows", out, x.cols());
        doSumRows(alpha, x, out);
    }

    // ---------------------------------------------------------------- activations

    /** a = f(z); softmax is taken over each row, in its numerically stable form. */
    public final synchronized void activationForward(Activation f, Tensor z, Tensor a) {
        open("activationForward");
        opsRun++;
        operand("activationForward", "z", z, DType.FLOAT32);
        operand("activationForward", "a", a, DType.FLOAT32);
        sameShape("activationForward", z, a);
        doActivationForward(f, z, a);
    }

    /**
     * A dense layer's epilogue in one pass over memory: z[r, :] += bias, then a = f(z), the
     * same numbers as {@link #addRowVector} followed by {@link #activationForward} (both are
     * kept: the backward pass needs z). For softmax, whose rows normalize, the two run one
     * after the other.
     */
    public final synchronized void biasActivationForward(Activation f, Tensor z, Tensor bias, Tensor a) {
        open("biasActivationForward");
        opsRun++;
        operand("biasActivationForward", "z", z, DType.FLOAT32);
        operand("biasActivationForward", "bias", bias, DType.FLOAT32);
        operand("biasActivationForward", "a", a, DType.FLOAT32);
        rowVector("biasActivationForward", bias, z.cols());
        sameShape("biasActivationForward", z, a);
        if (f.kind() == Activation.Kind.SOFTMAX) {
            doAddRowVector(z, bias);
            doActivationForward(f, z, a);
        } else {
            doBiasActivationForward(f, z, bias, a);
        }
    }

    /**
     * dZ = dA ⊙ f'(z) for element-wise f; for softmax the row-wise Jacobian product
     * dZ = a ⊙ (dA - sum_j dA_j a_j). Both z and a = f(z) are given, so each function
     * uses whichever is cheaper and more accurate.
     */
    public final synchronized void activationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ) {
        String op = "activationBackward";
        open(op);
        opsRun++;
        operand(op, "z", z, DType.FLOAT32);
        operand(op, "a", a, DType.FLOAT32);
        operand(op, "dA", dA, DType.FLOAT32);
        operand(op, "dZ", dZ, DType.FLOAT32);
        sameShape(op, z, a);
        sameShape(op, z, dA);
        sameShape(op, z, dZ);
        doActivationBackward(f, z, a, dA, dZ);
    }

    // ---------------------------------------------------------------- losses and metrics

    /**
     * Adds the sum over rows of the per-sample loss of predictions {@code p} against
     * {@code y} (see {@link Loss}) into the compensated accumulator at {@code acc[slot]},
     * {@code acc[slot + 1]} (see {@link #accumulate}). {@code acc} is a small 1 x n tensor
     * that stays in the backend until the progress line reads it.
     */
    public final synchronized void lossSum(Loss loss, Tensor p, Tensor y, Tensor acc, int slot) {
        open("lossSum");
        opsRun++;
        operand("lossSum", "p", p, DType.FLOAT32);
        operand("lossSum", "y", y, DType.FLOAT32);
        operand("lossSum", "acc", acc, DType.FLOAT32);
        target(loss.id(), p, y, loss.targetColumns(p.cols()));
        accumulatorSlot("lossSum", acc, slot);
        doLossSum(loss, p, y, acc, slot);
    }

    /** dP = scale * d(per-sample loss)/dp, element by element; scale = 1/m gives the batch mean. */
    public final synchronized void lossGradient(Loss loss, Tensor p, Tensor y, float scale, Tensor dP) {
        open("lossGradient");
        opsRun++;
        operand("lossGradient", "p", p, DType.FLOAT32);
        operand("lossGradient", "y", y, DType.FLOAT32);
        operand("lossGradient", "dP", dP, DType.FLOAT32);
        target(loss.id(), p, y, loss.targetColumns(p.cols()));
        sameShape("lossGradient", p, dP);
        doLossGradient(loss, p, y, scale, dP);
    }

    /**
     * dZ = scale * (p - y): the gradient of (sparse) categorical cross-entropy taken
     * through the softmax that produced {@code p}, fused as Keras does when the output is a
     * softmax. {@code y} is one-hot, or class indices in one column when {@code sparse}. With
     * {@code scale} divided by the outputs, it is also binary cross-entropy's gradient
     * through a sigmoid.
     */
    public final synchronized void softmaxCrossEntropyGradient(Tensor p, Tensor y, boolean sparse, float scale,
                                                               Tensor dZ) {
        String op = "softmaxCrossEntropyGradient";
        open(op);
        opsRun++;
        operand(op, "p", p, DType.FLOAT32);
        operand(op, "y", y, DType.FLOAT32);
        operand(op, "dZ", dZ, DType.FLOAT32);
        Loss loss = sparse ? Loss.SPARSE_CATEGORICAL_CROSSENTROPY : Loss.CATEGORICAL_CROSSENTROPY;
        target(loss.id(), p, y, loss.targetColumns(p.cols()));
        sameShape(op, p, dZ);
        doSoftmaxCrossEntropyGradient(p, y, sparse, scale, dZ);
    }

    /**
     * Adds the number of correct predictions in the batch (see {@link Accuracy}) into the
     * compensated accumulator at {@code acc[slot]}, {@code acc[slot + 1]}.
     */
    public final synchronized void countCorrect(Accuracy accuracy, Tensor p, Tensor y, Tensor acc, int slot) {
        open("countCorrect");
        opsRun++;
        operand("countCorrect", "p", p, DType.FLOAT32);
        operand("countCorrect", "y", y, DType.FLOAT32);
        operand("countCorrect", "acc", acc, DType.FLOAT32);
        target("accuracy", p, y, accuracy == Accuracy.SPARSE_CATEGORICAL ? 1 : p.cols());
        accumulatorSlot("countCorrect", acc, slot);
        doCountCorrect(accuracy, p, y, acc, slot);
    }

    /**
     * Keras's L1 and L2 weight penalties on {@code w}: adds {@code lossWeight} times
     * l1 * sum |w| + l2 * sum w² into the compensated accumulator at {@code acc[slot]} (the
     * training loop passes the batch's row count, so that the penalty joins a loss summed
     * over samples), and, when {@code g} is given, the penalty's gradient to it:
     * g += l1 * sign(w) + 2 * l2 * w (sign(0) = 0, as Keras's). The penalty is that of
     * {@code w} before the step, as Keras computes it in the forward pass.
     */
    public final synchronized void weightPenalty(Tensor w, float l1, float l2, Tensor g, float lossWeight, Tensor acc,
                                                 int slot) {
        open("weightPenalty");
        opsRun++;
        operand("weightPenalty", "w", w, DType.FLOAT32);
        operand("weightPenalty", "acc", acc, DType.FLOAT32);
        if (g != null) {
            operand("weightPenalty", "g", g, DType.FLOAT32);
            sameSize("weightPenalty", w, g);
        }
        accumulatorSlot("weightPenalty", acc, slot);
        if (!(l1 >= 0f && l2 >= 0f && Float.isFinite(l1) && Float.isFinite(l2))) {
            throw new IllegalArgumentException("weightPenalty: l1 and l2 must be finite and >= 0, got " + l1 + " and "
                    + l2);
        }
        doWeightPenalty(w, l1, l2, g, lossWeight, acc, slot);
    }

    /**
     * Adds {@code v} into the accumulator pair (sum, carried error) at
     * {@code acc[slot]}, {@code acc[slot + 1]} with Knuth's TwoSum, the formula every
     * backend uses: the pair holds the running total exactly far beyond float32's 2^24
     * (counts of correct predictions stay exact for any data set), and the host reads it
     * as {@link #accumulated}. Once the sum is not finite the error stays put, so an
     * infinite loss reads as infinite, a NaN as NaN.
     */
    public static void accumulate(float[] acc, int slot, float v) {
        float s = acc[slot];
        float t = s + v;
        float bp = t - s;
        float err = (s - (t - bp)) + (v - bp);
        acc[slot] = t;
        if (Float.isFinite(t)) {
            acc[slot + 1] += err;
        }
    }

    /** The value of the accumulator pair at {@code acc[slot]}, {@code acc[slot + 1]}. */
    public static double accumulated(float[] acc, int slot) {
        return Float.isFinite(acc[slot]) ? (double) acc[slot] + acc[slot + 1] : acc[slot];
    }

    // ---------------------------------------------------------------- optimizer updates

    /**
     * Keras SGD. Without momentum: w -= lr * g. With momentum (v given):
     * v = momentum * v - lr * g; then w += v, or w += momentum * v - lr * g (Nesterov).
     */
    public final synchronized void sgdStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, boolean nesterov) {
        open("sgdStep");
        opsRun++;
        elementOperand("sgdStep", "w", w);
        elementOperand("sgdStep", "g", g);
        sameSize("sgdStep", w, g);
        sameLayout("sgdStep", w, g);
        if (v != null) {
            elementOperand("sgdStep", "v", v);
            sameSize("sgdStep", w, v);
            sameLayout("sgdStep", w, v);
        }
        doSgdStep(w, g, v, lr, momentum, nesterov);
    }

    /**
     * Keras RMSprop: v = rho * v + (1 - rho) * g²; inc = lr * g / sqrt(v + eps);
     * w -= inc, or with momentum (mom given): mom = momentum * mom + inc; w -= mom.
     */
    public final synchronized void rmspropStep(Tensor w, Tensor g, Tensor v, Tensor mom, float lr, float rho,
                                               float momentum, float eps) {
        open("rmspropStep");
        opsRun++;
        elementOperand("rmspropStep", "w", w);
        elementOperand("rmspropStep", "g", g);
        elementOperand("rmspropStep", "v", v);
        sameSize("rmspropStep", w, g);
        sameSize("rmspropStep", w, v);
        sameLayout("rmspropStep", w, g);
        sameLayout("rmspropStep", w, v);
        if (mom != null) {
            elementOperand("rmspropStep", "mom", mom);
            sameSize("rmspropStep", w, mom);
            sameLayout("rmspropStep", w, mom);
        }
        doRmspropStep(w, g, v, mom, lr, rho, momentum, eps);
    }

    /**
     * Keras Adam: m += (g - m) * (1 - beta1); v += (g² - v) * (1 - beta2);
     * w -= alpha * m / (sqrt(v) + eps), where alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
     * is computed once per step on the host.
     */
    public final synchronized void adamStep(Tensor w, Tensor g, Tensor m, Tensor v, float alpha, float beta1,
                                            float beta2, float eps) {
        open("adamStep");
        opsRun++;
        elementOperand("adamStep", "w", w);
        elementOperand("adamStep", "g", g);
        elementOperand("adamStep", "m", m);
        elementOperand("adamStep", "v", v);
        sameSize("adamStep", w, g);
        sameSize("adamStep", w, m);
        sameSize("adamStep", w, v);
        sameLayout("adamStep", w, g);
        sameLayout("adamStep", w, m);
        sameLayout("adamStep", w, v);
        doAdamStep(w, g, m, v, alpha, beta1, beta2, eps);
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Releases the backend's device resources, tensors still open included; afterwards
     * every op says the backend is closed. Closing twice does nothing.
     */
    @Override
    public final synchronized void close() {
        if (!closed) {
            closed = true;
            doClose();
        }
    }

    /** Frees a tensor's storage; called once per tensor by {@link Tensor#close()}. */
    final synchronized void releaseTensor(Tensor t) {
        if (!closed) {
            doRelease(t);
        }
    }

    // ---------------------------------------------------------------- the implementation's part

    /** A zero-filled tensor of this backend; nothing is checked beyond the backend being open. */
    protected abstract Tensor doAlloc(Shape shape, DType dtype);

    /**
     * A zero-filled group of {@code layout}, checked (parts, sizes, alignment): its whole
     * owns the storage and each part is a view of the whole.
     */
    protected abstract TensorGroup doAllocGroup(TensorGroup.Layout layout);

    protected abstract void doUpload(float[] src, int offset, Tensor dst);

    protected abstract void doUpload(int[] src, Tensor dst);

    protected abstract void doDownload(Tensor src, float[] dst);

    protected abstract void doFinish();

    protected abstract void doFill(Tensor t, float value);

    protected abstract void doCopy(Tensor src, Tensor dst);

    protected abstract void doAxpy(float alpha, Tensor x, Tensor y);

    protected abstract void doGatherRows(Tensor src, Tensor indices, int start, Tensor dst);

    /** {@code scale} is 1 / (1 - rate), computed once in float32 by the front for every backend. */
    protected abstract void doDropout(Tensor x, Tensor y, float rate, float scale, long seed, long stream,
                                      long offset);

    /** Called only with m and n positive. */
    protected abstract void doGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta,
                                   Tensor c, GemmShape s);

    protected abstract void doAddRowVector(Tensor z, Tensor bias);

    protected abstract void doScaleColumns(Tensor x, Tensor scale, Tensor shift, Tensor y);

    /** z += bias then a = f(z) in one pass, for an element-wise f (not softmax). */
    protected abstract void doBiasActivationForward(Activation f, Tensor z, Tensor bias, Tensor a);

    /** z = x · w + bias, a = f(z), for an element-wise f (not softmax), x with at least one row. */
    protected abstract void doDenseForward(Activation f, Tensor x, Tensor w, Tensor bias, Tensor z, Tensor a);

    protected abstract void doAffineWarp(Tensor x, Tensor matrices, Tensor y, int height, int width, int channels,
                                         boolean constantFill, float cval);

    protected abstract void doSumRows(float alpha, Tensor x, Tensor out);

    protected abstract void doActivationForward(Activation f, Tensor z, Tensor a);

    protected abstract void doActivationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ);

    protected abstract void doLossSum(Loss loss, Tensor p, Tensor y, Tensor acc, int slot);

    protected abstract void doLossGradient(Loss loss, Tensor p, Tensor y, float scale, Tensor dP);

    protected abstract void doSoftmaxCrossEntropyGradient(Tensor p, Tensor y, boolean sparse, float scale, Tensor dZ);

    protected abstract void doCountCorrect(Accuracy accuracy, Tensor p, Tensor y, Tensor acc, int slot);

    protected abstract void doWeightPenalty(Tensor w, float l1, float l2, Tensor g, float lossWeight, Tensor acc,
                                            int slot);

    protected abstract void doSgdStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, boolean nesterov);

    protected abstract void doRmspropStep(Tensor w, Tensor g, Tensor v, Tensor mom, float lr, float rho,
                                          float momentum, float eps);

    protected abstract void doAdamStep(Tensor w, Tensor g, Tensor m, Tensor v, float alpha, float beta1,
                                       float beta2, float eps);

    /** Frees one tensor's storage (never a view's). */
    protected abstract void doRelease(Tensor t);

    /** Frees everything the backend holds, tensors still open included. */
    protected abstract void doClose();

    // ---------------------------------------------------------------- the checks, in their one order

    private void open(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": the " + name() + " backend is closed");
        }
    }

    /** Owner first, then open, then dtype: the same message for the same mistake everywhere. */
    private void operand(String op, String role, Tensor t, DType dtype) {
        operand(op, role, t, dtype, false);
    }

    /** A float32 operand of an element-wise op, which may be a group's whole (see {@link #sameLayout}). */
    private void elementOperand(String op, String role, Tensor t) {
        operand(op, role, t, DType.FLOAT32, true);
    }

    private void operand(String op, String role, Tensor t, DType dtype, boolean wholeTaken) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": no tensor given for " + role);
        }
        if (t.owner() != this) {
            throw new IllegalArgumentException(op + ": " + role + " " + t + " belongs to another backend ("
                    + t.owner().name() + ", not " + name() + ")");
        }
        if (t.isClosed()) {
            throw new IllegalStateException(op + ": " + role + " " + t + " used after close()");
        }
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + role + " must be " + dtype + ", got " + t);
        }
        if (t.groupLayout() != null && !wholeTaken) {
            throw new IllegalArgumentException(op + ": " + role + " is a tensor group's whole, which only fill, copy,"
                    + " axpy, upload, download and the optimizer steps take; pass one of its parts");
        }
    }

    /** Both tensors are wholes of one layout, or neither is a whole: element i is the same element in both. */
    private static void sameLayout(String op, Tensor a, Tensor b) {
        if (!java.util.Objects.equals(a.groupLayout(), b.groupLayout())) {
            throw new IllegalArgumentException(op + ": " + (a.groupLayout() == null || b.groupLayout() == null
                    ? "a tensor group's whole goes only with wholes of the same layout"
                    : "the two tensor groups are laid out differently"));
        }
    }

    private static void sameShape(String op, Tensor a, Tensor b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException(op + ": shapes differ: " + a.shape() + " and " + b.shape());
        }
    }

    private static void sameSize(String op, Tensor a, Tensor b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": sizes differ: " + a.shape() + " and " + b.shape());
        }
    }

    private static void rowVector(String op, Tensor v, int cols) {
        if (v.rows() != 1 || v.cols() != cols) {
            throw new IllegalArgumentException(op + ": expected a (1, " + cols + ") row vector, got " + v.shape());
        }
    }

    private static void accumulatorSlot(String op, Tensor acc, int slot) {
        if (slot < 0 || slot + 1 >= acc.size()) {
            throw new IllegalArgumentException(op + ": accumulator slot " + slot + " (and " + (slot + 1)
                    + " for its carried error) of " + acc.shape());
        }
    }

    private static void target(String what, Tensor p, Tensor y, int columns) {
        if (y.rows() != p.rows() || y.cols() != columns) {
            throw new IllegalArgumentException(what + ": predictions " + p.shape() + " need targets (" + p.rows()
                    + ", " + columns + "), got " + y.shape());
        }
    }

    private static void length(String op, int length, Tensor t) {
        if (length < t.size()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: array of %d values for a tensor %s",
                    op, length, t.shape()));
        }
    }
}
