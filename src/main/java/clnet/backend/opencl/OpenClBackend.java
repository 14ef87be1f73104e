package clnet.backend.opencl;

import static org.jocl.CL.clEnqueueNDRangeKernel;

import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * The OpenCL backend: every op of {@link Backend} as a kernel from {@code kernels-cl/}, on
 * one device. It is made of parts, each with one job: {@link ClQueue} (the context and the
 * one in-order queue every op is enqueued on), {@link KernelSet} (the programs, cached as
 * binaries on disk, and their kernels by name), {@link ClBuffers} (device memory and the
 * transfers), and this class, the ops: which kernel, which sizes, which arguments.
 *
 * <p>Ops only enqueue work; {@link #download} is the one call that waits for the device.
 * Work-group sizes come from each kernel's own limit ({@code CL_KERNEL_WORK_GROUP_SIZE}),
 * which may be below the device's: the reductions and the GPU GEMM are rebuilt smaller
 * where a kernel allows fewer work-items than the device does.
 */
public final class OpenClBackend extends Backend {
    /** The kernel files, in {@code kernels-cl/} in the source tree and the jar. */
    public static final List<String> KERNEL_FILES = KernelSet.FILES;
    /** Every file of {@code kernels-cl/} that clnet reads: the kernel files and the header put before each. */
    public static final List<String> KERNEL_SOURCES = KernelSet.SOURCES;

    /**
     * Where kernel sources come from instead of the jar, for kernel development: edit a
     * copy of {@code kernels-cl/}, point this at it, and run {@code clnet verify} or
     * {@code clnet train --validate} without rebuilding. The system property wins over the
     * environment variable.
     */
    public static final String KERNEL_DIR_PROPERTY = KernelSet.KERNEL_DIR_PROPERTY;
    public static final String KERNEL_DIR_ENV = KernelSet.KERNEL_DIR_ENV;

    /** The block each work-item of the transpose kernel moves (TILE in elementwise.cl). */
    private static final int TRANSPOSE_TILE = 16;

    /** The largest work-group of the single-group reductions (RED_WG in losses.cl). */
    private static final int MAX_REDUCTION_GROUP = 256;

    private final ClDevice device;
    private GemmConfig gemm;
    private int reduceWorkGroup;
    private ClQueue queue;
    private KernelSet kernels;
    private ClBuffers buffers;
    private long launches;

    public OpenClBackend(ClDevice device) {
        this(device, GemmConfig.forDevice(device));
    }

    public OpenClBackend(ClDevice device, GemmConfig gemm) {
        this.device = device;
        CL.setExceptionsEnabled(true);
        try {
            queue = new ClQueue(device);
            kernels = new KernelSet(device, queue.context);
            buffers = new ClBuffers(device, queue);
            kernels.add("elementwise.cl", "-DTILE=" + TRANSPOSE_TILE);
            kernels.add("activations.cl", "");
            kernels.add("optimizers.cl", "");
            reduceWorkGroup = reductionGroup(device.maxWorkGroupSize());
            kernels.add("losses.cl", "-DRED_WG=" + reduceWorkGroup);
            long reduceLimit = Math.min(Math.min(kernels.workGroupLimit("loss_sum"),
                    kernels.workGroupLimit("count_correct")), kernels.workGroupLimit("penalty_sum"));
            if (reduceLimit < reduceWorkGroup) {
                reduceWorkGroup = reductionGroup(reduceLimit);
                kernels.add("losses.cl", "-DRED_WG=" + reduceWorkGroup);
            }
            kernels.add("gemm.cl", gemm.defines());
            if (gemm.variant() == GemmConfig.Variant.GPU) {
                // dense_forward is the product with an epilogue: more registers, perhaps a smaller limit
                long limit = Math.min(kernels.workGroupLimit("gemm_nn"), kernels.workGroupLimit("dense_forward"));
                if (limit < gemm.workGroupSize()) {
                    GemmConfig smaller = GemmConfig.gpu(limit);
                    if (smaller.workGroupSize() > limit) {
                        throw new OpenClException(String.format("gemm_nn or dense_forward on %s runs at most %d"
                                + " work-items per group;"
                                + " its smallest tiling (%s) needs %d", device.id(), limit, smaller,
                                smaller.workGroupSize()), CL.CL_INVALID_WORK_GROUP_SIZE, null);
                    }
                    gemm = smaller;
                    kernels.add("gemm.cl", gemm.defines());
                }
            }
            this.gemm = gemm;
        } catch (CLException e) {
            close();
            throw OpenClException.of(e, "opening " + device.id());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The work-group of the single-group reductions: the largest power of two within {@code limit}, at most 256. */
    static int reductionGroup(long limit) {
        return (int) Math.min(MAX_REDUCTION_GROUP, Long.highestOneBit(Math.max(1, limit)));
    }

    /** A kernel file's text: from {@link #KERNEL_DIR_PROPERTY}'s directory when set, else the jar. */
    public static String kernelSource(String file) {
        return KernelSet.kernelSource(file);
    }

    /**
     * Compiles one kernel file for this device (for tests of the compiler's messages). On
     * failure the exception carries the compiler's log, its source references rewritten to
     * {@code file}.
     */
    public cl_program buildProgram(String file, String source, String options) {
        return kernels.build(file, source, options);
    }

    @Override
    public String name() {
        return device.id();
    }

    @Override
    public String arithmetic() {
        return "OpenCL " + device.platformName() + " " + device.name() + " " + device.deviceVersion();
    }

    @Override
    public String description() {
        return device.id() + " " + device.name() + " (" + device.platformName() + ", " + device.type() + ", "
                + device.computeUnits() + " compute units, " + ClDevice.bytes(device.globalMemBytes()) + ")";
    }

    public ClDevice device() {
        return device;
    }

    @Override
    public long memoryBytes() {
        return device.globalMemBytes();
    }

    @Override
    public long maxAllocationBytes() {
        return device.maxAllocBytes();
    }

    public GemmConfig gemmConfig() {
        return gemm;
    }

    /** The reductions' work-group size, after fitting it to the kernels. */
    public int reductionWorkGroup() {
        return reduceWorkGroup;
    }

    /** Programs compiled from source when this backend opened (0 when all came from the cache). */
    public int programsBuiltFromSource() {
        return kernels.builtFromSource();
    }

    /** Whether clnet caches this device's compiled programs (not where the driver does it itself). */
    public boolean cachesKernelBinaries() {
        return kernels.cachesBinaries();
    }

    /** Programs loaded from the binary cache when this backend opened. */
    public int programsLoadedFromCache() {
        return kernels.loadedFromCache();
    }

    /** Kernels enqueued so far: an op may take more than one (a transposed copy before a product). */
    @Override
    public synchronized long launches() {
        return launches;
    }

    /** Buffers allocated and not yet freed, for leak checks. */
    public synchronized long liveBuffers() {
        return buffers.liveBuffers();
    }

    public synchronized long liveBytes() {
        return buffers.liveBytes();
    }

    // ---------------------------------------------------------------- memory

    @Override
    protected Tensor doAlloc(Shape shape, DType dtype) {
        ClTensor t = new ClTensor(this, shape, dtype, buffers.allocate(shape, dtype));
        buffers.track(t);
        if (shape.size() > 0) {
            try {
                // zero-filled, as the interface promises (an int 0 is float 0.0's bit pattern)
                run("fill", new long[] {shape.size()}, null, t.mem(), shape.size(), 0f);
            } catch (RuntimeException e) {
                buffers.release(t); // not leaked when the fill fails
                throw e;
            }
        }
        return t;
    }

    @Override
    protected void doRelease(Tensor t) {
        buffers.release((ClTensor) t);
    }

    /** The device's base address alignment in floats: where a sub-buffer, a group's part, may start. */
    @Override
    public int groupAlignment() {
        return (int) Math.max(1L, device.baseAddressAlignBytes() / 4);
    }

    @Override
    protected TensorGroup doAllocGroup(TensorGroup.Layout layout) {
        cl_mem mem = buffers.allocate(Shape.of(1, layout.size()), DType.FLOAT32);
        List<cl_mem> subs = new ArrayList<>();
        try {
            for (int i = 0; i < layout.shapes().size(); i++) {
                subs.add(buffers.subBuffer(mem, 4L * layout.offsets().get(i), 4L * layout.partSize(i)));
            }
        } catch (RuntimeException e) {
            for (cl_mem sub : subs) {
                CL.clReleaseMemObject(sub);
            }
            CL.clReleaseMemObject(mem);
            throw e;
        }
        ClTensor whole = new ClTensor(this, layout, mem, subs);
        buffers.track(whole);
        try {
            run("fill", new long[] {layout.size()}, null, mem, layout.size(), 0f); // padding included
        } catch (RuntimeException e) {
            buffers.release(whole);
            throw e;
        }
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < subs.size(); i++) {
            parts.add(new ClTensor(whole, layout.shapes().get(i), subs.get(i)));
        }
        return new TensorGroup(whole, parts);
    }

    @Override
    protected void doUpload(float[] src, int offset, Tensor dst) {
        ClTensor d = cl(dst);
        buffers.write(d, Pointer.to(src).withByteOffset(4L * offset),
                staged -> staged.asFloatBuffer().put(src, offset, d.size()));
    }

    @Override
    protected void doUpload(int[] src, Tensor dst) {
        ClTensor d = cl(dst);
        buffers.write(d, Pointer.to(src), staged -> staged.asIntBuffer().put(src, 0, d.size()));
    }

    @Override
    protected void doDownload(Tensor src, float[] dst) {
        buffers.read(cl(src), dst);
    }

    @Override
    protected void doFinish() {
        queue.finish();
    }

    // ---------------------------------------------------------------- element-wise and copies

    @Override
    protected void doFill(Tensor t, float value) {
        ClTensor c = cl(t);
        elementwise("fill", c.size(), c.mem(), c.size(), value);
    }

    @Override
    protected void doCopy(Tensor src, Tensor dst) {
        elementwise("copy", src.size(), floats(src), floats(dst), src.size());
    }

    @Override
    protected void doAxpy(float alpha, Tensor x, Tensor y) {
        elementwise("axpy", x.size(), x.size(), alpha, floats(x), floats(y));
    }

    @Override
    protected void doGatherRows(Tensor src, Tensor indices, int start, Tensor dst) {
        grid("gather_rows", dst.cols(), dst.rows(), floats(src), src.rows(), cl(indices).mem(), start,
                floats(dst), dst.rows(), dst.cols());
    }

    @Override
    protected void doDropout(Tensor x, Tensor y, float rate, float scale, long seed, long stream, long offset) {
        long blocks = (offset + x.size() + 3) / 4 - offset / 4;
        elementwise("dropout", (int) blocks, floats(x), floats(y), x.size(), rate, scale, (int) seed,
                (int) (seed >>> 32), (int) stream, (int) (stream >>> 32), (int) offset, (int) (offset >>> 32));
    }

    // ---------------------------------------------------------------- linear algebra

    @Override
    protected void doGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c,
                          GemmShape s) {
        cl_mem bm = floats(b);
        if (transB && !gemm.hasTransposedBKernels()) {
            // The CPU kernels sum every product along k in order, as the CPU backend does;
            // a transposed copy of B (a weight matrix, cheap to copy) keeps it that way.
            cl_mem bt = buffers.scratch(b.size());
            grid("transpose", (b.cols() + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE,
                    (b.rows() + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE, bm, bt, b.rows(), b.cols());
            bm = bt;
            transB = false;
        }
        String kernel = "gemm_" + (transA ? "t" : "n") + (transB ? "t" : "n");
        run(kernel, gemm.global(s.m(), s.n()), gemm.local(), s.m(), s.n(), s.k(), alpha, floats(a), bm, beta,
                floats(c));
    }

    @Override
    protected void doDenseForward(Activation f, Tensor x, Tensor w, Tensor bias, Tensor z, Tensor a) {
        run("dense_forward", gemm.global(x.rows(), w.cols()), gemm.local(), x.rows(), w.cols(), x.cols(), floats(x),
                floats(w), floats(bias), f.kind().ordinal(), f.alpha(), floats(z), floats(a));
    }

    @Override
    protected void doAddRowVector(Tensor z, Tensor bias) {
        grid("add_row_vector", z.cols(), z.rows(), floats(z), floats(bias), z.rows(), z.cols());
    }

    @Override
    protected void doScaleColumns(Tensor x, Tensor scale, Tensor shift, Tensor y) {
        grid("scale_columns", x.cols(), x.rows(), floats(x), floats(scale), floats(shift), floats(y), x.rows(),
                x.cols());
    }

    @Override
    protected void doAffineWarp(Tensor x, Tensor matrices, Tensor y, int h, int w, int channels, boolean constantFill,
                                float cval) {
        if (x.rows() > 0) {
            run("affine_warp", new long[] {(long) w * channels, h, x.rows()}, null, floats(x), floats(matrices),
                    floats(y), h, w, channels, constantFill ? 1 : 0, cval);
        }
    }

    @Override
    protected void doSumRows(float alpha, Tensor x, Tensor out) {
        elementwise("sum_rows", x.cols(), alpha, floats(x), floats(out), x.rows(), x.cols());
    }

    // ---------------------------------------------------------------- activations

    @Override
    protected void doActivationForward(Activation f, Tensor z, Tensor a) {
        if (f.kind() == Activation.Kind.SOFTMAX) {
            elementwise("softmax_forward", z.rows(), floats(z), floats(a), z.rows(), z.cols());
        } else {
            elementwise("activation_forward", z.size(), f.kind().ordinal(), f.alpha(), floats(z), floats(a), z.size());
        }
    }

    @Override
    protected void doBiasActivationForward(Activation f, Tensor z, Tensor bias, Tensor a) {
        grid("bias_activation_forward", z.cols(), z.rows(), f.kind().ordinal(), f.alpha(), floats(z), floats(bias),
                floats(a), z.rows(), z.cols());
    }

    @Override
    protected void doActivationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ) {
        if (f.kind() == Activation.Kind.SOFTMAX) {
            elementwise("softmax_backward", z.rows(), floats(a), floats(dA), floats(dZ), z.rows(), z.cols());
        } else {
            elementwise("activation_backward", z.size(), f.kind().ordinal(), f.alpha(), floats(z), floats(a),
                    floats(dA), floats(dZ), z.size());
        }
    }

    // ---------------------------------------------------------------- losses and metrics

    @Override
    protected void doLossSum(Loss loss, Tensor p, Tensor y, Tensor acc, int slot) {
        reduce("loss_sum", loss.ordinal(), floats(p), floats(y), p.rows(), p.cols(), floats(acc), slot);
    }

    @Override
    protected void doLossGradient(Loss loss, Tensor p, Tensor y, float scale, Tensor dP) {
        elementwise("loss_gradient", p.rows(), loss.ordinal(), floats(p), floats(y), scale, floats(dP), p.rows(),
                p.cols());
    }

    @Override
    protected void doSoftmaxCrossEntropyGradient(Tensor p, Tensor y, boolean sparse, float scale, Tensor dZ) {
        grid("softmax_xent_gradient", p.cols(), p.rows(), floats(p), floats(y), sparse ? 1 : 0, scale, floats(dZ),
                p.rows(), p.cols());
    }

    @Override
    protected void doCountCorrect(Accuracy accuracy, Tensor p, Tensor y, Tensor acc, int slot) {
        reduce("count_correct", accuracy.ordinal(), floats(p), floats(y), p.rows(), p.cols(), floats(acc), slot);
    }

    @Override
    protected void doWeightPenalty(Tensor w, float l1, float l2, Tensor g, float lossWeight, Tensor acc, int slot) {
        if (g != null) {
            elementwise("penalty_gradient", w.size(), floats(w), floats(g), w.size(), l1, 2f * l2);
        }
        reduce("penalty_sum", floats(w), w.size(), l1, l2, lossWeight, floats(acc), slot);
    }

    // ---------------------------------------------------------------- optimizer updates

    @Override
    protected void doSgdStep(Tensor w, Tensor g, Tensor v, float lr, float momentum, boolean nesterov) {
        cl_mem wm = floats(w);
        elementwise("sgd_step", w.size(), wm, floats(g), v == null ? wm : floats(v), w.size(), lr, momentum,
                nesterov ? 1 : 0, v == null ? 0 : 1);
    }

    @Override
    protected void doRmspropStep(Tensor w, Tensor g, Tensor v, Tensor mom, float lr, float rho, float momentum, float eps) {
        cl_mem vm = floats(v);
        elementwise("rmsprop_step", w.size(), floats(w), floats(g), vm, mom == null ? vm : floats(mom), w.size(), lr,
                rho, momentum, eps, mom == null ? 0 : 1);
    }

    @Override
    protected void doAdamStep(Tensor w, Tensor g, Tensor m, Tensor v, float alpha, float beta1, float beta2, float eps) {
        elementwise("adam_step", w.size(), floats(w), floats(g), floats(m), floats(v), w.size(), alpha, beta1, beta2,
                eps);
    }

    // ---------------------------------------------------------------- launching

    /** A 1-D launch of n work-items, the work-group left to the runtime. */
    private void elementwise(String kernel, int n, Object... args) {
        if (n > 0) {
            run(kernel, new long[] {n}, null, args);
        }
    }

    /** A 2-D launch over (cols, rows). */
    private void grid(String kernel, int cols, int rows, Object... args) {
        if (cols > 0 && rows > 0) {
            run(kernel, new long[] {cols, rows}, null, args);
        }
    }

    /** One work-group of the reduction size. */
    private void reduce(String kernel, Object... args) {
        run(kernel, new long[] {reduceWorkGroup}, new long[] {reduceWorkGroup}, args);
    }

    private void run(String name, long[] global, long[] local, Object... args) {
        cl_kernel k = kernels.get(name);
        launches++;
        try {
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                if (a instanceof cl_mem m) {
                    CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
                } else if (a instanceof Integer v) {
                    CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                } else if (a instanceof Float v) {
                    CL.clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
                } else {
                    throw new IllegalArgumentException("kernel argument of type " + a.getClass());
                }
            }
            clEnqueueNDRangeKernel(queue.queue, k, global.length, null, global, local, 0, null, null);
        } catch (CLException e) {
            String what = "running kernel " + name + " (global " + java.util.Arrays.toString(global)
                    + (local == null ? "" : ", local " + java.util.Arrays.toString(local)) + ") on " + device.id();
            if (e.getStatus() == CL.CL_MEM_OBJECT_ALLOCATION_FAILURE || e.getStatus() == CL.CL_OUT_OF_RESOURCES) {
                // drivers allocate lazily, so a kernel's first use of its buffers is where memory runs out
                what += "; " + buffers.held();
            } else if (e.getStatus() == CL.CL_INVALID_WORK_GROUP_SIZE && local != null) {
                what += String.format("; the device allows %d work-items per group, this kernel %d",
                        device.maxWorkGroupSize(), kernels.workGroupLimit(name));
            }
            throw OpenClException.of(e, what);
        }
    }

    /** The front checked owner, dtype and open state; this only narrows the type. */
    private static ClTensor cl(Tensor t) {
        return (ClTensor) t;
    }

    private static cl_mem floats(Tensor t) {
        return ((ClTensor) t).mem();
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    protected void doClose() {
        if (queue != null) {
            queue.drain(); // kernels still queued may use the buffers freed next
        }
        if (buffers != null) {
            buffers.releaseAll();
        }
        if (kernels != null) {
            kernels.release();
        }
        if (queue != null) {
            queue.release();
        }
        buffers = null;
        kernels = null;
        queue = null;
    }
}
