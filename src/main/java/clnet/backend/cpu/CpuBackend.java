package clnet.backend.cpu;

import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;
import clnet.tensor.Philox;
import clnet.tensor.Shape;
import dev.ludovic.netlib.blas.BLAS;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/**
 * The CPU backend: plain float32 loops, and EJML or the system's BLAS for the matrix
 * products. {@code new CpuBackend()} is the reference (EJML): the oracle of the
 * differential tests and of {@code --validate}; {@link #withNativeBlas()} is the same
 * backend with its products through OpenBLAS, the fast path on hosts without a GPU.
 *
 * <p>Every formula here is the one the OpenCL kernels compute, written for reading. Reductions (softmax sums, loss sums, bias gradients) run in a fixed sequential
 * order in float32; the kernels reduce in another order, so the two agree to rounding,
 * not bit for bit.
 */
public class CpuBackend extends Backend {

    /** Products smaller than this many multiply-adds run on one thread: EJML's threads cost more. */
    private static final long MT_THRESHOLD = 1L << 18;

    /** The native BLAS the products go through, or null for EJML's (the reference). */
    private final BLAS blas;

    /**
     * Who runs the element-wise loops and the parts of split products: the calling thread
     * beside a BLAS with threads of its own, else every core.
     */
    private final Parallel loops;

    /**
     * The reference backend: every product through EJML. This is the oracle of the
     * differential tests and of {@code --validate}, and {@code --device cpu:reference}.
     */
    public CpuBackend() {
        this(null);
    }

    private CpuBackend(BLAS blas) {
        this.blas = blas;
        this.loops = blas != null && NativeBlas.threads() > 1 && !Parallel.threadsSet() ? Parallel.CALLER
                : Parallel.cores();
    }

    /**
     * The fast CPU backend ({@code --device cpu}): the products through the system's BLAS
     * (OpenBLAS), checked against EJML when it loads; everything else as in the reference.
     * Where no native BLAS loads or it computes wrongly, this is the reference backend, and
     * {@link #description()} says why.
     */
    public static CpuBackend withNativeBlas() {
        return new CpuBackend(NativeBlas.instance());
    }

    /**
     * Debian's pthreads build of OpenBLAS where it is installed, else null: the library whose
     * calls this backend splits over its own threads when {@code OPENBLAS_NUM_THREADS=1}, which
     * the launcher sets (before the JVM that loads it starts) only where this file exists.
     */
    public static java.nio.file.Path pthreadsBlas() {
        return debianLibrary("openblas-pthread/libblas.so.3");
    }

    /** {@code /usr/lib/<multiarch>/<name>} where that file exists (Debian's layout), else null. */
    static java.nio.file.Path debianLibrary(String name) {
        String multiarch = switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> "x86_64-linux-gnu";
            case "aarch64" -> "aarch64-linux-gnu";
            default -> null;
        };
        java.nio.file.Path lib = multiarch == null ? null : java.nio.file.Path.of("/usr/lib", multiarch, name);
        return lib != null && java.nio.file.Files.isRegularFile(lib) ? lib : null;
    }

    /** Whether the products go through a native BLAS rather than EJML. */
    public boolean usesNativeBlas() {
        return blas != null;
    }

    @Override
    public String name() {
        return blas != null ? "cpu" : "cpu:reference";
    }

    @Override
    public String arithmetic() {
        return "Java"; // the reference's and the fast backend's element-wise loops are the same code
    }

    @Override
    public String description() {
        int threads = Runtime.getRuntime().availableProcessors();
        if (blas != null) {
            String core = "OpenBLAS through JNI, core " + NativeBlas.coreType();
            if (NativeBlas.threads() > 1) {
                return "cpu (" + core + ", " + NativeBlas.threads() + " threads of its own"
                        + (loops.threads() == 1 && threads > 1 ? "; other ops on the calling thread" : "") + ")";
            }
            if (NativeBlas.takesConcurrentCalls()) {
                return "cpu (" + core + ", one thread per call; products and other ops split over " + loops.threads()
                        + " threads)";
            }
            return "cpu (" + core + ", one thread; other ops split over " + loops.threads() + " threads)";
        }
        String why = NativeBlas.unavailableReason();
        return "cpu:reference (EJML, " + threads + " threads" + (why == null ? "" : "; " + why) + ")";
    }

    // ---------------------------------------------------------------- memory

    @Override
    protected Tensor doAlloc(Shape shape, DType dtype) {
        try {
            return new CpuTensor(this, shape, dtype);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                    "out of memory: a %s tensor %s needs %d MiB; the Java heap may grow to %d MiB"
                            + " (JAVA_OPTS=-Xmx<size> gives it more)", dtype, shape,
                    ((long) shape.size() * dtype.bytes()) >> 20, Runtime.getRuntime().maxMemory() >> 20));
        }
    }

    @Override
    protected TensorGroup doAllocGroup(TensorGroup.Layout layout) {
        try {
            return CpuTensor.group(this, layout);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException(String.format(java.util.Locale.ROOT,
                    "out of memory: a group of %d tensors needs %d MiB; the Java heap may grow to %d MiB"
                            + " (JAVA_OPTS=-Xmx<size> gives it more)", layout.shapes().size(),
                    (4L * layout.size()) >> 20, Runtime.getRuntime().maxMemory() >> 20));
        }
    }

    /**
     * The arrays an element-wise op walks, in order: a tensor's own array, or a group
     * whole's parts and padding; {@link #lengths} gives how many elements of each. Operands
     * of one op have the same segments (the front checked their layouts).
     */
    private static float[][] segments(Tensor t) {
        CpuTensor c = cpu(t);
        return c.segments != null ? c.segments : new float[][] {c.data()};
    }

    private static int[] lengths(Tensor t) {
        CpuTensor c = cpu(t);
        if (c.segments == null) {
            return new int[] {t.size()}; // a view's array is longer than its size
        }
        int[] n = new int[c.segments.length];
        for (int s = 0; s < n.length; s++) {
            n[s] = c.segments[s].length;
        }
        return n;
    }

    /** A loop over [from, to) of one segment: {@code a[k]} is operand k's array there, null for a null operand. */
    private interface SegmentLoop {
        void run(float[][] a, int from, int to);
    }

    /**
     * Runs {@code body} over every element of same-layout operands (one segment for plain
     * tensors; parts and padding for group wholes), each segment split over the cores at
     * {@code costPerIndex} units of work per element.
     */
    private void forEachSegment(int costPerIndex, SegmentLoop body, Tensor... operands) {
        float[][][] segments = new float[operands.length][][];
        for (int k = 0; k < operands.length; k++) {
            segments[k] = operands[k] == null ? null : segments(operands[k]);
        }
        int[] lengths = lengths(operands[0]);
        for (int s = 0; s < lengths.length; s++) {
            float[][] a = new float[operands.length][];
            for (int k = 0; k < operands.length; k++) {
                a[k] = segments[k] == null ? null : segments[k][s];
            }
            loops.forRange(lengths[s], costPerIndex, (from, to) -> body.run(a, from, to));
        }
    }

    @Override
    protected void doUpload(float[] src, int offset, Tensor dst) {
        float[][] d = segments(dst);
        int[] n = lengths(dst);
        for (int s = 0, from = offset; s < d.length; from += n[s], s++) {
            float[] part = d[s];
            int start = from;
            // a batch from the host (predict's, 128 x 784) copies faster on every core
            loops.forRange(n[s], 1, (i0, i1) -> System.arraycopy(src, start + i0, part, i0, i1 - i0));
        }
    }

    @Override
    protected void doUpload(int[] src, Tensor dst) {
        CpuTensor d = cpu(dst);
        System.arraycopy(src, 0, d.indices, 0, d.size());
    }

    @Override
    protected void doDownload(Tensor src, float[] dst) {
        float[][] from = segments(src);
        int[] n = lengths(src);
        for (int s = 0, to = 0; s < from.length; to += n[s], s++) {
            System.arraycopy(from[s], 0, dst, to, n[s]);
        }
    }

    @Override
    protected void doFinish() {
        // every op has finished when it returns
    }

    // ---------------------------------------------------------------- element-wise and copies

    @Override
    protected void doFill(Tensor t, float value) {
        float[][] d = segments(t);
        int[] n = lengths(t);
        for (int s = 0; s < d.length; s++) {
            java.util.Arrays.fill(d[s], 0, n[s], value);
        }
    }

    @Override
    protected void doCopy(Tensor src, Tensor dst) {
        float[][] from = segments(src);
        float[][] to = segments(dst);
        int[] n = lengths(src);
        for (int s = 0; s < from.length; s++) {
            System.arraycopy(from[s], 0, to[s], 0, n[s]);
        }
    }

    @Override
    protected void doAxpy(float alpha, Tensor x, Tensor y) {
        forEachSegment(1, (a, from, to) -> {
            float[] xs = a[0];
            float[] ys = a[1];
            for (int i = from; i < to; i++) {
                ys[i] += alpha * xs[i];
            }
        }, x, y);
    }

    @Override
    protected void doGatherRows(Tensor src, Tensor indices, int start, Tensor dst) {
        CpuTensor s = cpu(src);
        CpuTensor idx = cpu(indices);
        CpuTensor d = cpu(dst);
        int cols = src.cols();
        loops.forRange(dst.rows(), cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int from = idx.indices[start + r];
                if (from < 0 || from >= src.rows()) {
                    java.util.Arrays.fill(d.data(), r * cols, (r + 1) * cols, Float.NaN); // as the kernel does
                } else {
                    System.arraycopy(s.data(), from * cols, d.data(), r * cols, cols);
                }
            }
        });
    }

    @Override
    protected void doDropout(Tensor x, Tensor y, float rate, float scale, long seed, long stream, long offset) {
        float[] xs = cpu(x).data();
        float[] ys = cpu(y).data();
        int n = x.size();
        // element g = offset + i takes word g % 4 of Philox block g / 4: one generator call per four elements
        long firstBlock = offset / 4;
        int blocks = (int) ((offset + n + 3) / 4 - firstBlock);
        loops.forRange(blocks, 64, (b0, b1) -> {
            float[] u = new float[4];
            for (int b = b0; b < b1; b++) {
                long block = firstBlock + b;
                Philox.uniforms(seed, stream, block, u);
                for (int j = 0; j < 4; j++) {
                    long i = 4 * block + j - offset;
                    if (i >= 0 && i < n) {
                        ys[(int) i] = u[j] >= rate ? xs[(int) i] * scale : 0f;
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- linear algebra

    @Override
    protected void doGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c,
                          GemmShape s) {
        int m = s.m();
        int n = s.n();
        int k = s.k();
        FMatrixRMaj am = cpu(a).matrix;
        FMatrixRMaj bm = cpu(b).matrix;
        FMatrixRMaj cm = cpu(c).matrix;
        if (k == 0) {
            scaleInPlace(beta, c);
            return;
        }
        if (blas != null) {
            // BLAS itself does not read C when beta is 0 (NativeBlasTest holds it to that with NaN in C).
            // Where the library takes calls from several threads at once (each on its caller's
            // thread) the product is split over the cores, along the longer side of C:
            // its rows are op(A)'s rows (A's columns when transposed), its columns op(B)'s
            // columns (B's rows when transposed), split on 16-float (cache line) boundaries
            float[] ad = am.data;
            float[] bd = bm.data;
            float[] cd = cm.data;
            int lda = a.cols();
            int ldb = b.cols();
            if (!NativeBlas.takesConcurrentCalls()) {
                NativeBlas.sgemm(blas, transA, transB, m, n, k, alpha, ad, lda, bd, ldb, beta, cd); // one call
            } else if (m >= n) {
                int rowCost = (int) Math.min(Integer.MAX_VALUE, (long) n * k);
                loops.forRange(m, rowCost, (r0, r1) -> NativeBlas.sgemm(blas, transA, transB, r1 - r0, n, k, alpha,
                        ad, transA ? r0 : r0 * lda, lda, bd, 0, ldb, beta, cd, r0 * n, n));
            } else {
                int blockCost = (int) Math.min(Integer.MAX_VALUE, 16L * m * k);
                loops.forRange((n + 15) / 16, blockCost, (b0, b1) -> {
                    int j0 = b0 * 16;
                    int j1 = Math.min(n, b1 * 16);
                    NativeBlas.sgemm(blas, transA, transB, m, j1 - j0, k, alpha, ad, 0, lda, bd, transB ? j0 * ldb : j0,
                            ldb, beta, cd, j0, n);
                });
            }
            return;
        }
        if (beta == 0f) {
            doFill(c, 0f); // BLAS semantics: C is not read when beta is 0
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
        float[] d = cpu(c).data();
        for (int i = 0, n = c.size(); i < n; i++) {
            d[i] = beta == 0f ? 0f : beta * d[i];
        }
    }

    @Override
    protected void doAddRowVector(Tensor z, Tensor bias) {
        float[] zs = cpu(z).data();
        float[] bs = cpu(bias).data();
        int cols = z.cols();
        loops.forRange(z.rows(), cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * cols;
                for (int j = 0; j < cols; j++) {
                    zs[base + j] += bs[j];
                }
            }
        });
    }

    @Override
    protected void doScaleColumns(Tensor x, Tensor scale, Tensor shift, Tensor y) {
        float[] xs = cpu(x).data();
        float[] ys = cpu(y).data();
        float[] sc = cpu(scale).data();
        float[] sh = cpu(shift).data();
        int cols = x.cols();
        loops.forRange(x.rows(), cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * cols;
                for (int j = 0; j < cols; j++) {
                    ys[base + j] = xs[base + j] * sc[j] + sh[j];
                }
            }
        });
    }

    @Override
    protected void doAffineWarp(Tensor x, Tensor matrices, Tensor y, int h, int w, int channels, boolean constantFill,
                                float cval) {
        float[] xs = cpu(x).data();
        float[] ms = cpu(matrices).data();
        float[] ys = cpu(y).data();
        int size = h * w * channels;
        loops.forRange(x.rows(), size, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int a = i * 6;
                int base = i * size;
                for (int r = 0; r < h; r++) {
                    for (int c = 0; c < w; c++) {
                        // the kernel's expressions, term by term
                        float sr = ms[a] * (float) r + ms[a + 1] * (float) c + ms[a + 4];
                        float sc = ms[a + 2] * (float) r + ms[a + 3] * (float) c + ms[a + 5];
                        float fr0 = (float) Math.floor(sr);
                        float fc0 = (float) Math.floor(sc);
                        float dr = sr - fr0;
                        float dc = sc - fc0;
                        int r0 = (int) fr0;
                        int c0 = (int) fc0;
                        for (int ch = 0; ch < channels; ch++) {
                            float v00 = tap(xs, base, r0, c0, ch, h, w, channels, constantFill, cval);
                            float v01 = tap(xs, base, r0, c0 + 1, ch, h, w, channels, constantFill, cval);
                            float v10 = tap(xs, base, r0 + 1, c0, ch, h, w, channels, constantFill, cval);
                            float v11 = tap(xs, base, r0 + 1, c0 + 1, ch, h, w, channels, constantFill, cval);
                            float top = v00 * (1f - dc) + v01 * dc;
                            float bottom = v10 * (1f - dc) + v11 * dc;
                            ys[base + (r * w + c) * channels + ch] = top * (1f - dr) + bottom * dr;
                        }
                    }
                }
            }
        });
    }

    private static float tap(float[] img, int base, int r, int c, int ch, int h, int w, int channels,
                             boolean constantFill, float cval) {
        if (r < 0 || r >= h || c < 0 || c >= w) {
            if (constantFill) {
                return cval;
            }
            r = Math.max(0, Math.min(h - 1, r));
            c = Math.max(0, Math.min(w - 1, c));
        }
        return img[base + (r * w + c) * channels + ch];
    }

    @Override
    protected void doSumRows(float alpha, Tensor x, Tensor out) {
        float[] xs = cpu(x).data();
        float[] os = cpu(out).data();
        int cols = x.cols();
        int rows = x.rows();
        // row by row, so memory is read in order (threads take column ranges); each column is
        // still summed from row 0 down, the order of the kernel's one work-item per column.
        // Each row is copied out first: the JIT vectorizes sums[j] += row[j], both arrays at
        // one index, but not a read of xs at another offset (to it, xs might be sums).
        loops.forRange(cols, rows, (j0, j1) -> {
            int width = j1 - j0;
            float[] sums = new float[width];
            float[] row = new float[width];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(xs, r * cols + j0, row, 0, width);
                for (int j = 0; j < width; j++) {
                    sums[j] += row[j];
                }
            }
            for (int j = 0; j < width; j++) {
                os[j0 + j] = alpha * sums[j];
            }
        });
    }

    // ---------------------------------------------------------------- activations

    @Override
    protected void doActivationForward(Activation f, Tensor z, Tensor a) {
        float[] zs = cpu(z).data();
        float[] as = cpu(a).data();
        int n = z.size();
        float slope = f.alpha();
        switch (f.kind()) {
            case LINEAR -> System.arraycopy(zs, 0, as, 0, n);
            case SIGMOID -> loops.forRange(n, 8, (i0, i1) -> { for (int i = i0; i < i1; i++) as[i] = sigmoid(zs[i]); });
            case TANH -> loops.forRange(n, 8,
                    (i0, i1) -> { for (int i = i0; i < i1; i++) as[i] = (float) Math.tanh(zs[i]); });
            case RELU -> loops.forRange(n, 1, (i0, i1) -> { for (int i = i0; i < i1; i++) as[i] = Math.max(zs[i], 0f); });
            case LEAKY_RELU -> loops.forRange(n, 1,
                    (i0, i1) -> { for (int i = i0; i < i1; i++) as[i] = zs[i] > 0f ? zs[i] : slope * zs[i]; });
            case ARCTAN -> loops.forRange(n, 8,
                    (i0, i1) -> { for (int i = i0; i < i1; i++) as[i] = (float) Math.atan(zs[i]); });
            // an exp costs some 60 adds: a batch of 128 rows of 10 is worth splitting
            case SOFTMAX -> loops.forRange(z.rows(), 64 * z.cols(), (r0, r1) -> softmaxRows(zs, as, r0, r1, z.cols()));
        }
    }

    @Override
    protected void doBiasActivationForward(Activation f, Tensor z, Tensor bias, Tensor a) {
        float[] zs = cpu(z).data();
        float[] bs = cpu(bias).data();
        float[] as = cpu(a).data();
        int cols = z.cols();
        Activation.Kind kind = f.kind();
        float slope = f.alpha();
        // two plain loops per row, z += b then a = f(z): the JIT vectorizes each, not one that
        // stores to two arrays, nor one with a switch in it (relu's forward pass took 13% of
        // inference time that way, and a row now takes a third of the time)
        loops.forRange(z.rows(), 2 * cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * cols;
                for (int j = 0; j < cols; j++) {
                    zs[base + j] += bs[j];
                }
                switch (kind) {
                    case RELU -> {
                        for (int j = base; j < base + cols; j++) {
                            as[j] = Math.max(zs[j], 0f);
                        }
                    }
                    case LINEAR, SOFTMAX -> System.arraycopy(zs, base, as, base, cols);
                    default -> {
                        for (int j = base; j < base + cols; j++) {
                            as[j] = activate(kind, slope, zs[j]);
                        }
                    }
                }
            }
        });
    }

    /**
     * The reference takes the product, then the epilogue as its own pass. BLAS has no
     * epilogue, but it adds the product to C: with C set to the bias in every row first (a
     * copy per row), the bias costs no pass of its own, and f(z) is one vectorized loop. The
     * bias then enters the sum before the product's last partial sums rather than after
     * them, within the product's tolerance of the kernel's rounding.
     */
    @Override
    protected void doDenseForward(Activation f, Tensor x, Tensor w, Tensor bias, Tensor z, Tensor a) {
        GemmShape shape = new GemmShape(x.rows(), w.cols(), x.cols());
        if (blas == null) {
            doGemm(false, false, 1f, x, w, 0f, z, shape);
            doBiasActivationForward(f, z, bias, a);
            return;
        }
        float[] zs = cpu(z).data();
        float[] bs = cpu(bias).data();
        int cols = z.cols();
        for (int r = 0, rows = z.rows(); r < rows; r++) {
            System.arraycopy(bs, 0, zs, r * cols, cols);
        }
        doGemm(false, false, 1f, x, w, 1f, z, shape);
        if (f.kind() == Activation.Kind.LINEAR) {
            if (a != z) {
                System.arraycopy(zs, 0, cpu(a).data(), 0, z.size());
            }
        } else {
            doActivationForward(f, z, a);
        }
    }

    /** f(v) for an element-wise activation: the formulas of {@link #doActivationForward}. */
    private static float activate(Activation.Kind kind, float slope, float v) {
        return switch (kind) {
            case SIGMOID -> sigmoid(v);
            case TANH -> (float) Math.tanh(v);
            case RELU -> Math.max(v, 0f);
            case LEAKY_RELU -> v > 0f ? v : slope * v;
            case ARCTAN -> (float) Math.atan(v);
            case LINEAR, SOFTMAX -> v;
        };
    }

    /** 1 / (1 + e^-z), written so that neither branch overflows. */
    static float sigmoid(float z) {
        if (z >= 0f) {
            return 1f / (1f + (float) Math.exp(-z));
        }
        float e = (float) Math.exp(z);
        return e / (1f + e);
    }

    /** a = e^(z - max) / sum e^(z - max), rows [r0, r1): the max keeps exp from overflowing. */
    private static void softmaxRows(float[] zs, float[] as, int r0, int r1, int cols) {
        for (int r = r0; r < r1; r++) {
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
    protected void doActivationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ) {
        float[] zs = cpu(z).data();
        float[] as = cpu(a).data();
        float[] da = cpu(dA).data();
        float[] dz = cpu(dZ).data();
        int n = z.size();
        float slope = f.alpha();
        switch (f.kind()) {
            case LINEAR -> System.arraycopy(da, 0, dz, 0, n);
            case SIGMOID -> loops.forRange(n, 1,
                    (i0, i1) -> { for (int i = i0; i < i1; i++) dz[i] = da[i] * as[i] * (1f - as[i]); });
            case TANH -> loops.forRange(n, 1,
                    (i0, i1) -> { for (int i = i0; i < i1; i++) dz[i] = da[i] * (1f - as[i] * as[i]); });
            // the derivative at 0 is taken as 0 for relu and as the slope for leaky relu,
            // as TensorFlow does; relu selects dA's bits or +0 without a branch, which a
            // random sign pattern would mispredict half the time (the same select written
            // as z > 0 ? dA : 0 made a training step 10-15 % slower)
            case RELU -> loops.forRange(n, 1, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    dz[i] = Float.intBitsToFloat(Float.floatToRawIntBits(da[i]) & -(zs[i] > 0f ? 1 : 0));
                }
            });
            case LEAKY_RELU -> loops.forRange(n, 1,
                    (i0, i1) -> { for (int i = i0; i < i1; i++) dz[i] = zs[i] > 0f ? da[i] : slope * da[i]; });
            case ARCTAN -> loops.forRange(n, 1,
                    (i0, i1) -> { for (int i = i0; i < i1; i++) dz[i] = da[i] / (1f + zs[i] * zs[i]); });
            case SOFTMAX -> {
                int cols = z.cols();
                loops.forRange(z.rows(), 2 * cols, (r0, r1) -> {
                    for (int r = r0; r < r1; r++) {
                        int base = r * cols;
                        float dot = 0f;
                        for (int j = 0; j < cols; j++) {
                            dot += da[base + j] * as[base + j];
                        }
                        for (int j = 0; j < cols; j++) {
                            dz[base + j] = as[base + j] * (da[base + j] - dot);
                        }
                    }
                });
            }
        }
    }

    // ---------------------------------------------------------------- losses and metrics

    @Override
    protected void doLossSum(Loss loss, Tensor p, Tensor y, Tensor acc, int slot) {
        float[] ps = cpu(p).data();
        float[] ys = cpu(y).data();
        float[] accs = cpu(acc).data();
        int rows = p.rows();
        int cols = p.cols();
        float total = 0f;
        for (int r = 0; r < rows; r++) {
            total += sampleLoss(loss, ps, ys, r, cols);
        }
        accumulate(accs, slot, total);
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
    protected void doLossGradient(Loss loss, Tensor p, Tensor y, float scale, Tensor dP) {
        float[] ps = cpu(p).data();
        float[] ys = cpu(y).data();
        float[] g = cpu(dP).data();
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
                                : Float.isNaN(pj) ? Float.NaN : 0f; // clipped: flat, but NaN stays NaN
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
    protected void doSoftmaxCrossEntropyGradient(Tensor p, Tensor y, boolean sparse, float scale, Tensor dZ) {
        float[] ps = cpu(p).data();
        float[] ys = cpu(y).data();
        float[] g = cpu(dZ).data();
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
    protected void doCountCorrect(Accuracy accuracy, Tensor p, Tensor y, Tensor acc, int slot) {
        int rows = p.rows();
        int cols = p.cols();
        float[] ps = cpu(p).data();
        float[] ys = cpu(y).data();
        float correct = 0f;
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            switch (accuracy) {
                case CATEGORICAL ->
                        correct += HostTensor.argmax(ps, base, cols) == HostTensor.argmax(ys, base, cols) ? 1f : 0f;
                // compared as floats, as Keras does: a label of 1.5 or NaN matches no class
                case SPARSE_CATEGORICAL -> correct += (float) HostTensor.argmax(ps, base, cols) == ys[r] ? 1f : 0f;
                case BINARY -> {
                    int agree = 0;
                    for (int j = 0; j < cols; j++) {
                        if ((ps[base + j] > 0.5f) == (ys[base + j] > 0.5f)) {
                            agree++;
                        }
                    }
                    correct += (float) agree / cols;
                }
                case MEAN_ABSOLUTE_ERROR -> {
                    float e = 0f;
                    for (int j = 0; j < cols; j++) {
                        e += Math.abs(ps[base + j] - ys[base + j]);
                    }
                    correct += e / cols;
                }
            }
        }
        accumulate(cpu(acc).data(), slot, correct);
    }

    @Override
    protected void doWeightPenalty(Tensor w, float l1, float l2, Tensor g, float lossWeight, Tensor acc, int slot) {
        float[] ws = cpu(w).data();
        if (g != null) {
            float[] gs = cpu(g).data();
            float twoL2 = 2f * l2;
            loops.forRange(w.size(), 4, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    float wi = ws[i];
                    gs[i] += l1 * Math.signum(wi) + twoL2 * wi;
                }
            });
        }
        double total = 0; // in double: the reference for a device's sum in another order
        for (int i = 0, n = w.size(); i < n; i++) { // w's own elements: a view's array holds more rows
            float wi = ws[i];
            total += l1 * Math.abs(wi) + l2 * wi * wi;
        }
        accumulate(cpu(acc).data(), slot, lossWeight * (float) total);
    }

    // ---------------------------------------------------------------- optimizer updates

    @Override
    protected void doSgdStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, boolean nesterov) {
        forEachSegment(v == null ? 1 : 2, (a, i0, i1) -> {
            float[] ws = a[0];
            float[] gs = a[1];
            float[] vs = a[2];
            if (vs == null) {
                for (int i = i0; i < i1; i++) {
                    ws[i] -= lr * gs[i];
                }
                return;
            }
            for (int i = i0; i < i1; i++) {
                float vi = momentum * vs[i] - lr * gs[i];
                vs[i] = vi;
                ws[i] += nesterov ? momentum * vi - lr * gs[i] : vi;
            }
        }, w, g, v);
    }

    @Override
    protected void doRmspropStep(Tensor w, Tensor g, Tensor v, Tensor mom, float lr, float rho, float momentum, float eps) {
        forEachSegment(4, (a, i0, i1) -> {
            float[] ws = a[0];
            float[] gs = a[1];
            float[] vs = a[2];
            float[] ms = a[3];
            for (int i = i0; i < i1; i++) {
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
        }, w, g, v, mom);
    }

    @Override
    protected void doAdamStep(Tensor w, Tensor g, Tensor m, Tensor v, float alpha, float beta1, float beta2, float eps) {
        forEachSegment(4, (a, i0, i1) -> {
            float[] ws = a[0];
            float[] gs = a[1];
            float[] ms = a[2];
            float[] vs = a[3];
            for (int i = i0; i < i1; i++) {
                float gi = gs[i];
                float mi = ms[i] + (gi - ms[i]) * (1f - beta1);
                float vi = vs[i] + (gi * gi - vs[i]) * (1f - beta2);
                ms[i] = mi;
                vs[i] = vi;
                ws[i] -= alpha * mi / ((float) Math.sqrt(vi) + eps);
            }
        }, w, g, m, v);
    }

    @Override
    protected void doRelease(Tensor t) {
        // the garbage collector frees the array once nothing refers to the tensor
    }

    @Override
    protected void doClose() {
        // nothing native to release
    }

    /** The front checked owner, dtype and open state; this only narrows the type. */
    private static CpuTensor cpu(Tensor t) {
        return (CpuTensor) t;
    }
}
