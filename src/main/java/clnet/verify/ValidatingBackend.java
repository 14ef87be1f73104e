package clnet.verify;

import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.Shape;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A backend that runs every op twice, on a device and on the CPU reference, and stops at
 * the first op whose result differs beyond the op's tolerance ({@code clnet train
 * --validate}). tinygrad and llm.c check kernels against a reference while they are
 * developed; this lets a user do it on their own GPU, during a real run, to find which
 * kernel a driver gets wrong.
 *
 * <p>Every tensor is a pair, one in each backend. After an op, each tensor it wrote is
 * read back from both and compared element by element (|device - cpu| <= atol + rtol *
 * |cpu|, NaN where NaN is due; the tolerances of {@link BackendVerifier}); then the
 * device's values are copied into the CPU twin, so that every op is checked on identical
 * inputs and rounding differences never add up into a false alarm. This costs a download
 * per op: a validating run is many times slower than a plain one.
 */
public final class ValidatingBackend extends Backend {
    private final Backend device;
    private final CpuBackend reference = new CpuBackend();
    /** How often each op (by its description's name) has run, to say which launch failed. */
    private final Map<String, Integer> launches = new HashMap<>();

    /** Thrown at the first op whose device result differs from the reference. */
    public static final class MismatchException extends RuntimeException {
        public MismatchException(String message) {
            super(message);
        }
    }

    /** A tensor in both backends. */
    private static final class Pair extends Tensor {
        final Tensor onDevice;
        final Tensor onCpu;

        Pair(ValidatingBackend owner, Shape shape, DType dtype, Tensor onDevice, Tensor onCpu) {
            super(owner, shape, dtype);
            this.onDevice = onDevice;
            this.onCpu = onCpu;
        }

        private Pair(Pair parent, Shape shape) {
            super(parent, shape);
            this.onDevice = parent.onDevice.firstRows(shape.rows());
            this.onCpu = parent.onCpu.firstRows(shape.rows());
        }

        @Override
        protected Tensor view(Shape shape) {
            return new Pair(this, shape);
        }
    }

    /** Validates {@code device} against the CPU reference; closing this closes {@code device}. */
    public ValidatingBackend(Backend device) {
        this.device = device;
    }

    @Override
    public String name() {
        return device.name();
    }

    @Override
    public String description() {
        return device.description() + ", every op validated against the CPU reference";
    }

    @Override
    public long memoryBytes() {
        return device.memoryBytes();
    }

    @Override
    public long maxAllocationBytes() {
        return device.maxAllocationBytes();
    }

    // ---------------------------------------------------------------- memory

    @Override
    protected Tensor doAlloc(Shape shape, DType dtype) {
        Tensor d = device.alloc(shape, dtype);
        try {
            return new Pair(this, shape, dtype, d, reference.alloc(shape, dtype));
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    @Override
    protected void doUpload(float[] src, Tensor dst) {
        device.upload(src, dev(dst));
        reference.upload(src, cpu(dst));
    }

    @Override
    protected void doUpload(int[] src, Tensor dst) {
        device.upload(src, dev(dst));
        reference.upload(src, cpu(dst));
    }

    @Override
    protected void doDownload(Tensor src, float[] dst) {
        device.download(dev(src), dst);
    }

    @Override
    protected void doFinish() {
        device.finish();
    }

    @Override
    protected void doRelease(Tensor t) {
        Pair p = (Pair) t;
        p.onDevice.close();
        p.onCpu.close();
    }

    @Override
    protected void doClose() {
        reference.close();
        device.close();
    }

    // ---------------------------------------------------------------- ops: both, then compare what was written

    @Override
    protected void doFill(Tensor t, float value) {
        device.fill(dev(t), value);
        reference.fill(cpu(t), value);
        check("fill", 0, 0, t);
    }

    @Override
    protected void doCopy(Tensor src, Tensor dst) {
        device.copy(dev(src), dev(dst));
        reference.copy(cpu(src), cpu(dst));
        check("copy", 0, 0, dst, src);
    }

    @Override
    protected void doAxpy(float alpha, Tensor x, Tensor y) {
        device.axpy(alpha, dev(x), dev(y));
        reference.axpy(alpha, cpu(x), cpu(y));
        check("axpy", 1e-6, 1e-6, y, x);
    }

    @Override
    protected void doGatherRows(Tensor src, Tensor indices, int start, Tensor dst) {
        device.gatherRows(dev(src), dev(indices), start, dev(dst));
        reference.gatherRows(cpu(src), cpu(indices), start, cpu(dst));
        check("gatherRows", 0, 0, dst, src);
    }

    @Override
    protected void doGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c,
                          GemmShape s) {
        device.gemm(transA, transB, alpha, dev(a), dev(b), beta, dev(c));
        reference.gemm(transA, transB, alpha, cpu(a), cpu(b), beta, cpu(c));
        // BackendVerifier's 2e-6 * K assumes products of order one; scale it by the inputs
        double scale = Math.max(1, Math.abs(alpha) * maxAbs(a) * maxAbs(b));
        check("gemm " + (transA ? "T" : "N") + (transB ? "T" : "N"), 2e-6 * s.k() * scale, 1e-4, c, a, b);
    }

    @Override
    protected void doAddRowVector(Tensor z, Tensor bias) {
        device.addRowVector(dev(z), dev(bias));
        reference.addRowVector(cpu(z), cpu(bias));
        check("addRowVector", 1e-6, 1e-6, z, bias);
    }

    @Override
    protected void doSumRows(float alpha, Tensor x, Tensor out) {
        device.sumRows(alpha, dev(x), dev(out));
        reference.sumRows(alpha, cpu(x), cpu(out));
        check("sumRows", 1e-6 * x.rows() * Math.max(1, maxAbs(x)), 1e-5, out, x);
    }

    @Override
    protected void doActivationForward(Activation f, Tensor z, Tensor a) {
        device.activationForward(f, dev(z), dev(a));
        reference.activationForward(f, cpu(z), cpu(a));
        double sumTol = f.kind() == Activation.Kind.SOFTMAX ? 1e-6 * z.cols() : 0;
        check("activationForward " + f.id(), 1e-6 + sumTol, 1e-5, a, z);
    }

    @Override
    protected void doActivationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ) {
        device.activationBackward(f, dev(z), dev(a), dev(dA), dev(dZ));
        reference.activationBackward(f, cpu(z), cpu(a), cpu(dA), cpu(dZ));
        double sumTol = f.kind() == Activation.Kind.SOFTMAX ? 1e-6 * z.cols() : 0;
        check("activationBackward " + f.id(), 1e-6 + sumTol, 1e-5, dZ, z, dA);
    }

    @Override
    protected void doLossSum(Loss loss, Tensor p, Tensor y, Tensor acc, int slot) {
        device.lossSum(loss, dev(p), dev(y), dev(acc), slot);
        reference.lossSum(loss, cpu(p), cpu(y), cpu(acc), slot);
        check("lossSum " + loss.id(), 1e-5 * p.rows(), 1e-5, acc, p, y);
    }

    @Override
    protected void doLossGradient(Loss loss, Tensor p, Tensor y, float scale, Tensor dP) {
        device.lossGradient(loss, dev(p), dev(y), scale, dev(dP));
        reference.lossGradient(loss, cpu(p), cpu(y), scale, cpu(dP));
        check("lossGradient " + loss.id(), 1e-6, 1e-4, dP, p, y);
    }

    @Override
    protected void doSoftmaxCrossEntropyGradient(Tensor p, Tensor y, boolean sparse, float scale, Tensor dZ) {
        device.softmaxCrossEntropyGradient(dev(p), dev(y), sparse, scale, dev(dZ));
        reference.softmaxCrossEntropyGradient(cpu(p), cpu(y), sparse, scale, cpu(dZ));
        check("softmaxCrossEntropyGradient", 1e-7, 1e-5, dZ, p, y);
    }

    @Override
    protected void doCountCorrect(Accuracy accuracy, Tensor p, Tensor y, Tensor acc, int slot) {
        device.countCorrect(accuracy, dev(p), dev(y), dev(acc), slot);
        reference.countCorrect(accuracy, cpu(p), cpu(y), cpu(acc), slot);
        // a prediction within rounding of a tie may be counted either way: allow one sample
        check("countCorrect " + accuracy.name().toLowerCase(Locale.ROOT), 1.0001, 0, acc, p, y);
    }

    @Override
    protected void doSgdStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, boolean nesterov) {
        device.sgdStep(dev(w), dev(g), v == null ? null : dev(v), lr, momentum, nesterov);
        reference.sgdStep(cpu(w), cpu(g), v == null ? null : cpu(v), lr, momentum, nesterov);
        check("sgdStep", 1e-6, 1e-5, w, v);
    }

    @Override
    protected void doRmspropStep(Tensor w, Tensor g, Tensor v, Tensor mom, float lr, float rho, float momentum,
                                 float eps) {
        device.rmspropStep(dev(w), dev(g), dev(v), mom == null ? null : dev(mom), lr, rho, momentum, eps);
        reference.rmspropStep(cpu(w), cpu(g), cpu(v), mom == null ? null : cpu(mom), lr, rho, momentum, eps);
        check("rmspropStep", 1e-6, 1e-5, w, v, mom);
    }

    @Override
    protected void doAdamStep(Tensor w, Tensor g, Tensor m, Tensor v, float alpha, float beta1, float beta2,
                              float eps) {
        device.adamStep(dev(w), dev(g), dev(m), dev(v), alpha, beta1, beta2, eps);
        reference.adamStep(cpu(w), cpu(g), cpu(m), cpu(v), alpha, beta1, beta2, eps);
        check("adamStep", 1e-6, 1e-5, w, m, v);
    }

    // ---------------------------------------------------------------- comparing

    /**
     * Compares {@code written} (the first tensor) and every further written tensor among
     * {@code operands} that is FLOAT32 (inputs compare equal: they were synchronized
     * before), then copies the device's values into the CPU twins.
     */
    private void check(String op, double atol, double rtol, Tensor written, Tensor... operands) {
        int launch = launches.merge(op, 1, Integer::sum);
        StringBuilder shapes = new StringBuilder(written.shape().toString());
        for (Tensor t : operands) {
            if (t != null) {
                shapes.append(", ").append(t.shape());
            }
        }
        compareAndSync(op, launch, shapes, atol, rtol, written);
        for (Tensor t : operands) {
            if (t != null && t.dtype() == DType.FLOAT32) {
                compareAndSync(op, launch, shapes, atol, rtol, t);
            }
        }
    }

    private void compareAndSync(String op, int launch, CharSequence shapes, double atol, double rtol, Tensor t) {
        float[] onDevice = device.download(dev(t)).data();
        float[] onCpu = reference.download(cpu(t)).data();
        BackendVerifier.Check c = BackendVerifier.compareArrays(op, "", onCpu, onDevice, atol, rtol);
        if (!c.passed()) {
            throw new MismatchException(String.format(Locale.ROOT,
                    "--validate: %s on %s differs from the CPU reference at launch %d of that op (tensors %s): %s;"
                            + " max abs error %.3g", op, device.name(), launch, shapes, c.note(), c.maxAbs()));
        }
        reference.upload(onDevice, cpu(t));
    }

    /** The largest finite magnitude in {@code t} (non-finite values are compared by kind, not by size). */
    private float maxAbs(Tensor t) {
        float m = 0f;
        for (float v : reference.download(cpu(t)).data()) {
            if (Float.isFinite(v)) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    private static Tensor dev(Tensor t) {
        return ((Pair) t).onDevice;
    }

    private static Tensor cpu(Tensor t) {
        return ((Pair) t).onCpu;
    }
}
