package clnet.backend.cpu;

import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.backend.ShapeChecks;
import clnet.backend.Tensor;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;
import clnet.tensor.Shape;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/**
 * The reference backend: plain float32 loops, and EJML for the matrix products.
 *
 * <p>Every formula here is the one the OpenCL kernels compute, written for reading: this
 * class is the oracle of the differential tests and the fallback on hosts without
 * OpenCL. Reductions (softmax sums, loss sums, bias gradients) run in a fixed sequential
 * order in float32; the kernels reduce in another order, so the two agree to rounding,
 * not bit for bit.
 */
public final class CpuBackend implements Backend {

    /** Products smaller than this many multiply-adds run on one thread: EJML's threads cost more. */
    private static final long MT_THRESHOLD = 1L << 18;

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "cpu (EJML, " + Runtime.getRuntime().availableProcessors() + " threads)";
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor alloc(Shape shape, DType dtype) {
        try {
            return new CpuTensor(shape, dtype);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                    "out of memory: a %s tensor %s needs %d MiB; the Java heap may grow to %d MiB"
                            + " (JAVA_OPTS=-Xmx<size> gives it more)", dtype, shape,
                    ((long) shape.size() * dtype.bytes()) >> 20, Runtime.getRuntime().maxMemory() >> 20));
        }
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        CpuTensor d = floats(dst);
        ShapeChecks.length(src.length, d);
        System.arraycopy(src, 0, d.data(), 0, d.size());
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        CpuTensor d = ints(dst);
        ShapeChecks.length(src.length, d);
        System.arraycopy(src, 0, d.indices, 0, d.size());
    }

    @Override
    public void download(Tensor src, float[] dst) {
        CpuTensor s = floats(src);
        ShapeChecks.length(dst.length, s);
        System.arraycopy(s.data(), 0, dst, 0, s.size());
    }

    @Override
    public void finish() {
        // every op has finished when it returns
    }

    // ---------------------------------------------------------------- element-wise and copies

    @Override
    public void fill(Tensor t, float value) {
        float[] d = floats(t).data();
        java.util.Arrays.fill(d, 0, t.size(), value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        ShapeChecks.sameSize("copy", src, dst);
        System.arraycopy(floats(src).data(), 0, floats(dst).data(), 0, src.size());
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        ShapeChecks.sameSize("axpy", x, y);
        float[] xs = floats(x).data();
        float[] ys = floats(y).data();
        for (int i = 0, n = x.size(); i < n; i++) {
            ys[i] += alpha * xs[i];
        }
    }

    @Override
    public void gatherRows(Tensor src, Tensor indices, int start, Tensor dst) {
        CpuTensor s = floats(src);
        CpuTensor idx = ints(indices);
        CpuTensor d = floats(dst);
        ShapeChecks.gather(src, indices, start, dst);
        int cols = src.cols();
        for (int r = 0; r < dst.rows(); r++) {
            int from = idx.indices[start + r];
            if (from < 0 || from >= src.rows()) {
                throw new IndexOutOfBoundsException("gatherRows: index " + from + " of " + src.rows() + " rows");
            }
            System.arraycopy(s.data(), from * cols, d.data(), r * cols, cols);
        }
    }

    // ---------------------------------------------------------------- linear algebra

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        ShapeChecks.GemmShape s = ShapeChecks.gemm(transA, transB, a, b, c);
        int m = s.m();
        int n = s.n();
        int k = s.k();
        FMatrixRMaj am = floats(a).matrix;
        FMatrixRMaj bm = floats(b).matrix;
        FMatrixRMaj cm = floats(c).matrix;
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            scaleInPlace(beta, c);
            return;
        }
        if (beta == 0f) {
            fill(c, 0f); // BLAS semantics: C is not read when beta is 0
        } else if (beta != 1f) {
            scaleInPlace(beta, c);
        }
        boolean mt = (long) m * n * k >= MT_THRESHOLD;
        if (!transA && !transB) {
            if (mt) CommonOps_MT_FDRM.multAdd(alpha, am, bm, cm); else CommonOps_FDRM.multAdd(alpha, am, bm, cm);
        } else if (transA && !transB) {
            if (mt) CommonOps_MT_FDRM.multAddTransA(alpha, am, bm, cm); else CommonOps_FDRM.multAddTransA(alpha, am, bm, cm);
        } else if (!transA) {
            if (mt) CommonOps_MT_FDRM.multAddTransB(alpha, am, bm, cm); else CommonOps_FDRM.multAddTransB(alpha, am, bm, cm);
        } else {
            if (mt) CommonOps_MT_FDRM.multAddTransAB(alpha, am, bm, cm); else CommonOps_FDRM.multAddTransAB(alpha, am, bm, cm);
        }
    }

    private void scaleInPlace(float beta, Tensor c) {
        float[] d = floats(c).data();
        for (int i = 0, n = c.size(); i < n; i++) {
            d[i] = beta == 0f ? 0f : beta * d[i];
        }
    }

    @Override
    public void addRowVector(Tensor z, Tensor bias) {
        ShapeChecks.rowVector("addRowVector", bias, z.cols());
        float[] zs = floats(z).data();
        float[] bs = floats(bias).data();
        int cols = z.cols();
        for (int r = 0; r < z.rows(); r++) {
            int base = r * cols;
            for (int j = 0; j < cols; j++) {
                zs[base + j] += bs[j];
            }
        }
    }

    @Override
    public void sumRows(float alpha, Tensor x, Tensor out) {
        ShapeChecks.rowVector("sumRows", out, x.cols());
        float[] xs = floats(x).data();
        float[] os = floats(out).data();
        int cols = x.cols();
        for (int j = 0; j < cols; j++) {
            float s = 0f;
            for (int r = 0; r < x.rows(); r++) {
                s += xs[r * cols + j];
            }
            os[j] = alpha * s;
        }
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void activationForward(Activation f, Tensor z, Tensor a) {
        ShapeChecks.sameShape("activationForward", z, a);
        float[] zs = floats(z).data();
        float[] as = floats(a).data();
        int n = z.size();
        switch (f.kind()) {
            case LINEAR -> System.arraycopy(zs, 0, as, 0, n);
            case SIGMOID -> { for (int i = 0; i < n; i++) as[i] = sigmoid(zs[i]); }
            case TANH -> { for (int i = 0; i < n; i++) as[i] = (float) Math.tanh(zs[i]); }
            case RELU -> { for (int i = 0; i < n; i++) as[i] = Math.max(zs[i], 0f); }
            case LEAKY_RELU -> {
                float slope = f.alpha();
                for (int i = 0; i < n; i++) as[i] = zs[i] > 0f ? zs[i] : slope * zs[i];
            }
            case ARCTAN -> { for (int i = 0; i < n; i++) as[i] = (float) Math.atan(zs[i]); }
            case SOFTMAX -> softmaxRows(zs, as, z.rows(), z.cols());
        }
    }

    /** 1 / (1 + e^-z), written so that neither branch overflows. */
    static float sigmoid(float z) {
        if (z >= 0f) {
            return 1f / (1f + (float) Math.exp(-z));
        }
        float e = (float) Math.exp(z);
        return e / (1f + e);
    }

    /** a = e^(z - max) / sum e^(z - max), row by row: the max keeps exp from overflowing. */
    private static void softmaxRows(float[] zs, float[] as, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, zs[base + j]);
            }
            float sum = 0f;
            for (int j = 0; j < cols; j++) {
                float e = (float) Math.exp(zs[base + j] - max);
                as[base + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int j = 0; j < cols; j++) {
                as[base + j] *= inv;
            }
        }
    }

    @Override
    public void activationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ) {
        ShapeChecks.sameShape("activationBackward", z, a);
        ShapeChecks.sameShape("activationBackward", z, dA);
        ShapeChecks.sameShape("activationBackward", z, dZ);
        float[] zs = floats(z).data();
        float[] as = floats(a).data();
        float[] da = floats(dA).data();
        float[] dz = floats(dZ).data();
        int n = z.size();
        switch (f.kind()) {
            case LINEAR -> System.arraycopy(da, 0, dz, 0, n);
            case SIGMOID -> { for (int i = 0; i < n; i++) dz[i] = da[i] * as[i] * (1f - as[i]); }
            case TANH -> { for (int i = 0; i < n; i++) dz[i] = da[i] * (1f - as[i] * as[i]); }
            // the derivative at 0 is taken as 0 for relu and as the slope for leaky relu,
            // as TensorFlow does
            case RELU -> { for (int i = 0; i < n; i++) dz[i] = zs[i] > 0f ? da[i] : 0f; }
            case LEAKY_RELU -> {
                float slope = f.alpha();
                for (int i = 0; i < n; i++) dz[i] = zs[i] > 0f ? da[i] : slope * da[i];
            }
            case ARCTAN -> { for (int i = 0; i < n; i++) dz[i] = da[i] / (1f + zs[i] * zs[i]); }
            case SOFTMAX -> {
                int rows = z.rows();
                int cols = z.cols();
                for (int r = 0; r < rows; r++) {
                    int base = r * cols;
                    float dot = 0f;
                    for (int j = 0; j < cols; j++) {
                        dot += da[base + j] * as[base + j];
                    }
                    for (int j = 0; j < cols; j++) {
                        dz[base + j] = as[base + j] * (da[base + j] - dot);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- losses and metrics

    @Override
    public void lossSum(Loss loss, Tensor p, Tensor y, Tensor acc, int slot) {
        ShapeChecks.target(loss, p, y);
        float[] ps = floats(p).data();
        float[] ys = floats(y).data();
        float[] accs = floats(acc).data();
        ShapeChecks.slot(acc, slot);
        int rows = p.rows();
        int cols = p.cols();
        float total = 0f;
        for (int r = 0; r < rows; r++) {
            total += sampleLoss(loss, ps, ys, r, cols);
        }
        accs[slot] += total;
    }

    /** The per-sample loss of row r (see {@link Loss}). */
    private static float sampleLoss(Loss loss, float[] ps, float[] ys, int r, int cols) {
        int base = r * cols;
        final float eps = Loss.EPSILON;
        switch (loss) {
            case CATEGORICAL_CROSSENTROPY, SPARSE_CATEGORICAL_CROSSENTROPY -> {
                float sum = 0f;
                for (int j = 0; j < cols; j++) {
                    sum += ps[base + j];
                }
                if (loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY) {
                    int label = (int) ys[r];
                    if (!validLabel(ys[r], cols)) {
                        return Float.NaN; // the NaN-loss check then stops training
                    }
                    return -(float) Math.log(clip(ps[base + label] / sum, eps));
                }
                float l = 0f;
                for (int j = 0; j < cols; j++) {
                    float t = ys[base + j];
                    if (t != 0f) {
                        l -= t * (float) Math.log(clip(ps[base + j] / sum, eps));
                    }
                }
                return l;
            }
            case BINARY_CROSSENTROPY -> {
                float l = 0f;
                for (int j = 0; j < cols; j++) {
                    float c = clip(ps[base + j], eps);
                    float t = ys[base + j];
                    l -= t * (float) Math.log(c) + (1f - t) * (float) Math.log(1f - c);
                }
                return l / cols;
            }
            case MEAN_SQUARED_ERROR -> {
                float l = 0f;
                for (int j = 0; j < cols; j++) {
                    float d = ps[base + j] - ys[base + j];
                    l += d * d;
                }
                return l / cols;
            }
            case MEAN_ABSOLUTE_ERROR -> {
                float l = 0f;
                for (int j = 0; j < cols; j++) {
                    l += Math.abs(ps[base + j] - ys[base + j]);
                }
                return l / cols;
            }
        }
        throw new AssertionError(loss);
    }

    /**
     * Whether a sparse target is a class index of the output. A bad one makes the loss and
     * gradient NaN here and in the kernels alike, never an out-of-bounds read; fit checks
     * labels before training, so only direct calls of the step API can get there.
     */
    static boolean validLabel(float label, int classes) {
        return label >= 0 && label < classes && label == (int) label;
    }

    static float clip(float p, float eps) {
        return Math.min(Math.max(p, eps), 1f - eps);
    }

    static boolean inside(float p, float eps) {
        return p > eps && p < 1f - eps;
    }

    @Override
    public void lossGradient(Loss loss, Tensor p, Tensor y, float scale, Tensor dP) {
        ShapeChecks.target(loss, p, y);
        ShapeChecks.sameShape("lossGradient", p, dP);
        float[] ps = floats(p).data();
        float[] ys = floats(y).data();
        float[] g = floats(dP).data();
        int rows = p.rows();
        int cols = p.cols();
        final float eps = Loss.EPSILON;
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            switch (loss) {
                case CATEGORICAL_CROSSENTROPY, SPARSE_CATEGORICAL_CROSSENTROPY -> {
                    // l = -sum_j y_j log clip(q_j), q = p / S, S = sum p. With
                    // h_j = dl/dq_j (zero where clipped): dl/dp_k = (h_k - sum_j h_j q_j) / S.
                    boolean sparse = loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY;
                    float sum = 0f;
                    for (int j = 0; j < cols; j++) {
                        sum += ps[base + j];
                    }
                    float dot = 0f;
                    for (int j = 0; j < cols; j++) {
                        float t = sparse ? ((int) ys[r] == j ? 1f : 0f) : ys[base + j];
                        float q = ps[base + j] / sum;
                        float h = t != 0f && inside(q, eps) ? -t / q : 0f;
                        g[base + j] = h;
                        dot += h * q;
                    }
                    if (sparse && !validLabel(ys[r], cols)) {
                        dot = Float.NaN;
                    }
                    for (int j = 0; j < cols; j++) {
                        g[base + j] = scale * (g[base + j] - dot) / sum;
                    }
                }
                case BINARY_CROSSENTROPY -> {
                    for (int j = 0; j < cols; j++) {
                        float pj = ps[base + j];
                        float t = ys[base + j];
                        g[base + j] = inside(pj, eps)
                                ? scale * (-t / pj + (1f - t) / (1f - pj)) / cols
                                : 0f;
                    }
                }
                case MEAN_SQUARED_ERROR -> {
                    for (int j = 0; j < cols; j++) {
                        g[base + j] = scale * 2f * (ps[base + j] - ys[base + j]) / cols;
                    }
                }
                case MEAN_ABSOLUTE_ERROR -> {
                    for (int j = 0; j < cols; j++) {
                        g[base + j] = scale * Math.signum(ps[base + j] - ys[base + j]) / cols;
                    }
                }
            }
        }
    }

    @Override
    public void softmaxCrossEntropyGradient(Tensor p, Tensor y, boolean sparse, float scale, Tensor dZ) {
        ShapeChecks.target(sparse ? Loss.SPARSE_CATEGORICAL_CROSSENTROPY : Loss.CATEGORICAL_CROSSENTROPY, p, y);
        ShapeChecks.sameShape("softmaxCrossEntropyGradient", p, dZ);
        float[] ps = floats(p).data();
        float[] ys = floats(y).data();
        float[] g = floats(dZ).data();
        int rows = p.rows();
        int cols = p.cols();
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            int label = sparse ? (int) ys[r] : -1;
            boolean bad = sparse && !validLabel(ys[r], cols);
            for (int j = 0; j < cols; j++) {
                float t = sparse ? (j == label ? 1f : 0f) : ys[base + j];
                g[base + j] = bad ? Float.NaN : scale * (ps[base + j] - t);
            }
        }
    }

    @Override
    public void countCorrect(Accuracy accuracy, Tensor p, Tensor y, Tensor acc, int slot) {
        ShapeChecks.slot(acc, slot);
        int rows = p.rows();
        int cols = p.cols();
        ShapeChecks.target(accuracy, p, y);
        float[] ps = floats(p).data();
        float[] ys = floats(y).data();
        float correct = 0f;
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            switch (accuracy) {
                case CATEGORICAL ->
                        correct += HostTensor.argmax(ps, base, cols) == HostTensor.argmax(ys, base, cols) ? 1f : 0f;
                case SPARSE_CATEGORICAL -> correct += HostTensor.argmax(ps, base, cols) == (int) ys[r] ? 1f : 0f;
                case BINARY -> {
                    int agree = 0;
                    for (int j = 0; j < cols; j++) {
                        if ((ps[base + j] > 0.5f) == (ys[base + j] > 0.5f)) {
                            agree++;
                        }
                    }
                    correct += (float) agree / cols;
                }
            }
        }
        floats(acc).data()[slot] += correct;
    }

    // ---------------------------------------------------------------- optimizer updates

    @Override
    public void sgdStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, boolean nesterov) {
        ShapeChecks.sameSize("sgdStep", w, g);
        float[] ws = floats(w).data();
        float[] gs = floats(g).data();
        int n = w.size();
        if (v == null) {
            for (int i = 0; i < n; i++) {
                ws[i] -= lr * gs[i];
            }
            return;
        }
        ShapeChecks.sameSize("sgdStep", w, v);
        float[] vs = floats(v).data();
        for (int i = 0; i < n; i++) {
            float vi = momentum * vs[i] - lr * gs[i];
            vs[i] = vi;
            ws[i] += nesterov ? momentum * vi - lr * gs[i] : vi;
        }
    }

    @Override
    public void rmspropStep(Tensor w, Tensor g, Tensor v, Tensor mom, float lr, float rho, float momentum, float eps) {
        ShapeChecks.sameSize("rmspropStep", w, g);
        ShapeChecks.sameSize("rmspropStep", w, v);
        float[] ws = floats(w).data();
        float[] gs = floats(g).data();
        float[] vs = floats(v).data();
        float[] ms = mom == null ? null : floats(mom).data();
        for (int i = 0, n = w.size(); i < n; i++) {
            float gi = gs[i];
            float vi = rho * vs[i] + (1f - rho) * gi * gi;
            vs[i] = vi;
            float inc = lr * gi / (float) Math.sqrt(vi + eps);
            if (ms != null) {
                inc = momentum * ms[i] + inc;
                ms[i] = inc;
            }
            ws[i] -= inc;
        }
    }

    @Override
    public void adamStep(Tensor w, Tensor g, Tensor m, Tensor v, float alpha, float beta1, float beta2, float eps) {
        ShapeChecks.sameSize("adamStep", w, g);
        ShapeChecks.sameSize("adamStep", w, m);
        ShapeChecks.sameSize("adamStep", w, v);
        float[] ws = floats(w).data();
        float[] gs = floats(g).data();
        float[] ms = floats(m).data();
        float[] vs = floats(v).data();
        for (int i = 0, n = w.size(); i < n; i++) {
            float gi = gs[i];
            float mi = ms[i] + (gi - ms[i]) * (1f - beta1);
            float vi = vs[i] + (gi * gi - vs[i]) * (1f - beta2);
            ms[i] = mi;
            vs[i] = vi;
            ws[i] -= alpha * mi / ((float) Math.sqrt(vi) + eps);
        }
    }

    @Override
    public void close() {
        // nothing native to release
    }

    // ---------------------------------------------------------------- checks

    private static CpuTensor floats(Tensor t) {
        CpuTensor c = cpu(t);
        if (c.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("expected a FLOAT32 tensor, got " + t);
        }
        return c;
    }

    private static CpuTensor ints(Tensor t) {
        CpuTensor c = cpu(t);
        if (c.dtype() != DType.INT32) {
            throw new IllegalArgumentException("expected an INT32 tensor, got " + t);
        }
        c.checkOpen();
        return c;
    }

    private static CpuTensor cpu(Tensor t) {
        if (t instanceof CpuTensor c) {
            return c;
        }
        throw new IllegalArgumentException("tensor of another backend: " + t);
    }
}
