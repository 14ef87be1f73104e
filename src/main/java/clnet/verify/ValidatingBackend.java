package clnet.verify;

import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;
import clnet.backend.cpu.CpuBackend;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
 * |cpu|, NaN where NaN is due; the op's {@link Tolerance}); then the
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

        /** A group's whole: the two backends' wholes of one layout. */
        Pair(ValidatingBackend owner, TensorGroup.Layout layout, Tensor onDevice, Tensor onCpu) {
            super(owner, layout);
            this.onDevice = onDevice;
            this.onCpu = onCpu;
        }

        /** A part of the group whose whole is {@code whole}: the two backends' parts. */
        Pair(Pair whole, Shape shape, Tensor onDevice, Tensor onCpu) {
            super(whole, shape);
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
    public String arithmetic() {
        return device.arithmetic();
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
    public int groupAlignment() {
        return device.groupAlignment();
    }

    /** The device's group, and the reference's laid out the same, so that whole compares with whole. */
    @Override
    protected TensorGroup doAllocGroup(TensorGroup.Layout layout) {
        TensorGroup d = device.allocGroup(layout.shapes(), layout.alignment());
        TensorGroup c;
        try {
            c = reference.allocGroup(layout.shapes(), layout.alignment());
        } catch (RuntimeException e) {
            d.whole().close();
            throw e;
        }
        Pair whole = new Pair(this, layout, d.whole(), c.whole());
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < d.parts().size(); i++) {
            parts.add(new Pair(whole, layout.shapes().get(i), d.parts().get(i), c.parts().get(i)));
        }
        return new TensorGroup(whole, parts);
    }

    @Override
    protected void doUpload(float[] src, int offset, Tensor dst) {
        device.upload(src, offset, dev(dst));
        reference.upload(src, offset, cpu(dst));
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
        check("fill", Tolerance.EXACT, t);
    }

    @Override
    protected void doCopy(Tensor src, Tensor dst) {
        device.copy(dev(src), dev(dst));
        reference.copy(cpu(src), cpu(dst));
        check("copy", Tolerance.EXACT, dst, src);
    }

    @Override
    protected void doAxpy(float alpha, Tensor x, Tensor y) {
        device.axpy(alpha, dev(x), dev(y));
        reference.axpy(alpha, cpu(x), cpu(y));
        check("axpy", Tolerance.ELEMENTWISE, y, x);
    }

    @Override
    protected void doGatherRows(Tensor src, Tensor indices, int start, Tensor dst) {
        device.gatherRows(dev(src), dev(indices), start, dev(dst));
        reference.gatherRows(cpu(src), cpu(indices), start, cpu(dst));
        check("gatherRows", Tolerance.EXACT, dst, src);
    }

    @Override
    protected void doDropout(Tensor x, Tensor y, float rate, float scale, long seed, long stream, long offset) {
        device.dropout(dev(x), dev(y), rate, seed, stream, offset);
        reference.dropout(cpu(x), cpu(y), rate, seed, stream, offset);
        check("dropout", Tolerance.EXACT, y, x); // the same mask, bit for bit
    }

    @Override
    protected void doGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c,
                          GemmShape s) {
        device.gemm(transA, transB, alpha, dev(a), dev(b), beta, dev(c));
        reference.gemm(transA, transB, alpha, cpu(a), cpu(b), beta, cpu(c));
        // BackendVerifier's 2e-6 * K assumes products of order one; scale it by the inputs, down
        // as well as up (floored at 1, products of 1e-5 passed a C of zeros)
        double scale = Math.abs(alpha) * maxAbs(a) * maxAbs(b);
        check("gemm " + (transA ? "T" : "N") + (transB ? "T" : "N"), Tolerance.gemm(s.k()).scaled(scale), c, a, b);
    }

    @Override
    protected void doDenseForward(Activation f, Tensor x, Tensor w, Tensor bias, Tensor z, Tensor a) {
        device.denseForward(f, dev(x), dev(w), dev(bias), dev(z), dev(a));
        reference.denseForward(f, cpu(x), cpu(w), cpu(bias), cpu(z), cpu(a));
        String op = "denseForward " + f.id();
        int launch = launches.merge(op, 1, Integer::sum);
        String shapes = z.shape() + ", " + a.shape();
        // z with the product's tolerance (scaled as gemm's), then a = f(z) from the device's z
        // with the activation's: the epilogue is checked as closely as biasActivationForward is
        double scale = maxAbs(x) * maxAbs(w) + maxAbs(bias);
        compareAndSync(op, launch, shapes, Tolerance.gemm(x.cols()).scaled(scale), z);
        reference.activationForward(f, cpu(z), cpu(a));
        compareAndSync(op, launch, shapes, Tolerance.activation(false, a.cols()), a);
    }

    @Override
    protected void doAddRowVector(Tensor z, Tensor bias) {
        device.addRowVector(dev(z), dev(bias));
        reference.addRowVector(cpu(z), cpu(bias));
        check("addRowVector", Tolerance.ELEMENTWISE, z, bias);
    }

    @Override
    protected void doScaleColumns(Tensor x, Tensor scale, Tensor shift, Tensor y) {
        device.scaleColumns(dev(x), dev(scale), dev(shift), dev(y));
        reference.scaleColumns(cpu(x), cpu(scale), cpu(shift), cpu(y));
        check("scaleColumns", Tolerance.ELEMENTWISE, y, x, scale, shift);
    }

    @Override
    protected void doAffineWarp(Tensor x, Tensor matrices, Tensor y, int h, int w, int channels, boolean constantFill,
                                float cval) {
        device.affineWarp(dev(x), dev(matrices), dev(y), h, w, channels, constantFill, cval);
        reference.affineWarp(cpu(x), cpu(matrices), cpu(y), h, w, channels, constantFill, cval);
        check("affineWarp", Tolerance.WARP, y, x, matrices);
    }

    @Override
    protected void doSumRows(float alpha, Tensor x, Tensor out) {
        device.sumRows(alpha, dev(x), dev(out));
        reference.sumRows(alpha, cpu(x), cpu(out));
        check("sumRows", Tolerance.columnSum(x.rows()).scaled(maxAbs(x)), out, x);
    }

    @Override
    protected void doActivationForward(Activation f, Tensor z, Tensor a) {
        device.activationForward(f, dev(z), dev(a));
        reference.activationForward(f, cpu(z), cpu(a));
        check("activationForward " + f.id(), Tolerance.activation(f.kind() == Activation.Kind.SOFTMAX, z.cols()), a, z);
    }

    @Override
    protected void doBiasActivationForward(Activation f, Tensor z, Tensor bias, Tensor a) {
        device.biasActivationForward(f, dev(z), dev(bias), dev(a));
        reference.biasActivationForward(f, cpu(z), cpu(bias), cpu(a));
        check("biasActivationForward " + f.id(), Tolerance.activation(false, z.cols()), a, z);
    }

    @Override
    protected void doActivationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ) {
        device.activationBackward(f, dev(z), dev(a), dev(dA), dev(dZ));
        reference.activationBackward(f, cpu(z), cpu(a), cpu(dA), cpu(dZ));
        check("activationBackward " + f.id(), Tolerance.activation(f.kind() == Activation.Kind.SOFTMAX, z.cols()), dZ,
                z, dA);
    }

    @Override
    protected void doLossSum(Loss loss, Tensor p, Tensor y, Tensor acc, int slot) {
        device.lossSum(loss, dev(p), dev(y), dev(acc), slot);
        reference.lossSum(loss, cpu(p), cpu(y), cpu(acc), slot);
        check("lossSum " + loss.id(), Tolerance.lossSum(p.rows()), acc, p, y);
    }

    @Override
    protected void doWeightPenalty(Tensor w, float l1, float l2, Tensor g, float lossWeight, Tensor acc, int slot) {
        device.weightPenalty(dev(w), l1, l2, g == null ? null : dev(g), lossWeight, dev(acc), slot);
        reference.weightPenalty(cpu(w), l1, l2, g == null ? null : cpu(g), lossWeight, cpu(acc), slot);
        if (g != null) {
            check("weightPenalty gradient", Tolerance.ELEMENTWISE, g, w);
        }
        check("weightPenalty", Tolerance.penaltySum(w.size()), acc, w);
    }

    @Override
    protected void doLossGradient(Loss loss, Tensor p, Tensor y, float scale, Tensor dP) {
        device.lossGradient(loss, dev(p), dev(y), scale, dev(dP));
        reference.lossGradient(loss, cpu(p), cpu(y), scale, cpu(dP));
        check("lossGradient " + loss.id(), Tolerance.LOSS_GRADIENT, dP, p, y);
    }

    @Override
    protected void doSoftmaxCrossEntropyGradient(Tensor p, Tensor y, boolean sparse, float scale, Tensor dZ) {
        device.softmaxCrossEntropyGradient(dev(p), dev(y), sparse, scale, dev(dZ));
        reference.softmaxCrossEntropyGradient(cpu(p), cpu(y), sparse, scale, cpu(dZ));
        check("softmaxCrossEntropyGradient", Tolerance.SOFTMAX_XENT, dZ, p, y);
    }

    @Override
    protected void doCountCorrect(Accuracy accuracy, Tensor p, Tensor y, Tensor acc, int slot) {
        device.countCorrect(accuracy, dev(p), dev(y), dev(acc), slot);
        reference.countCorrect(accuracy, cpu(p), cpu(y), cpu(acc), slot);
        // a prediction within rounding of a tie may be counted either way: allow one sample
        check("countCorrect " + accuracy.name().toLowerCase(Locale.ROOT), new Tolerance(1.0001, 0), acc, p, y);
    }

    @Override
    protected void doSgdStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, boolean nesterov) {
        device.sgdStep(dev(w), dev(g), v == null ? null : dev(v), lr, momentum, nesterov);
        reference.sgdStep(cpu(w), cpu(g), v == null ? null : cpu(v), lr, momentum, nesterov);
        check("sgdStep", Tolerance.OPTIMIZER, w, v);
    }

    @Override
    protected void doRmspropStep(Tensor w, Tensor g, Tensor v, Tensor mom, float lr, float rho, float momentum,
                                 float eps) {
        device.rmspropStep(dev(w), dev(g), dev(v), mom == null ? null : dev(mom), lr, rho, momentum, eps);
        reference.rmspropStep(cpu(w), cpu(g), cpu(v), mom == null ? null : cpu(mom), lr, rho, momentum, eps);
        check("rmspropStep", Tolerance.OPTIMIZER, w, v, mom);
    }

    @Override
    protected void doAdamStep(Tensor w, Tensor g, Tensor m, Tensor v, float alpha, float beta1, float beta2,
                              float eps) {
        device.adamStep(dev(w), dev(g), dev(m), dev(v), alpha, beta1, beta2, eps);
        reference.adamStep(cpu(w), cpu(g), cpu(m), cpu(v), alpha, beta1, beta2, eps);
        check("adamStep", Tolerance.OPTIMIZER, w, m, v);
    }

    // ---------------------------------------------------------------- comparing

    /**
     * Compares {@code written} (the first tensor) and every further written tensor among
     * {@code operands} that is FLOAT32 (inputs compare equal: they were synchronized
     * before), then copies the device's values into the CPU twins.
     */
    private void check(String op, Tolerance tolerance, Tensor written, Tensor... operands) {
        int launch = launches.merge(op, 1, Integer::sum);
        StringBuilder shapes = new StringBuilder(written.shape().toString());
        for (Tensor t : operands) {
            if (t != null) {
                shapes.append(", ").append(t.shape());
            }
        }
        compareAndSync(op, launch, shapes, tolerance, written);
        for (Tensor t : operands) {
            if (t != null && t.dtype() == DType.FLOAT32) {
                compareAndSync(op, launch, shapes, tolerance, t);
            }
        }
    }

    private void compareAndSync(String op, int launch, CharSequence shapes, Tolerance tolerance, Tensor t) {
        float[] onDevice = device.download(dev(t)).data();
        float[] onCpu = reference.download(cpu(t)).data();
        BackendVerifier.Check c = BackendVerifier.compareArrays(op, "", onCpu, onDevice, tolerance.abs(),
                tolerance.rel());
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
