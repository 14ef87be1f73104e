package clnet.backend.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_FALSE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clBuildProgram;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clCreateCommandQueue;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clCreateKernel;
import static org.jocl.CL.clCreateProgramWithSource;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clGetProgramBuildInfo;
import static org.jocl.CL.clReleaseCommandQueue;
import static org.jocl.CL.clReleaseContext;
import static org.jocl.CL.clReleaseEvent;
import static org.jocl.CL.clReleaseKernel;
import static org.jocl.CL.clReleaseMemObject;
import static org.jocl.CL.clReleaseProgram;
import static org.jocl.CL.clWaitForEvents;

import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * The OpenCL backend: every op of {@link Backend} as a kernel from {@code kernels-cl/}, on
 * one device, through one in-order command queue.
 *
 * <p>The kernel files are compiled once, when the backend opens, each as its own program
 * so that a compiler error points at the right file and line. Ops only enqueue work;
 * {@link #download} is the one call that waits for the device. Small uploads go through
 * two direct staging buffers used in turn (double buffering): the copy to the device runs
 * while the host prepares the next one, and a staging buffer is reused only when its
 * previous copy has completed.
 */
public final class OpenClBackend extends Backend {
    /** The kernel files, in {@code kernels-cl/} in the source tree and the jar. */
    public static final List<String> KERNEL_FILES =
            List.of("elementwise.cl", "activations.cl", "losses.cl", "optimizers.cl", "gemm.cl");

    /** The block each work-item of the transpose kernel moves (TILE in elementwise.cl). */
    private static final int TRANSPOSE_TILE = 16;

    /** Uploads at least this large are written straight from the Java array, blocking. */
    private static final long STAGED_UPLOAD_LIMIT = 8L << 20;

    private final ClDevice device;
    private final GemmConfig gemm;
    private final int reduceWorkGroup;
    private cl_context context;
    private cl_command_queue queue;
    private final List<cl_program> programs = new ArrayList<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final Staging[] staging = {new Staging(), new Staging()};
    private int nextStaging;
    /** Open buffers: freed on close() if their owners did not free them first. */
    private final java.util.Set<ClTensor> live = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private long liveBytes;
    private cl_mem scratch;
    private long scratchBytes;

    /** A direct buffer for asynchronous uploads and the event of its last copy. */
    private static final class Staging {
        ByteBuffer buffer;
        cl_event pending;
    }

    public OpenClBackend(ClDevice device) {
        this(device, GemmConfig.forDevice(device));
    }

    public OpenClBackend(ClDevice device, GemmConfig gemm) {
        this.device = device;
        this.gemm = gemm;
        this.reduceWorkGroup = (int) Math.min(256, Integer.highestOneBit((int) Math.min(device.maxWorkGroupSize(),
                1 << 30)));
        CL.setExceptionsEnabled(true);
        try {
            cl_context_properties props = new cl_context_properties();
            props.addProperty(CL_CONTEXT_PLATFORM, device.platform());
            context = clCreateContext(props, 1, new cl_device_id[] {device.device()}, null, null, null);
            queue = clCreateCommandQueue(context, device.device(), 0, null);
            String options = gemm.defines() + " -DRED_WG=" + reduceWorkGroup + " -DTILE=" + TRANSPOSE_TILE;
            for (String file : KERNEL_FILES) {
                cl_program program = buildProgram(file, kernelSource(file), options);
                programs.add(program);
                for (String name : kernelNames(file, gemm)) {
                    kernels.put(name, clCreateKernel(program, name, null));
                }
            }
        } catch (CLException e) {
            close();
            throw OpenClException.of(e, "opening " + device.id());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The kernels a file defines; checked against the file when the backend opens. */
    private static List<String> kernelNames(String file, GemmConfig gemm) {
        return switch (file) {
            case "elementwise.cl" -> List.of("fill", "copy", "axpy", "add_row_vector", "gather_rows", "sum_rows",
                    "transpose");
            case "activations.cl" -> List.of("activation_forward", "activation_backward", "softmax_forward",
                    "softmax_backward");
            case "losses.cl" -> List.of("loss_sum", "count_correct", "loss_gradient", "softmax_xent_gradient");
            case "optimizers.cl" -> List.of("sgd_step", "rmsprop_step", "adam_step");
            case "gemm.cl" -> gemm.hasTransposedBKernels() ? List.of("gemm_nn", "gemm_nt", "gemm_tn", "gemm_tt")
                    : List.of("gemm_nn", "gemm_tn");
            default -> throw new IllegalArgumentException(file);
        };
    }

    /**
     * Where kernel sources come from instead of the jar, for kernel development: edit a
     * copy of {@code kernels-cl/}, point this at it, and run {@code clnet verify} or
     * {@code clnet train --validate} without rebuilding. The system property wins over the
     * environment variable.
     */
    public static final String KERNEL_DIR_PROPERTY = "clnet.kernels.dir";
    public static final String KERNEL_DIR_ENV = "CLNET_KERNELS_DIR";

    /** A kernel file's text: from the kernel directory when one is set, else the classpath ({@code /kernels-cl/NAME}). */
    public static String kernelSource(String file) {
        String dir = System.getProperty(KERNEL_DIR_PROPERTY, System.getenv(KERNEL_DIR_ENV));
        if (dir != null && !dir.isBlank()) {
            java.nio.file.Path path = java.nio.file.Path.of(dir, file);
            try {
                return java.nio.file.Files.readString(path);
            } catch (IOException e) {
                throw new IllegalStateException("kernel file " + path + " (from " + KERNEL_DIR_PROPERTY + " / "
                        + KERNEL_DIR_ENV + "): " + e.getMessage(), e);
            }
        }
        try (InputStream in = OpenClBackend.class.getResourceAsStream("/kernels-cl/" + file)) {
            if (in == null) {
                throw new IllegalStateException("kernel file kernels-cl/" + file + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Compiles one kernel file for this device. On failure the exception carries the
     * compiler's log, its source references rewritten to {@code file}.
     */
    public cl_program buildProgram(String file, String source, String options) {
        cl_program program = clCreateProgramWithSource(context, 1, new String[] {source}, null, null);
        try {
            clBuildProgram(program, 1, new cl_device_id[] {device.device()}, options, null, null);
            return program;
        } catch (CLException e) {
            String log = buildLog(program);
            clReleaseProgram(program);
            throw new KernelBuildException(file, device.name(), rewriteSourceNames(log, file), e.getStatus());
        }
    }

    private String buildLog(cl_program program) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(program, device.device(), CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] b = new byte[(int) size[0]];
            clGetProgramBuildInfo(program, device.device(), CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
            int n = b.length;
            while (n > 0 && b[n - 1] == 0) {
                n--;
            }
            return new String(b, 0, n, StandardCharsets.UTF_8).strip();
        } catch (CLException e) {
            return "(no build log: " + CL.stringFor_errorCode(e.getStatus()) + ")";
        }
    }

    /**
     * Compilers call the source "<source>" (NVIDIA), a temporary file such as
     * ".../pocl/kcache/tempfile_x.cl" (PoCL) or "input.cl"; name the real file instead.
     */
    static String rewriteSourceNames(String log, String file) {
        return log.replaceAll("(?:<source>|[^\\s:\"']*\\.cl)(?=:\\d+:\\d+)", file);
    }

    @Override
    public String name() {
        return device.id();
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

    /** Buffers allocated and not yet freed, for leak checks. */
    public synchronized long liveBuffers() {
        return live.size();
    }

    public synchronized long liveBytes() {
        return liveBytes;
    }

    // ---------------------------------------------------------------- memory

    @Override
    protected Tensor doAlloc(Shape shape, DType dtype) {
        long bytes = Math.max(4L, (long) shape.size() * dtype.bytes());
        if (bytes > device.maxAllocBytes() || liveBytes + bytes > device.globalMemBytes()) {
            throw new OpenClException(String.format(
                    "out of device memory: a %s tensor %s needs %s; %s allows at most %s per buffer and has %s"
                            + " of global memory, %s of it already held by clnet", dtype, shape, ClDevice.bytes(bytes),
                    device.id(), ClDevice.bytes(device.maxAllocBytes()), ClDevice.bytes(device.globalMemBytes()),
                    ClDevice.bytes(liveBytes)), CL.CL_MEM_OBJECT_ALLOCATION_FAILURE, null);
        }
        cl_mem mem;
        try {
            mem = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
        } catch (CLException e) {
            throw OpenClException.of(e, "allocating " + ClDevice.bytes(bytes) + " for a tensor " + shape);
        }
        ClTensor t = new ClTensor(this, shape, dtype, mem);
        live.add(t);
        liveBytes += bytes;
        if (shape.size() > 0) {
            try {
                // zero-filled, as the interface promises (an int 0 is float 0.0's bit pattern)
                run("fill", new long[] {shape.size()}, null, mem, shape.size(), 0f);
            } catch (RuntimeException e) {
                doRelease(t); // not leaked when the fill fails
                throw e;
            }
        }
        return t;
    }

    @Override
    protected void doRelease(Tensor t) {
        ClTensor c = (ClTensor) t;
        if (live.remove(c)) {
            clReleaseMemObject(c.mem());
            liveBytes -= c.bytes();
        }
    }

    @Override
    protected void doUpload(float[] src, Tensor dst) {
        ClTensor d = cl(dst);
        write(d, Pointer.to(src), staged -> staged.asFloatBuffer().put(src, 0, d.size()));
    }

    @Override
    protected void doUpload(int[] src, Tensor dst) {
        ClTensor d = cl(dst);
        write(d, Pointer.to(src), staged -> staged.asIntBuffer().put(src, 0, d.size()));
    }

    /**
     * Copies a Java array into {@code d}: large ones straight from the array, blocking;
     * small ones through a staging buffer ({@code fill} copies them there), asynchronously.
     */
    private void write(ClTensor d, Pointer array, java.util.function.Consumer<ByteBuffer> fill) {
        long bytes = 4L * d.size();
        if (bytes == 0) {
            return;
        }
        try {
            if (bytes >= STAGED_UPLOAD_LIMIT) {
                clEnqueueWriteBuffer(queue, d.mem(), CL_TRUE, 0, bytes, array, 0, null, null);
            } else {
                ByteBuffer b = stage((int) bytes);
                fill.accept(b);
                enqueueStaged(d, b, bytes);
            }
        } catch (CLException e) {
            throw OpenClException.of(e, "uploading a tensor " + d.shape());
        }
    }

    /** The next staging buffer, once its previous copy is done, with room for {@code bytes}. */
    private ByteBuffer stage(int bytes) {
        Staging s = staging[nextStaging];
        if (s.pending != null) {
            clWaitForEvents(1, new cl_event[] {s.pending});
            clReleaseEvent(s.pending);
            s.pending = null;
        }
        if (s.buffer == null || s.buffer.capacity() < bytes) {
            s.buffer = ByteBuffer.allocateDirect(Math.max(bytes, 64 << 10)).order(ByteOrder.nativeOrder());
        }
        s.buffer.clear();
        return s.buffer;
    }

    private void enqueueStaged(ClTensor d, ByteBuffer b, long bytes) {
        Staging s = staging[nextStaging];
        cl_event event = new cl_event();
        clEnqueueWriteBuffer(queue, d.mem(), CL_FALSE, 0, bytes, Pointer.to(b), 0, null, event);
        s.pending = event;
        nextStaging = 1 - nextStaging;
    }

    @Override
    protected void doDownload(Tensor src, float[] dst) {
        ClTensor s = cl(src);
        if (s.size() == 0) {
            return;
        }
        try {
            clEnqueueReadBuffer(queue, s.mem(), CL_TRUE, 0, 4L * s.size(), Pointer.to(dst), 0, null, null);
        } catch (CLException e) {
            throw OpenClException.of(e, "reading a tensor " + s.shape() + " back from the device");
        }
    }

    @Override
    protected void doFinish() {
        try {
            clFinish(queue);
        } catch (CLException e) {
            throw OpenClException.of(e, "waiting for the device");
        }
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

    // ---------------------------------------------------------------- linear algebra

    @Override
    protected void doGemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c,
                          GemmShape s) {
        cl_mem bm = floats(b);
        if (transB && !gemm.hasTransposedBKernels()) {
            // The CPU kernels sum every product along k in order, as the CPU backend does;
            // a transposed copy of B (a weight matrix, cheap to copy) keeps it that way.
            cl_mem bt = scratch((long) b.size());
            grid("transpose", (b.cols() + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE,
                    (b.rows() + TRANSPOSE_TILE - 1) / TRANSPOSE_TILE, bm, bt, b.rows(), b.cols());
            bm = bt;
            transB = false;
        }
        String kernel = "gemm_" + (transA ? "t" : "n") + (transB ? "t" : "n");
        run(kernel, gemm.global(s.m(), s.n()), gemm.local(), s.m(), s.n(), s.k(), alpha, floats(a), bm, beta,
                floats(c));
    }

    /** A device buffer of at least {@code floats} floats for intermediate results, kept and grown. */
    private cl_mem scratch(long floats) {
        long bytes = Math.max(4L, 4L * floats);
        if (bytes > scratchBytes) {
            if (scratch != null) {
                clReleaseMemObject(scratch); // freed once the kernels queued on it have run
            }
            try {
                scratch = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, null);
            } catch (CLException e) {
                scratch = null;
                scratchBytes = 0;
                throw OpenClException.of(e, "allocating " + ClDevice.bytes(bytes) + " of scratch space");
            }
            scratchBytes = bytes;
        }
        return scratch;
    }

    @Override
    protected void doAddRowVector(Tensor z, Tensor bias) {
        grid("add_row_vector", z.cols(), z.rows(), floats(z), floats(bias), z.rows(), z.cols());
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
        if (k == null) {
            throw new IllegalStateException("no kernel " + name);
        }
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
            clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, null);
        } catch (CLException e) {
            String what = "running kernel " + name + " (global " + java.util.Arrays.toString(global)
                    + (local == null ? "" : ", local " + java.util.Arrays.toString(local)) + ") on " + device.id();
            if (e.getStatus() == CL.CL_MEM_OBJECT_ALLOCATION_FAILURE || e.getStatus() == CL.CL_OUT_OF_RESOURCES) {
                // drivers allocate lazily, so a kernel's first use of its buffers is where memory runs out
                what += String.format("; clnet holds %s in %d buffers of the device's %s", ClDevice.bytes(liveBytes),
                        live.size(), ClDevice.bytes(device.globalMemBytes()));
            } else if (e.getStatus() == CL.CL_INVALID_WORK_GROUP_SIZE && local != null) {
                what += String.format("; the device allows %d work-items per group", device.maxWorkGroupSize());
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
        if (context == null) {
            return; // the constructor failed before the context existed
        }
        try {
            if (queue != null) {
                clFinish(queue);
            }
        } catch (CLException e) {
            // closing anyway; the device is past caring
        }
        for (Staging s : staging) {
            if (s.pending != null) {
                clReleaseEvent(s.pending);
                s.pending = null;
            }
            s.buffer = null;
        }
        for (cl_kernel k : kernels.values()) {
            clReleaseKernel(k);
        }
        kernels.clear();
        for (cl_program p : programs) {
            clReleaseProgram(p);
        }
        programs.clear();
        if (queue != null) {
            clReleaseCommandQueue(queue);
            queue = null;
        }
        // A buffer holds its context alive, so the ones left open are freed here; their
        // own close() then finds them gone and does nothing.
        for (ClTensor t : live) {
            clReleaseMemObject(t.mem());
        }
        if (scratch != null) {
            clReleaseMemObject(scratch);
            scratch = null;
        }
        live.clear();
        liveBytes = 0;
        clReleaseContext(context);
        context = null;
    }
}
