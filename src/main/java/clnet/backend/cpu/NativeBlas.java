package clnet.backend.cpu;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
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
        try {
            loaded = NativeBLAS.getInstance();
            String wrong = selfCheck(loaded);
            if (wrong != null) {
                reason = wrong;
                loaded = null;
            }
        } catch (Throwable e) { // UnsatisfiedLinkError, RuntimeException: no usable libblas.so.3
            reason = "no native BLAS could be loaded (" + e.getMessage() + "); install libopenblas0-openmp";
        } finally {
            log.setLevel(before);
        }
        BLAS_INSTANCE = loaded;
        UNAVAILABLE = reason;
    }

    /** The native BLAS, or null when there is none that computes correctly here. */
    static BLAS instance() {
        return BLAS_INSTANCE;
    }

    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /**
     * How many threads the library runs a product on: 1 for a serial build (Debian's
     * {@code libopenblas0-serial}, found by the path the process mapped) or where
     * {@code OPENBLAS_NUM_THREADS} (else {@code OMP_NUM_THREADS}) says 1, else the cores,
     * which OpenBLAS's threaded builds take by default.
     */
    static int threads() {
        return THREADS;
    }

    private static final int THREADS = BLAS_INSTANCE == null ? 1
            : threads(System.getenv("OPENBLAS_NUM_THREADS"), System.getenv("OMP_NUM_THREADS"), mappedLibrary(),
                      Runtime.getRuntime().availableProcessors());

    /**
     * The rule of {@link #threads()}: the first of the two variables that is set and reads
     * as a number (OpenBLAS's own order) at most {@code cores}; else 1 for a serial
     * library's path (Debian puts serial OpenBLAS and BLIS in {@code *-serial} directories,
     * the single-threaded reference BLAS in {@code blas/}); else {@code cores}.
     */
    static int threads(String openBlasNumThreads, String ompNumThreads, String library, int cores) {
        for (String limit : new String[] {openBlasNumThreads, ompNumThreads}) {
            if (limit != null && !limit.isBlank()) {
                try {
                    return Math.max(1, Math.min(cores, Integer.parseInt(limit.split(",")[0].trim())));
                } catch (NumberFormatException e) {
                    // OpenBLAS passes over a value it cannot read, and so does this
                }
            }
        }
        return library != null && (library.contains("serial") || library.contains("/blas/libblas.so")) ? 1 : cores;
    }

    /** The file the BLAS was loaded from, as the process mapped it ({@code /proc/self/maps}), or null. */
    static String mappedLibrary() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash >= 0 && (line.contains("/libblas.so") || line.contains("/libopenblas"))) {
                    return line.substring(slash).trim();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return null; // not Linux: nothing to tell
        }
        return null;
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
        blas.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha, b, Math.max(1, bCols), a,
                Math.max(1, aCols), beta, c, Math.max(1, n));
    }

    /** Null when BLAS's products agree with EJML's on all four transpose cases, else what went wrong. */
    private static String selfCheck(BLAS blas) {
        int m = 37;
        int n = 29;
        int k = 53;
        java.util.Random r = new java.util.Random(7);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 2) != 0;
            boolean tb = (t & 1) != 0;
            FMatrixRMaj a = new FMatrixRMaj(ta ? k : m, ta ? m : k);
            FMatrixRMaj b = new FMatrixRMaj(tb ? n : k, tb ? k : n);
            for (int i = 0; i < a.data.length; i++) {
                a.data[i] = r.nextFloat() - 0.5f;
            }
            for (int i = 0; i < b.data.length; i++) {
                b.data[i] = r.nextFloat() - 0.5f;
            }
            FMatrixRMaj want = new FMatrixRMaj(m, n);
            if (!ta && !tb) CommonOps_FDRM.mult(a, b, want);
            else if (ta && !tb) CommonOps_FDRM.multTransA(a, b, want);
            else if (!ta) CommonOps_FDRM.multTransB(a, b, want);
            else CommonOps_FDRM.multTransAB(a, b, want);
            float[] got = new float[m * n];
            sgemm(blas, ta, tb, m, n, k, 1f, a.data, a.numCols, b.data, b.numCols, 0f, got);
            for (int i = 0; i < got.length; i++) {
                if (!(Math.abs(got[i] - want.data[i]) <= 1e-4f)) {
                    return String.format(Locale.ROOT, "the native BLAS computes wrong products here (%s product,"
                            + " element %d: %g, EJML %g; OPENBLAS_CORETYPE=%s): using EJML", (ta ? "T" : "N")
                            + (tb ? "T" : "N"), i, got[i], want.data[i], coreType());
                }
            }
        }
        return null;
    }
}
