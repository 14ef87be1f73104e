package clnet.backend.cpu;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;

/**
 * The system's BLAS (OpenBLAS on Debian: {@code libblas.so.3}) through the JNI binding of
 * {@code dev.ludovic.netlib:blas}, for the CPU backend's matrix products.
 *
 * <p>Loaded once, then proven: a product of awkward shapes is compared with EJML's before
 * the library is used, so that a BLAS built for the wrong core (OpenBLAS's run-time
 * detection misreads some virtual CPUs, and older builds compute wrong results on some
 * cores; see {@code OPENBLAS_CORETYPE} in the README) is refused rather than trusted.
 */
final class NativeBlas {
    private NativeBlas() {
    }

    /** Held around each call into a serial build (see {@link #sgemm}); set before the static block's self-check. */
    private static final Object CALL_LOCK = new Object();

    /** The loaded and checked library, or null; {@link #unavailableReason} says why not. */
    private static final BLAS BLAS_INSTANCE;
    private static final String UNAVAILABLE;

    static {
        BLAS loaded = null;
        String reason = null;
        // the binding logs a warning per implementation it cannot load; clnet says it once itself
        Logger log = Logger.getLogger("dev.ludovic.netlib.blas");
        Level before = log.getLevel();
        log.setLevel(Level.OFF);
        preferPthreadsBuild();
        try {
            loaded = NativeBLAS.getInstance();
            String wrong = selfCheck(loaded);
            if (wrong != null) {
                reason = wrong;
                loaded = null;
            }
        } catch (Throwable e) { // UnsatisfiedLinkError, RuntimeException: no usable libblas.so.3
            reason = CpuBackend.debianLibrary("libblas.so.3") == null
                    ? "no native BLAS could be loaded (" + e.getMessage() + "); install libopenblas0-pthread"
                    // the binding swallows the cause; the usual one where the library is there:
                    : "the system's BLAS is installed but the JNI binding to it did not load (" + e.getMessage()
                            + "; dev.ludovic.netlib unpacks it into java.io.tmpdir, "
                            + System.getProperty("java.io.tmpdir") + ", which must allow running programs)";
        } finally {
            log.setLevel(before);
        }
        BLAS_INSTANCE = loaded;
        UNAVAILABLE = reason;
    }

    private static final String PATH_PROPERTY = "dev.ludovic.netlib.blas.nativeLibPath";
    private static final String NAME_PROPERTY = "dev.ludovic.netlib.blas.nativeLib";

    /**
     * Points the binding at Debian's pthreads build of OpenBLAS where it is installed, nobody
     * chose a library, and {@code OPENBLAS_NUM_THREADS=1} (as clnet's launchers set it): that
     * build then runs each call on its caller's thread and takes calls from several threads at
     * once, so the CPU backend splits each product over the cores on threads of its own, the
     * same threads as its element-wise loops, and no BLAS thread ever spins for a core that a
     * loop needs ({@link Parallel}). Measured on 2 cores, the eight products of an mnist_mlp
     * step at batch 128 took 1.04–1.14 ms split this way against 1.25–1.32 ms through the
     * OpenMP build's own threads (fastest of 9 rounds of 200). The serial build is no use
     * here: called from two threads at once it returned wrong products (7,833 of 183,981
     * calls; it is built without OpenBLAS's locking), and the OpenMP build took three times
     * as long per call.
     */
    private static void preferPthreadsBuild() {
        if (System.getProperty(PATH_PROPERTY) != null || System.getProperty(NAME_PROPERTY) != null
                || !"1".equals(trimmed(System.getenv("OPENBLAS_NUM_THREADS")))) {
            return;
        }
        java.nio.file.Path lib = CpuBackend.pthreadsBlas();
        if (lib != null) {
            try {
                System.load(lib.toString()); // proves it links before the binding commits to it
                System.setProperty(PATH_PROPERTY, lib.toString());
            } catch (UnsatisfiedLinkError | SecurityException e) {
                // the default library then
            }
        }
    }

    private static String trimmed(String s) {
        return s == null ? null : s.trim();
    }

    /** The native BLAS, or null when there is none that computes correctly here. */
    static BLAS instance() {
        return BLAS_INSTANCE;
    }

    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /**
     * How many threads the library runs a product on, by the files the process mapped and
     * the variables the library reads ({@link #threads(java.util.Map, List, int)}).
     */
    static int threads() {
        return THREADS;
    }

    private static final List<String> LIBRARIES = BLAS_INSTANCE == null ? List.of() : mappedLibraries();

    private static final int THREADS = BLAS_INSTANCE == null ? 1
            : threads(System.getenv(), LIBRARIES, Runtime.getRuntime().availableProcessors());

    /**
     * Whether products may run on several threads at once, each call on its caller's thread:
     * the pthreads build told to use one thread (its calls lock what they share). Only then
     * does the CPU backend split products over its own threads.
     */
    static boolean takesConcurrentCalls() {
        return CONCURRENT_CALLS;
    }

    private static final boolean CONCURRENT_CALLS = BLAS_INSTANCE != null && takesConcurrentCalls(THREADS, LIBRARIES);

    /** The rule of {@link #takesConcurrentCalls()}, for these mapped libraries. */
    static boolean takesConcurrentCalls(int threads, List<String> libraries) {
        return threads == 1 && libraries.stream().anyMatch(l -> l.contains("/openblas-pthread/"))
                && libraries.stream().noneMatch(l -> l.matches(".*/(openblas|blis)-(openmp|serial)/.*"));
    }

    /**
     * A serial build shares buffers between calls without a lock: its calls are made one at a
     * time. (Still false during the static block's self-check, which no other thread can race.)
     */
    private static final boolean ONE_CALL_AT_A_TIME = BLAS_INSTANCE != null
            && LIBRARIES.stream().anyMatch(l -> l.matches(".*/(openblas|blis)-serial/.*"));

    /**
     * The rule of {@link #threads()}: 1 where a serial build is mapped ({@code *-serial}, or
     * the reference BLAS in {@code blas/}) and no threaded one (Debian's
     * {@code openblas-openmp}, {@code openblas-pthread}, {@code blis-openmp},
     * {@code blis-pthread}; OpenBLAS's {@code libopenblasp} and {@code libopenblaso}). A
     * threaded OpenBLAS takes the first of {@code OPENBLAS_NUM_THREADS},
     * {@code GOTO_NUM_THREADS} and {@code OMP_NUM_THREADS} that reads as a count above 0, as
     * its {@code memory.c} does, else every core; a threaded BLIS takes
     * {@code BLIS_NUM_THREADS}, then {@code OMP_NUM_THREADS}, else runs one thread (BLIS's
     * default). Never more than {@code cores}. An unknown library counts as a threaded
     * OpenBLAS: a loop beside BLAS threads would fight them for the cores, one on one thread
     * only waits.
     */
    static int threads(java.util.Map<String, String> env, List<String> libraries, int cores) {
        boolean openBlasThreaded = false;
        boolean blisThreaded = false;
        boolean serial = false;
        for (String lib : libraries) {
            openBlasThreaded |= lib.matches(".*/openblas-(openmp|pthread)/.*") || lib.matches(".*/libopenblas[po]-.*");
            blisThreaded |= lib.matches(".*/blis-(openmp|pthread)/.*");
            serial |= lib.matches(".*/(openblas|blis)-serial/.*") || lib.contains("/blas/libblas.so");
        }
        if (serial && !openBlasThreaded && !blisThreaded) {
            return 1;
        }
        if (blisThreaded && !openBlasThreaded) {
            return Math.min(cores, threadCount(env, 1, "BLIS_NUM_THREADS", "OMP_NUM_THREADS"));
        }
        return Math.min(cores, threadCount(env, cores, "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"));
    }

    /**
     * The first of {@code names} whose value C's {@code atoi} reads as above 0 (leading
     * blanks and digits: "4,2", OpenMP's nested list, is 4), else {@code otherwise}.
     */
    private static int threadCount(java.util.Map<String, String> env, int otherwise, String... names) {
        // a local, not a static field: the static block's THREADS calls this before later fields are set
        java.util.regex.Pattern leadingInteger = java.util.regex.Pattern.compile("\\s*([+-]?\\d{1,9}).*",
                java.util.regex.Pattern.DOTALL);
        for (String name : names) {
            String value = env.get(name);
            java.util.regex.Matcher m = leadingInteger.matcher(value == null ? "" : value);
            if (m.matches()) {
                int n = Integer.parseInt(m.group(1));
                if (n > 0) {
                    return n;
                }
            }
        }
        return otherwise;
    }

    /** The BLAS libraries the process mapped ({@code /proc/self/maps}): empty where there is no such file. */
    static List<String> mappedLibraries() {
        java.util.Set<String> found = new java.util.LinkedHashSet<>();
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash >= 0 && line.contains(".so") && (line.contains("blas") || line.contains("blis"))
                        && !line.contains("libnetlibblasjni")) {
                    found.add(line.substring(slash).trim());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return List.of(); // not Linux: nothing to tell
        }
        return List.copyOf(found);
    }

    /** What the library was told about the core ({@code OPENBLAS_CORETYPE}), for the device line. */
    static String coreType() {
        String core = System.getenv("OPENBLAS_CORETYPE");
        return core == null || core.isBlank() ? "detected by OpenBLAS" : core;
    }

    /**
     * C = op(A) op(B) for row-major matrices, in BLAS's column-major terms: a row-major
     * r x c matrix is a column-major c x r one, so C^T = op(B)^T op(A)^T is one sgemm with
     * the operands swapped and the same transpose flags.
     */
    static void sgemm(BLAS blas, boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aCols,
                      float[] b, int bCols, float beta, float[] c) {
        sgemm(blas, transA, transB, m, n, k, alpha, a, 0, aCols, b, 0, bCols, beta, c, 0, n);
    }

    /** The same on blocks of larger row-major matrices: each starts at an offset, rows {@code ld*} apart. */
    static void sgemm(BLAS blas, boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOffset,
                      int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc) {
        if (ONE_CALL_AT_A_TIME) {
            synchronized (CALL_LOCK) {
                blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha, b, bOffset, Math.max(1, ldb), a,
                        aOffset, Math.max(1, lda), beta, c, cOffset, Math.max(1, ldc));
            }
        } else {
            blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha, b, bOffset, Math.max(1, ldb), a, aOffset,
                    Math.max(1, lda), beta, c, cOffset, Math.max(1, ldc));
        }
    }

    /**
     * Null when BLAS's products agree with EJML's, else what went wrong: all four transpose
     * cases at a small awkward shape, then at one large enough for OpenBLAS's blocked kernels
     * (it routes small products to other kernels), with C at an offset in a larger array and
     * beta 0.5, as the split products call it. About 20 ms, once per process.
     */
    private static String selfCheck(BLAS blas) {
        java.util.Random r = new java.util.Random(7);
        for (int[] shape : new int[][] {{37, 29, 53}, {131, 257, 190}}) {
            for (int t = 0; t < 4; t++) {
                String wrong = selfCheck(blas, r, shape[0], shape[1], shape[2], (t & 2) != 0, (t & 1) != 0,
                        shape[0] > 100);
                if (wrong != null) {
                    return wrong;
                }
            }
        }
        return null;
    }

    private static String selfCheck(BLAS blas, java.util.Random r, int m, int n, int k, boolean ta, boolean tb,
                                    boolean offsetAndBeta) {
        FMatrixRMaj a = new FMatrixRMaj(ta ? k : m, ta ? m : k);
        FMatrixRMaj b = new FMatrixRMaj(tb ? n : k, tb ? k : n);
        FMatrixRMaj c = new FMatrixRMaj(m, n);
        for (FMatrixRMaj x : List.of(a, b, c)) {
            for (int i = 0; i < x.data.length; i++) {
                x.data[i] = r.nextFloat() - 0.5f;
            }
        }
        float beta = offsetAndBeta ? 0.5f : 0f;
        FMatrixRMaj want = c.copy();
        CommonOps_FDRM.scale(beta, want);
        if (!ta && !tb) CommonOps_FDRM.multAdd(a, b, want);
        else if (ta && !tb) CommonOps_FDRM.multAddTransA(a, b, want);
        else if (!ta) CommonOps_FDRM.multAddTransB(a, b, want);
        else CommonOps_FDRM.multAddTransAB(a, b, want);
        int offset = offsetAndBeta ? 3 : 0;
        float[] got = new float[offset + m * n];
        System.arraycopy(c.data, 0, got, offset, m * n);
        sgemm(blas, ta, tb, m, n, k, 1f, a.data, 0, a.numCols, b.data, 0, b.numCols, beta, got, offset, n);
        for (int i = 0; i < m * n; i++) {
            float w = want.data[i];
            if (!(Math.abs(got[offset + i] - w) <= 1e-4f * (1 + Math.abs(w)))) {
                return String.format(Locale.ROOT, "the native BLAS computes wrong products here (%s product %dx%dx%d,"
                        + " element %d: %g, EJML %g; OPENBLAS_CORETYPE=%s): using EJML", (ta ? "T" : "N")
                        + (tb ? "T" : "N"), m, n, k, i, got[offset + i], w, coreType());
            }
        }
        return null;
    }
}
