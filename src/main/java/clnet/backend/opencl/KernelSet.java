package clnet.backend.opencl;

import static org.jocl.CL.CL_DEVICE_VERSION;
import static org.jocl.CL.CL_DRIVER_VERSION;
import static org.jocl.CL.CL_KERNEL_FUNCTION_NAME;
import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_PROGRAM_BINARIES;
import static org.jocl.CL.CL_PROGRAM_BINARY_SIZES;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;
import static org.jocl.CL.clBuildProgram;
import static org.jocl.CL.clCreateKernelsInProgram;
import static org.jocl.CL.clCreateProgramWithBinary;
import static org.jocl.CL.clCreateProgramWithSource;
import static org.jocl.CL.clGetKernelInfo;
import static org.jocl.CL.clGetKernelWorkGroupInfo;
import static org.jocl.CL.clGetProgramBuildInfo;
import static org.jocl.CL.clGetProgramInfo;
import static org.jocl.CL.clReleaseKernel;
import static org.jocl.CL.clReleaseProgram;

import clnet.backend.CacheDirectory;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * The kernels of one device: the files of {@code kernels-cl/} compiled into programs, and
 * every kernel each program defines, by name.
 *
 * <p>One source for names and numbers: the kernels are found in the programs themselves
 * ({@code clCreateKernelsInProgram}), not in a list kept beside the files, and the
 * {@code #define}s that number activations, losses and accuracies are generated from the
 * Java enums ({@link #enumDefines()}) and put before each file's text, with a {@code #line}
 * directive so that compiler messages still name the file's own lines.
 *
 * <p>Compiled programs are cached on disk ({@link CacheDirectory}/{@code kernels}), one file
 * per program, named by a SHA-256 of the platform, device, driver, build options and full
 * source: a second run on the same device loads binaries and compiles nothing; any change
 * of driver or source is a new name. Where the driver caches compiled programs itself
 * (PoCL), clnet leaves it to the driver ({@link #cachesBinaries(String, String, String)}). A cache file that fails to load is rebuilt from source
 * and replaced; a cache that cannot be written only costs the compile next time.
 */
final class KernelSet {
    /** Functions every kernel file may use (the activations), put before each file's text. */
    static final String SHARED_HEADER = "activate.h";

    /** The kernel files, in {@code kernels-cl/} in the source tree and the jar. */
    static final List<String> FILES =
            List.of("elementwise.cl", "activations.cl", "losses.cl", "optimizers.cl", "gemm.cl");

    /** Every file of {@code kernels-cl/} that is read: the shared header and the kernel files. */
    static final List<String> SOURCES = java.util.stream.Stream.concat(java.util.stream.Stream.of(SHARED_HEADER),
            FILES.stream()).toList();

    /** Where kernel sources come from instead of the jar (see {@link OpenClBackend#KERNEL_DIR_PROPERTY}). */
    static final String KERNEL_DIR_PROPERTY = "clnet.kernels.dir";
    static final String KERNEL_DIR_ENV = "CLNET_KERNELS_DIR";

    private final ClDevice device;
    private final cl_context context;
    private final boolean cachesBinaries;
    /** Each file's program, and the names of the kernels it defines. */
    private final Map<String, cl_program> programs = new LinkedHashMap<>();
    private final Map<String, List<String>> kernelNames = new HashMap<>();
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private int builtFromSource;
    private int loadedFromCache;

    KernelSet(ClDevice device, cl_context context) {
        this.device = device;
        this.context = context;
        this.cachesBinaries = cachesBinaries(device.platformName(), System.getProperty(BINARY_CACHE_PROPERTY, "auto"),
                System.getenv("POCL_KERNEL_CACHE"));
    }

    /** {@code on}, {@code off} or {@code auto} (the default): whether compiled programs are cached by clnet. */
    static final String BINARY_CACHE_PROPERTY = "clnet.kernels.binaryCache";

    /**
     * Whether clnet keeps program binaries: {@code auto} does, except on a driver that caches
     * compiled programs itself. PoCL does (unless {@code POCL_KERNEL_CACHE=0}), and asking it
     * for a binary makes it compile every kernel in full: measured here, a cold first open
     * took 12-13 s instead of 1.6-2.1 s, to save 0.15 s on later opens that PoCL's own cache
     * already makes fast (0.3 s).
     */
    static boolean cachesBinaries(String platformName, String setting, String poclKernelCache) {
        return switch (setting.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            case "auto" -> !platformName.contains("Portable Computing Language") || "0".equals(poclKernelCache);
            default -> throw new IllegalArgumentException(BINARY_CACHE_PROPERTY + " must be on, off or auto, got '"
                    + setting + "'");
        };
    }

    /** Whether this device's programs go through clnet's binary cache ({@link #cachesBinaries}). */
    boolean cachesBinaries() {
        return cachesBinaries;
    }

    /**
     * Builds (or loads) {@code file} with {@code options} and makes every kernel it defines
     * available by name; a file built before is replaced (other options: a smaller work-group).
     */
    void add(String file, String options) {
        remove(file);
        // each part starts on a line of its own: a file need not end with a newline
        String source = enumDefines() + "\n#line 1 \"" + SHARED_HEADER + "\"\n" + kernelSource(SHARED_HEADER)
                + "\n#line 1 \"" + file + "\"\n" + kernelSource(file);
        // each device of a platform its own build: PoCL 3.1 shares compiled kernels between
        // identical devices in a cache whose counts race when two threads run them at once
        String own = (options == null ? "" : options) + " -DCLNET_DEVICE_INDEX=" + device.deviceIndex();
        cl_program program = load(file, source, own.trim());
        programs.put(file, program);
        int[] count = new int[1];
        clCreateKernelsInProgram(program, 0, null, count);
        cl_kernel[] made = new cl_kernel[count[0]];
        clCreateKernelsInProgram(program, count[0], made, null);
        List<String> names = new ArrayList<>();
        for (cl_kernel k : made) {
            String name = kernelName(k);
            kernels.put(name, k);
            names.add(name);
        }
        kernelNames.put(file, names);
    }

    private void remove(String file) {
        for (String name : kernelNames.getOrDefault(file, List.of())) {
            clReleaseKernel(kernels.remove(name));
        }
        kernelNames.remove(file);
        cl_program p = programs.remove(file);
        if (p != null) {
            clReleaseProgram(p);
        }
    }

    cl_kernel get(String name) {
        cl_kernel k = kernels.get(name);
        if (k == null) {
            throw new IllegalStateException("no kernel " + name + " in " + programs.keySet() + " for " + device.id());
        }
        return k;
    }

    /** The most work-items the device runs of {@code kernel} in one group (its registers and local memory decide). */
    long workGroupLimit(String kernel) {
        long[] size = new long[1];
        clGetKernelWorkGroupInfo(get(kernel), device.device(), CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t,
                Pointer.to(size), null);
        return size[0];
    }

    int builtFromSource() {
        return builtFromSource;
    }

    int loadedFromCache() {
        return loadedFromCache;
    }

    void release() {
        for (cl_kernel k : kernels.values()) {
            clReleaseKernel(k);
        }
        kernels.clear();
        kernelNames.clear();
        for (cl_program p : programs.values()) {
            clReleaseProgram(p);
        }
        programs.clear();
    }

    // ---------------------------------------------------------------- sources

    /**
     * The numbering the kernels share with the Java enums: their ordinals, as the ops pass
     * them ({@code RELU}, {@code CATEGORICAL_CROSSENTROPY}, {@code ACC_BINARY}, ...), and
     * Keras's clipping epsilon, exactly (a hexadecimal float).
     */
    static String enumDefines() {
        StringBuilder b = new StringBuilder("// generated by clnet.backend.opencl.KernelSet from the Java enums\n");
        for (Activation.Kind k : Activation.Kind.values()) {
            b.append("#define ").append(k.name()).append(' ').append(k.ordinal()).append('\n');
        }
        for (Loss l : Loss.values()) {
            b.append("#define ").append(l.name()).append(' ').append(l.ordinal()).append('\n');
        }
        for (Accuracy a : Accuracy.values()) {
            b.append("#define ACC_").append(a.name()).append(' ').append(a.ordinal()).append('\n');
        }
        b.append("#define EPSILON ").append(Float.toHexString(Loss.EPSILON)).append("f\n");
        return b.toString();
    }

    /** A kernel file's text: from the kernel directory when one is set, else the classpath ({@code /kernels-cl/NAME}). */
    static String kernelSource(String file) {
        String dir = System.getProperty(KERNEL_DIR_PROPERTY, System.getenv(KERNEL_DIR_ENV));
        if (dir != null && !dir.isBlank()) {
            Path path = Path.of(dir, file);
            try {
                return Files.readString(path);
            } catch (IOException e) {
                throw new IllegalStateException("kernel file " + path + " (from " + KERNEL_DIR_PROPERTY + " / "
                        + KERNEL_DIR_ENV + "): " + e.getMessage(), e);
            }
        }
        try (InputStream in = KernelSet.class.getResourceAsStream("/kernels-cl/" + file)) {
            if (in == null) {
                throw new IllegalStateException("kernel file kernels-cl/" + file + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- building, and the cache

    /** The program from the cache when a good binary is there, else built from source (and cached). */
    private cl_program load(String file, String source, String options) {
        Path cached = cachesBinaries ? cacheFile(source, options) : null;
        if (cached != null && Files.isRegularFile(cached)) {
            try {
                byte[] binary = Files.readAllBytes(cached);
                cl_program p = fromBinary(binary, options);
                if (p != null) {
                    loadedFromCache++;
                    return p;
                }
            } catch (IOException | RuntimeException e) {
                // a stale or damaged entry: build from source and replace it
            }
        }
        cl_program p = build(file, source, options);
        builtFromSource++;
        if (cached != null) {
            store(cached, binary(p));
        }
        return p;
    }

    /**
     * Compiles one kernel file for this device. On failure the exception carries the
     * compiler's log, its source references rewritten to {@code file}.
     */
    cl_program build(String file, String source, String options) {
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

    private cl_program fromBinary(byte[] binary, String options) {
        int[] status = new int[1];
        cl_program p = clCreateProgramWithBinary(context, 1, new cl_device_id[] {device.device()},
                new long[] {binary.length}, new byte[][] {binary}, status, null);
        try {
            clBuildProgram(p, 1, new cl_device_id[] {device.device()}, options, null, null);
            return p;
        } catch (CLException e) {
            clReleaseProgram(p);
            return null;
        }
    }

    private byte[] binary(cl_program p) {
        try {
            long[] size = new long[1];
            clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, Sizeof.size_t, Pointer.to(size), null);
            byte[] bin = new byte[(int) size[0]];
            clGetProgramInfo(p, CL_PROGRAM_BINARIES, Sizeof.POINTER, Pointer.to(Pointer.to(bin)), null);
            return bin;
        } catch (CLException | IllegalArgumentException e) {
            return null; // a driver that gives no binary: nothing to cache
        }
    }

    /** The cache entry of a program: the hash of everything its binary depends on. */
    private Path cacheFile(String source, String options) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {device.platformName(), device.name(),
                    ClDevice.deviceString(device.device(), CL_DRIVER_VERSION),
                    ClDevice.deviceString(device.device(), CL_DEVICE_VERSION), options, source}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return CacheDirectory.path().resolve("kernels").resolve(HexFormat.of().formatHex(sha.digest()) + ".bin");
        } catch (NoSuchAlgorithmException | RuntimeException e) {
            return null;
        }
    }

    private static void store(Path file, byte[] binary) {
        if (binary == null || binary.length == 0) {
            return;
        }
        try {
            clnet.files.SafeFiles.writeBytes(file, binary);
        } catch (IOException | RuntimeException e) {
            // an unwritable cache only costs the compile next time
        }
    }

    private static String kernelName(cl_kernel k) {
        long[] size = new long[1];
        clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, b.length, Pointer.to(b), null);
        return ClDevice.cString(b);
    }

    private String buildLog(cl_program program) {
        try {
            long[] size = new long[1];
            clGetProgramBuildInfo(program, device.device(), CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] b = new byte[(int) size[0]];
            clGetProgramBuildInfo(program, device.device(), CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
            return ClDevice.cString(b);
        } catch (CLException e) {
            return "(no build log: " + org.jocl.CL.stringFor_errorCode(e.getStatus()) + ")";
        }
    }

    /**
     * Compilers call the source "<source>" (NVIDIA), a temporary file such as
     * ".../pocl/kcache/tempfile_x.cl" (PoCL) or "input.cl"; name the real file instead.
     */
    static String rewriteSourceNames(String log, String file) {
        return log.replaceAll("(?:<source>|[^\\s:\"']*\\.cl)(?=:\\d+:\\d+)", file);
    }
}
