package clnet.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import clnet.backend.Tensor;
import clnet.ops.Activation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The gemm kernels of {@code kernels-cl/gemm.cl}, every transpose, against a plain
 * double-precision loop, on shapes that are 1 in each dimension, smaller than a tile,
 * exactly a tile, a tile plus one, and the MLP's own; with alpha 1 and 0.5 and beta 0 (C
 * filled with NaN first, which must not leak through), 1 and 0.25. Both kernels run on the
 * test device with explicit configurations, so on PoCL the GPU kernel is checked too, and
 * the CPU kernel at each vector width (16, 8 and 4 floats).
 */
class GemmKernelTest {
    private static final int[] SMALL = {1, 2, 7, 31, 65};
    /** {M, N, K} beyond the all-pairs grid of SMALL. */
    private static final int[][] LARGE = {
        {64, 64, 64}, {129, 65, 31}, {65, 129, 64}, {511, 7, 129}, {7, 511, 65}, {129, 129, 129},
        {31, 784, 7}, {784, 1, 511}, {1, 784, 511}, {511, 784, 1}, {2, 65, 784}, {784, 2, 65},
        {128, 512, 784}, {784, 512, 128}, {128, 784, 512}, // the MLP step: forward, dW, dX
    };
    private static final float[] ALPHAS = {1f, 0.5f};
    private static final float[] BETAS = {0f, 1f, 0.25f};

    private static final Map<GemmConfig, OpenClBackend> BACKENDS = new LinkedHashMap<>();

    @AfterAll
    static void close() {
        BACKENDS.values().forEach(OpenClBackend::close);
        BACKENDS.clear();
    }

    static List<int[]> shapes() {
        List<int[]> out = new ArrayList<>();
        for (int m : SMALL) {
            for (int n : SMALL) {
                for (int k : SMALL) {
                    out.add(new int[] {m, n, k});
                }
            }
        }
        out.addAll(Arrays.asList(LARGE));
        return out;
    }

    /** The configurations to check on {@code device}: its default first, then each variant. */
    static List<GemmConfig> configs(ClDevice device) {
        List<GemmConfig> out = new ArrayList<>();
        out.add(GemmConfig.forDevice(device));
        for (GemmConfig c : List.of(GemmConfig.gpu(device), GemmConfig.cpu(16), GemmConfig.cpu(8),
                GemmConfig.cpu(4))) {
            if (!out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicNode> everyTransposeMatchesADoubleLoop() {
        ClDevice device = OpenClTestDevice.get();
        return configs(device).stream().map(config -> DynamicContainer.dynamicContainer(config.toString(),
                Stream.of("nn", "nt", "tn", "tt").map(op -> DynamicTest.dynamicTest("gemm_" + op,
                        () -> check(device, config, op.charAt(0) == 't', op.charAt(1) == 't')))));
    }

    /**
     * dense_forward (the product with a dense layer's bias and activation as its epilogue)
     * gives bit for bit what gemm_nn and then bias_activation_forward give, in every
     * configuration: fusing the launches must not change a trained model's numbers.
     */
    @TestFactory
    Stream<DynamicTest> denseForwardEqualsTheProductThenTheEpilogue() {
        ClDevice device = OpenClTestDevice.get();
        return configs(device).stream().map(config -> DynamicTest.dynamicTest(config.toString(),
                () -> checkDenseForward(device, config)));
    }

    private static void checkDenseForward(ClDevice device, GemmConfig config) {
        OpenClBackend backend = BACKENDS.computeIfAbsent(config, c -> new OpenClBackend(device, c));
        for (int[] s : shapes()) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            Operands p = Operands.of(m, n, k, false, false);
            float[] bias = new float[n];
            for (int j = 0; j < n; j++) {
                bias[j] = (j % 7 - 3) * 0.375f;
            }
            try (Tensor x = backend.alloc(m, k);
                 Tensor w = backend.alloc(k, n);
                 Tensor b = backend.alloc(1, n);
                 Tensor z1 = backend.alloc(m, n);
                 Tensor a1 = backend.alloc(m, n);
                 Tensor z2 = backend.alloc(m, n);
                 Tensor a2 = backend.alloc(m, n)) {
                backend.upload(p.a, x);
                backend.upload(p.b, w);
                backend.upload(bias, b);
                float[] nans = nans(m * n);
                for (Activation f : new Activation[] {Activation.RELU, Activation.TANH, Activation.LEAKY_RELU,
                        Activation.LINEAR, Activation.SIGMOID, Activation.ARCTAN}) {
                    backend.upload(nans, z1); // a store the kernel missed shows as NaN
                    backend.upload(nans, a1);
                    backend.denseForward(f, x, w, b, z1, a1);
                    backend.gemm(false, false, 1f, x, w, 0f, z2);
                    backend.biasActivationForward(f, z2, b, a2);
                    String at = String.format(Locale.ROOT, "%s dense_forward %s, M=%d N=%d K=%d", config, f.id(), m, n,
                            k);
                    assertArrayEquals(backend.download(z2).data(), backend.download(z1).data(), at + ": z");
                    assertArrayEquals(backend.download(a2).data(), backend.download(a1).data(), at + ": a");
                }
            }
        }
    }

    private static void check(ClDevice device, GemmConfig config, boolean transA, boolean transB) {
        OpenClBackend backend = BACKENDS.computeIfAbsent(config, c -> new OpenClBackend(device, c));
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (int[] s : shapes()) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            Operands p = Operands.of(m, n, k, transA, transB);
            try (Tensor a = backend.alloc(transA ? k : m, transA ? m : k);
                 Tensor b = backend.alloc(transB ? n : k, transB ? k : n);
                 Tensor c = backend.alloc(m, n)) {
                backend.upload(p.a, a);
                backend.upload(p.b, b);
                float[] out = new float[m * n];
                for (float alpha : ALPHAS) {
                    for (float beta : BETAS) {
                        cases++;
                        float[] c0 = beta == 0f ? nans(m * n) : p.c0;
                        backend.upload(c0, c);
                        backend.gemm(transA, transB, alpha, a, b, beta, c);
                        backend.download(c, out);
                        String bad = compare(p, alpha, beta, out);
                        if (bad != null) {
                            failures.add(String.format(Locale.ROOT, "M=%d N=%d K=%d alpha=%s beta=%s: %s", m, n, k,
                                    alpha, beta, bad));
                        }
                    }
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(String.format(Locale.ROOT, "%s gemm_%s%s: %d of %d cases wrong on %s; the first:%n  %s", config,
                    transA ? "t" : "n", transB ? "t" : "n", failures.size(), cases, device.name(),
                    String.join("\n  ", failures.subList(0, Math.min(8, failures.size())))));
        }
    }

    /**
     * The first element off by more than 1e-4 + 1e-4 * s, where s = |alpha| * sum_k |a b|
     * + |beta c0|: float's rounding error grows with the sum of the magnitudes it adds
     * (with K, for these operands), while any element, term or factor gone wrong moves
     * the result by at least 0.25 * |alpha| (every |a|, |b| is in [0.5, 1)), which is
     * larger than the tolerance up to K of about 2000.
     */
    private static String compare(Operands p, float alpha, float beta, float[] out) {
        for (int i = 0; i < out.length; i++) {
            double prior = beta == 0f ? 0 : (double) beta * p.c0[i];
            double ref = alpha * p.product[i] + prior;
            double tol = 1e-4 + 1e-4 * (Math.abs(alpha) * p.magnitude[i] + Math.abs(prior));
            double d = Math.abs(out[i] - ref);
            if (!(d <= tol)) { // NaN too
                return String.format(Locale.ROOT, "C[%d, %d] = %s, expected %s (tolerance %.2g)", i / p.n, i % p.n,
                        out[i], ref, tol);
            }
        }
        return null;
    }

    private static float[] nans(int size) {
        float[] x = new float[size];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    /** Random operands as stored (A is K x M when transposed, B is N x K) and their exact product. */
    private record Operands(int m, int n, int k, float[] a, float[] b, float[] c0, double[] product,
                            double[] magnitude) {
        private static final Map<String, Operands> CACHE = new java.util.HashMap<>();

        /** Computed once per shape and transpose, then shared by every configuration. */
        static synchronized Operands of(int m, int n, int k, boolean transA, boolean transB) {
            String key = m + "x" + n + "x" + k + (transA ? "T" : "N") + (transB ? "T" : "N");
            return CACHE.computeIfAbsent(key, x -> make(m, n, k, transA, transB));
        }

        private static Operands make(int m, int n, int k, boolean transA, boolean transB) {
            Random r = new Random(31L * m + 17L * n * 1000 + k * 1_000_000L + (transA ? 7 : 0) + (transB ? 3 : 0));
            float[] a = values(r, m * k);
            float[] b = values(r, k * n);
            float[] c0 = values(r, m * n);
            double[] product = new double[m * n];
            double[] magnitude = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    double abs = 0;
                    for (int l = 0; l < k; l++) {
                        double t = (double) (transA ? a[l * m + i] : a[i * k + l]) * (transB ? b[j * k + l] : b[l * n + j]);
                        s += t;
                        abs += Math.abs(t);
                    }
                    product[i * n + j] = s;
                    magnitude[i * n + j] = abs;
                }
            }
            return new Operands(m, n, k, a, b, c0, product, magnitude);
        }

        /** Magnitudes in [0.5, 1), random signs: every term of a dot product counts. */
        private static float[] values(Random r, int size) {
            float[] x = new float[size];
            for (int i = 0; i < size; i++) {
                x[i] = (0.5f + 0.5f * r.nextFloat()) * (r.nextBoolean() ? 1 : -1);
            }
            return x;
        }
    }

    @Test
    void theDeviceTypeChoosesTheKernel() {
        ClDevice device = OpenClTestDevice.get();
        GemmConfig c = GemmConfig.forDevice(device);
        assertEquals(device.isCpu() ? GemmConfig.Variant.CPU : GemmConfig.Variant.GPU, c.variant(), c.toString());
        assertTrue(c.workGroupSize() <= device.maxWorkGroupSize(), c.toString());
    }

    @Test
    void launchGeometry() {
        GemmConfig gpu = GemmConfig.gpu(1024);
        assertEquals(new GemmConfig(64, 64, 16, 4, 4), gpu);
        assertArrayEquals(new long[] {16, 16}, gpu.local());
        // dimension 0 along N: 512 columns, 2 tiles of 64 rows
        assertArrayEquals(new long[] {8 * 16, 2 * 16}, gpu.global(128, 512));
        assertArrayEquals(new long[] {16, 16}, gpu.global(1, 1));
        assertEquals("-DTSM=64 -DTSN=64 -DTSK=16 -DWPTM=4 -DWPTN=4", gpu.defines());
        // a device that allows fewer work-items gets fatter ones
        assertEquals(64, GemmConfig.gpu(64).workGroupSize());
        assertEquals(1, GemmConfig.gpu(1).workGroupSize());

        GemmConfig cpu = GemmConfig.cpu(16);
        assertArrayEquals(new long[] {1, 1}, cpu.local());
        // dimension 0 along M: 128 rows in blocks of 12, 512 columns in blocks of 32
        assertArrayEquals(new long[] {11, 16}, cpu.global(128, 512));
        assertArrayEquals(new long[] {1, 1}, cpu.global(1, 1));
        assertEquals("-DGEMM_CPU -DVW=16 -DTM=12 -DNV=2", cpu.defines());
        for (int vw : new int[] {4, 8, 16}) {
            GemmConfig c = GemmConfig.cpu(vw);
            assertEquals(vw, c.vw());
            assertEquals(0, c.tsn() % c.vw());
            assertEquals(1, c.workGroupSize());
        }
    }

    @Test
    void inconsistentConfigurationsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new GemmConfig(64, 64, 16, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> new GemmConfig(64, 64, 0, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.cpu(12));
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.cpu(16, 12, 0)); // no vectors per row
        assertThrows(NullPointerException.class, () -> new GemmConfig(null, 8, 32, 0, 8, 32, 16));
    }
}
