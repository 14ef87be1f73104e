package clnet.backend.opencl;

import static org.jocl.CL.CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT;
import static org.jocl.CL.clGetDeviceInfo;

import java.util.Locale;
import java.util.Objects;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;

/**
 * How {@code kernels-cl/gemm.cl} is built and launched. It holds two kernels:
 * <ul>
 *   <li>{@link Variant#GPU}: each work-group computes a tsm x tsn tile of C, staging slices
 *       of tsk along K in local memory, and each work-item a wptm x wptn block of it; the
 *       work-group is (tsn / wptn) x (tsm / wptm) work-items.</li>
 *   <li>{@link Variant#CPU}: no local memory and no barriers; each work-item computes a
 *       tsm x tsn block of C alone (tsn = nv * vw, held in vectors of vw floats), and a
 *       work-group is that one work-item (wptm = tsm, wptn = tsn). It has NN and TN
 *       kernels only: the backend transposes B for the other two. A CPU runtime runs work-items one
 *       after another, so a barrier only costs there; the CPU's caches do what local memory
 *       does on a GPU.</li>
 * </ul>
 * For the GPU variant vw is 0.
 */
public record GemmConfig(Variant variant, int tsm, int tsn, int tsk, int wptm, int wptn, int vw) {

    /** Which kernel of gemm.cl: the local-memory tiles for GPUs or the register blocks for CPUs. */
    public enum Variant { GPU, CPU }

    public GemmConfig {
        Objects.requireNonNull(variant, "variant");
        boolean ok = tsm > 0 && tsn > 0 && wptm > 0 && wptn > 0 && tsm % wptm == 0 && tsn % wptn == 0;
        if (variant == Variant.GPU) {
            ok &= tsk > 0 && vw == 0;
        } else {
            ok &= (vw == 4 || vw == 8 || vw == 16) && tsn % vw == 0 && wptm == tsm && wptn == tsn;
        }
        if (!ok) {
            // (not `this`: the fields are not set yet)
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "bad GEMM configuration %s tsm=%d tsn=%d tsk=%d wptm=%d wptn=%d vw=%d", variant, tsm, tsn, tsk,
                    wptm, wptn, vw));
        }
    }

    /** True when gemm.cl has kernels for a transposed B (the CPU variant has NN and TN only). */
    public boolean hasTransposedBKernels() {
        return variant == Variant.GPU;
    }

    /** The GPU kernel with these tiles (the original five-number form). */
    public GemmConfig(int tsm, int tsn, int tsk, int wptm, int wptn) {
        this(Variant.GPU, tsm, tsn, tsk, wptm, wptn, 0);
    }

    /**
     * The GPU kernel: 64 x 64 tiles, 4 x 4 per work-item (256 work-items); on a device that
     * allows fewer, the work-items get fatter (8 x 8, ...) until the group fits.
     */
    public static GemmConfig gpu(long maxWorkGroupSize) {
        GemmConfig c = new GemmConfig(64, 64, 16, 4, 4);
        while (c.workGroupSize() > maxWorkGroupSize && c.wptn < c.tsn) {
            c = new GemmConfig(c.tsm, c.tsn, c.tsk, c.wptm * 2, c.wptn * 2);
        }
        return c;
    }

    /**
     * The CPU kernel for SIMD vectors of {@code vw} floats (4, 8 or 16): a work-item's
     * accumulators fill most of the vector registers (AVX-512 has 32, AVX2 and SSE 16).
     */
    public static GemmConfig cpu(int vw) {
        return switch (vw) {
            case 16 -> cpu(16, 12, 2); // 12 x 32: 24 accumulators
            case 8 -> cpu(8, 6, 2);    // 6 x 16: 12 accumulators
            case 4 -> cpu(4, 6, 2);    // 6 x 8: 12 accumulators
            default -> throw new IllegalArgumentException("vector width " + vw + " (4, 8 or 16)");
        };
    }

    /** The CPU kernel with tm x (nv * vw) blocks per work-item. */
    public static GemmConfig cpu(int vw, int tm, int nv) {
        return new GemmConfig(Variant.CPU, tm, nv * vw, 0, tm, nv * vw, vw);
    }

    /** By device type: the CPU kernel on CPUs, the GPU kernel on everything else. */
    public static GemmConfig forDevice(ClDevice device) {
        return device.isCpu() ? cpu(device) : gpu(device);
    }

    /** The GPU kernel, fitted to the device's work-group limit. */
    public static GemmConfig gpu(ClDevice device) {
        return gpu(device.maxWorkGroupSize());
    }

    /** The CPU kernel, for the device's preferred vector width. */
    public static GemmConfig cpu(ClDevice device) {
        return cpu(vectorWidth(device));
    }

    /** The device's preferred float vector width, rounded down to 16, 8 or 4. */
    static int vectorWidth(ClDevice device) {
        int w;
        try {
            int[] v = new int[1];
            clGetDeviceInfo(device.device(), CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, Sizeof.cl_uint, Pointer.to(v),
                    null);
            w = v[0];
        } catch (CLException e) {
            w = 8;
        }
        return w >= 16 ? 16 : w >= 8 ? 8 : 4;
    }

    public int workGroupSize() {
        return (tsm / wptm) * (tsn / wptn);
    }

    /** The work-group: (columns, rows) of work-items for the GPU kernel, one work-item for the CPU one. */
    public long[] local() {
        return new long[] {tsn / wptn, tsm / wptm};
    }

    /**
     * The NDRange for an m x n result: whole tiles covering it. The GPU kernel's
     * dimension 0 runs along columns (neighbouring work-items, neighbouring addresses); the
     * CPU kernel's along rows (consecutive work-groups share their columns of B).
     */
    public long[] global(int m, int n) {
        long tilesN = (n + tsn - 1) / tsn;
        long tilesM = (m + tsm - 1) / tsm;
        return variant == Variant.GPU
                ? new long[] {tilesN * (tsn / wptn), tilesM * (tsm / wptm)}
                : new long[] {tilesM, tilesN};
    }

    /** The -D options that select the kernel and set its sizes in gemm.cl. */
    public String defines() {
        return variant == Variant.GPU
                ? String.format(Locale.ROOT, "-DTSM=%d -DTSN=%d -DTSK=%d -DWPTM=%d -DWPTN=%d", tsm, tsn, tsk, wptm, wptn)
                : String.format(Locale.ROOT, "-DGEMM_CPU -DVW=%d -DTM=%d -DNV=%d", vw, tsm, tsn / vw);
    }

    /** In words, for benchmarks and test names. */
    @Override
    public String toString() {
        return variant == Variant.GPU
                ? String.format(Locale.ROOT, "gpu %dx%d tiles, k %d, %dx%d per work-item", tsm, tsn, tsk, wptm, wptn)
                : String.format(Locale.ROOT, "cpu %dx%d per work-item, float%d", tsm, tsn, vw);
    }
}
