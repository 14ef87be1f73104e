package clnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import clnet.VerifierChecks;
import clnet.verify.BackendVerifier;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The fast CPU backend (products through the native BLAS) against the reference (EJML):
 * every GEMM shape and transpose of the verifier, the non-finite inputs, and a training
 * step per optimizer. CI installs OpenBLAS, so there a missing native BLAS fails.
 */
class NativeBlasTest {
    private static CpuBackend reference;
    private static CpuBackend blas;

    @BeforeAll
    static void open() {
        blas = CpuBackend.withNativeBlas();
        if (!blas.usesNativeBlas()) {
            String why = "no native BLAS: " + NativeBlas.unavailableReason();
            if ("true".equals(System.getenv("CI"))) {
                fail("CI=true and " + why);
            }
            System.err.println("WARNING: " + why);
            Assumptions.abort(why);
        }
        reference = new CpuBackend();
    }

    @AfterAll
    static void close() {
        if (blas != null) {
            blas.close();
        }
        if (reference != null) {
            reference.close();
        }
    }

    private static Stream<DynamicTest> family(long seed, Consumer<BackendVerifier> run) {
        return VerifierChecks.asTests(reference, blas, seed, run);
    }

    @TestFactory
    Stream<DynamicTest> gemm() {
        return family(11, BackendVerifier::gemm);
    }

    @TestFactory
    Stream<DynamicTest> nanInfinityAndNegativeZero() {
        return family(12, BackendVerifier::nonFinite);
    }

    @TestFactory
    Stream<DynamicTest> oneTrainingStepFromIdenticalWeights() {
        return family(13, BackendVerifier::trainingStep);
    }

    /** Whether the backend splits products and loops over its own threads depends on this count. */
    @Test
    void blasThreadsFollowTheVariablesThenTheLibrarysBuild() {
        String dir = "/usr/lib/x86_64-linux-gnu/";
        List<String> openmp = List.of(dir + "openblas-openmp/libblas.so.3", dir + "openblas-openmp/libopenblasp-r0.3.21.so");
        List<String> serial = List.of(dir + "openblas-serial/libblas.so.3", dir + "openblas-serial/libopenblas-r0.3.21.so");
        Map<String, String> none = Map.of();
        assertEquals(8, NativeBlas.threads(none, openmp, 8));
        assertEquals(1, NativeBlas.threads(none, serial, 8));
        assertEquals(1, NativeBlas.threads(none, List.of(dir + "blis-serial/libblas.so.3"), 8));
        assertEquals(1, NativeBlas.threads(none, List.of(dir + "blas/libblas.so.3"), 8));
        assertEquals(8, NativeBlas.threads(none, List.of(), 8)); // unknown: as if threaded
        // the serial wrapper bound to a threaded library that was loaded first
        assertEquals(8, NativeBlas.threads(none,
                List.of(dir + "openblas-serial/libblas.so.3", dir + "openblas-openmp/libopenblasp-r0.3.21.so"), 8));
        // OpenBLAS: OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS, OMP_NUM_THREADS, each if atoi reads it above 0
        assertEquals(1, NativeBlas.threads(Map.of("OPENBLAS_NUM_THREADS", "1", "OMP_NUM_THREADS", "4"), openmp, 8));
        assertEquals(4, NativeBlas.threads(Map.of("OMP_NUM_THREADS", "4,2"), openmp, 8)); // OpenMP's nested list
        assertEquals(1, NativeBlas.threads(Map.of("OPENBLAS_NUM_THREADS", "8"), serial, 8)); // a serial build reads none
        assertEquals(8, NativeBlas.threads(Map.of("OPENBLAS_NUM_THREADS", "64"), openmp, 8));
        assertEquals(2, NativeBlas.threads(Map.of("OPENBLAS_NUM_THREADS", "x", "OMP_NUM_THREADS", "2"), openmp, 8));
        assertEquals(8, NativeBlas.threads(Map.of("OPENBLAS_NUM_THREADS", " "), openmp, 8));
        assertEquals(8, NativeBlas.threads(Map.of("OPENBLAS_NUM_THREADS", "0"), openmp, 8), "0 is unset to OpenBLAS");
        assertEquals(3, NativeBlas.threads(Map.of("OPENBLAS_NUM_THREADS", "-1", "GOTO_NUM_THREADS", " 3",
                "OMP_NUM_THREADS", "2"), openmp, 8));
        // BLIS: one thread unless BLIS_NUM_THREADS or OMP_NUM_THREADS says more; OpenBLAS's variable is not its
        List<String> blis = List.of(dir + "blis-pthread/libblas.so.3");
        assertEquals(1, NativeBlas.threads(none, blis, 8));
        assertEquals(1, NativeBlas.threads(Map.of("OPENBLAS_NUM_THREADS", "4"), blis, 8));
        assertEquals(4, NativeBlas.threads(Map.of("OMP_NUM_THREADS", "4"), blis, 8));
        assertEquals(2, NativeBlas.threads(Map.of("BLIS_NUM_THREADS", "2", "OMP_NUM_THREADS", "4"), blis, 8));
    }

    /**
     * The library must compute right when called from several threads at once, as the split
     * products call it (Debian's serial OpenBLAS did not: 4 % of such calls were wrong, by far
     * more than rounding). Two threads with a backend each run products side by side against
     * the same product computed before, to within rounding (one of them may run its product
     * whole while the other holds the workers).
     */
    @Test
    void productsOnSeveralThreadsAtOnceAreRight() throws InterruptedException {
        float[][] wrong = new float[2][];
        Throwable[] failed = new Throwable[2];
        Thread[] threads = new Thread[2];
        for (int t = 0; t < threads.length; t++) {
            int index = t;
            threads[t] = new Thread(() -> {
                try (CpuBackend be = CpuBackend.withNativeBlas()) {
                    int m = 96 + 17 * index;
                    int n = 200 + 31 * index;
                    int k = 300;
                    java.util.Random r = new java.util.Random(index);
                    float[] ha = new float[m * k];
                    float[] hb = new float[k * n];
                    for (int i = 0; i < ha.length; i++) {
                        ha[i] = r.nextFloat() - 0.5f;
                    }
                    for (int i = 0; i < hb.length; i++) {
                        hb[i] = r.nextFloat() - 0.5f;
                    }
                    clnet.backend.Tensor a = be.alloc(m, k);
                    clnet.backend.Tensor b = be.alloc(k, n);
                    clnet.backend.Tensor c = be.alloc(m, n);
                    be.upload(ha, a);
                    be.upload(hb, b);
                    be.gemm(false, false, 1f, a, b, 0f, c);
                    float[] want = new float[m * n];
                    be.download(c, want);
                    float[] got = new float[m * n];
                    for (int rep = 0; rep < 400 && wrong[index] == null; rep++) {
                        be.gemm(false, false, 1f, a, b, 0f, c);
                        be.download(c, got);
                        for (int i = 0; i < got.length; i++) {
                            if (!(Math.abs(got[i] - want[i]) <= 1e-4f)) {
                                wrong[index] = got.clone();
                                break;
                            }
                        }
                    }
                } catch (Throwable e) {
                    failed[index] = e;
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join(120_000);
        }
        assertTrue(failed[0] == null && failed[1] == null, java.util.Arrays.toString(failed));
        assertTrue(wrong[0] == null && wrong[1] == null, "a product differed from the same product computed before"
                + " (" + NativeBlas.mappedLibraries() + ")");
    }

    /** Products are split over clnet's threads only where the library is safe to call from several at once. */
    @Test
    void onlyTheOneThreadPthreadsBuildTakesConcurrentCalls() {
        String dir = "/usr/lib/x86_64-linux-gnu/";
        List<String> pthreads = List.of(dir + "openblas-pthread/libblas.so.3", dir + "openblas-pthread/libopenblasp-r0.3.21.so");
        assertTrue(NativeBlas.takesConcurrentCalls(1, pthreads));
        assertFalse(NativeBlas.takesConcurrentCalls(2, pthreads)); // its own threads take the products
        // the serial build shares buffers without a lock (wrong products from two threads), the
        // OpenMP build serializes callers
        assertFalse(NativeBlas.takesConcurrentCalls(1, List.of(dir + "openblas-serial/libblas.so.3")));
        assertFalse(NativeBlas.takesConcurrentCalls(1, List.of(dir + "openblas-openmp/libblas.so.3")));
        assertFalse(NativeBlas.takesConcurrentCalls(1, List.of(dir + "openblas-pthread/libblas.so.3",
                dir + "openblas-openmp/libopenblasp-r0.3.21.so")));
        assertFalse(NativeBlas.takesConcurrentCalls(1, List.of()));
    }
}
