package clnet.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import clnet.Tensors;
import clnet.backend.cpu.CpuBackend;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.tensor.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CPU backend, op by op, against plain reference loops in double precision on random
 * data, over shapes that include 1 and sizes that are not multiples of anything
 * (1, 7, 31, 64, 129): the backend is the oracle of the OpenCL one, so it must be right
 * itself.
 */
class CpuBackendTest {
    private static final int[] SIZES = {1, 7, 31, 64, 129};
    /** float32 unit roundoff. */
    private static final double U = 0x1.0p-24;

    private final Backend b = new CpuBackend();
    private final Rng rng = new Rng(2024);

    @AfterEach
    void close() {
        b.close();
    }

    private Tensor up(HostTensor h) {
        return b.upload(h);
    }

    private float[] down(Tensor t) {
        return b.download(t).data();
    }

    private HostTensor random(int rows, int cols) {
        return Tensors.uniform(rng, -1f, 1f, rows, cols);
    }

    private Tensor indices(int[] values) {
        Tensor t = b.alloc(Shape.of(values.length), DType.INT32);
        b.upload(values, t);
        return t;
    }

    // ---------------------------------------------------------------- gemm

    /** op(X)[i][j] of a row-major rows x cols matrix. */
    private static double at(HostTensor x, boolean trans, int i, int j) {
        return trans ? x.get(j, i) : x.get(i, j);
    }

    @ParameterizedTest(name = "transA={0}, transB={1}")
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    void gemmMatchesTheReferenceForAllShapesAndBetas(boolean transA, boolean transB) {
        float[][] alphaBeta = {{1f, 0f}, {-0.75f, 1f}, {1.5f, 0.5f}};
        int checked = 0;
        for (int m : SIZES) {
            for (int n : SIZES) {
                for (int k : SIZES) {
                    HostTensor a = transA ? random(k, m) : random(m, k);
                    HostTensor bm = transB ? random(n, k) : random(k, n);
                    for (float[] ab : alphaBeta) {
                        float alpha = ab[0];
                        float beta = ab[1];
                        HostTensor c0 = random(m, n);
                        Tensor c = b.alloc(m, n);
                        if (beta == 0f) {
                            b.fill(c, Float.NaN); // BLAS: C is not read when beta is 0
                        } else {
                            b.upload(c0.data(), c);
                        }
                        b.gemm(transA, transB, alpha, up(a), up(bm), beta, c);
                        float[] got = down(c);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double sum = 0;
                                double abs = 0;
                                for (int p = 0; p < k; p++) {
                                    double prod = at(a, transA, i, p) * at(bm, transB, p, j);
                                    sum += prod;
                                    abs += Math.abs(prod);
                                }
                                double prior = beta == 0f ? 0 : (double) beta * c0.get(i, j);
                                double want = alpha * sum + prior;
                                // the classic float error bound, whatever order the sum is taken in
                                double tol = (k + 3) * U * (Math.abs(alpha) * abs + Math.abs(prior)) + 1e-30;
                                float g = got[i * n + j];
                                if (!(Math.abs(g - want) <= tol)) {
                                    fail(String.format("gemm %s%s m=%d n=%d k=%d alpha=%s beta=%s: C[%d,%d] = %s,"
                                                    + " expected %s (tolerance %.3g)", transA ? "T" : "N",
                                            transB ? "T" : "N", m, n, k, alpha, beta, i, j, g, want, tol));
                                }
                            }
                        }
                        checked++;
                    }
                }
            }
        }
        assertEquals(SIZES.length * SIZES.length * SIZES.length * 3, checked);
    }

    @Test
    void gemmWithBetaZeroIgnoresInfinityToo() {
        Tensor c = b.alloc(3, 2);
        b.fill(c, Float.POSITIVE_INFINITY);
        HostTensor a = HostTensor.of(Shape.of(3, 1), 1f, 2f, 3f);
        HostTensor x = HostTensor.of(Shape.of(1, 2), 10f, -1f);
        b.gemm(false, false, 2f, up(a), up(x), 0f, c);
        assertArrayEquals(new float[] {20f, -2f, 40f, -4f, 60f, -6f}, down(c));
    }

    // ---------------------------------------------------------------- row vectors

    @Test
    void addRowVectorAddsTheBiasToEveryRow() {
        for (int rows : SIZES) {
            for (int cols : SIZES) {
                HostTensor z = random(rows, cols);
                HostTensor bias = random(1, cols);
                Tensor zt = up(z);
                b.addRowVector(zt, up(bias));
                float[] want = new float[rows * cols];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) {
                        // one float addition is correctly rounded: the double sum rounds to it
                        want[r * cols + j] = (float) ((double) z.get(r, j) + bias.get(0, j));
                    }
                }
                assertArrayEquals(want, down(zt), rows + "x" + cols);
            }
        }
    }

    @Test
    void sumRowsSumsTheColumnsAndScales() {
        for (int rows : SIZES) {
            for (int cols : SIZES) {
                HostTensor x = random(rows, cols);
                float alpha = rows % 2 == 0 ? 0.25f : -3f;
                Tensor out = b.alloc(1, cols);
                b.fill(out, Float.NaN); // overwritten, not accumulated
                b.sumRows(alpha, up(x), out);
                float[] got = down(out);
                for (int j = 0; j < cols; j++) {
                    double s = 0;
                    double abs = 0;
                    for (int r = 0; r < rows; r++) {
                        s += x.get(r, j);
                        abs += Math.abs(x.get(r, j));
                    }
                    double want = alpha * s;
                    double tol = (rows + 2) * U * Math.abs(alpha) * abs + 1e-30;
                    assertTrue(Math.abs(got[j] - want) <= tol,
                            rows + "x" + cols + " column " + j + ": " + got[j] + " vs " + want);
                }
            }
        }
    }

    // ---------------------------------------------------------------- element-wise and copies

    @Test
    void fillCopyAndAxpy() {
        for (int rows : SIZES) {
            int cols = 7;
            Tensor t = up(random(rows, cols));
            b.fill(t, 3.5f);
            float[] filled = new float[rows * cols];
            Arrays.fill(filled, 3.5f);
            assertArrayEquals(filled, down(t));

            HostTensor x = random(rows, cols);
            HostTensor y = random(rows, cols);
            Tensor dst = b.alloc(rows, cols);
            b.copy(up(x), dst);
            assertArrayEquals(x.data(), down(dst));

            Tensor yt = up(y);
            b.axpy(-0.3f, up(x), yt);
            float[] want = new float[rows * cols];
            for (int i = 0; i < want.length; i++) {
                want[i] = (float) (y.data()[i] + (double) -0.3f * x.data()[i]);
            }
            Tensors.assertClose("axpy " + rows, want, down(yt), 1e-7, 2 * U);
        }
        // copy needs the same number of values, not the same shape
        Tensor flat = b.alloc(1, 6);
        b.copy(up(HostTensor.of(Shape.of(2, 3), 1, 2, 3, 4, 5, 6)), flat);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, down(flat));
    }

    @Test
    void gatherRowsFollowsTheIndicesFromTheStartOffset() {
        for (int n : SIZES) {
            int cols = 31;
            HostTensor src = random(n, cols);
            int[] perm = rng.permutation(n);
            Tensor idx = indices(perm);
            Tensor srcT = up(src);
            for (int start : new int[] {0, n / 3, n - 1}) {
                int rows = Math.max(1, Math.min(5, n - start));
                Tensor dst = b.alloc(rows, cols);
                b.gatherRows(srcT, idx, start, dst);
                float[] got = down(dst);
                for (int r = 0; r < rows; r++) {
                    float[] want = Arrays.copyOfRange(src.data(), perm[start + r] * cols, (perm[start + r] + 1) * cols);
                    assertArrayEquals(want, Arrays.copyOfRange(got, r * cols, (r + 1) * cols),
                            "n=" + n + " start=" + start + " row " + r);
                }
            }
            Tensor dst = b.alloc(Math.min(n, 3), cols);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.gatherRows(srcT, idx, n - dst.rows() + 1, dst));
            assertTrue(e.getMessage().startsWith("gatherRows: rows "), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> b.gatherRows(srcT, idx, -1, dst));
            assertEquals("gatherRows: rows -1.." + (dst.rows() - 1) + " of " + n + " indices", e.getMessage());
        }
    }

    @Test
    void gatherRowsMakesTheRowOfAnIndexOutsideTheSourceNaN() {
        HostTensor host = random(4, 3);
        Tensor src = up(host);
        Tensor dst = b.alloc(2, 3);
        b.gatherRows(src, indices(new int[] {1, 4}), 0, dst);
        float[] got = down(dst);
        for (int j = 0; j < 3; j++) {
            assertEquals(host.get(1, j), got[j]);
            assertTrue(Float.isNaN(got[3 + j]), "row of index 4 (of 4 rows)");
        }
        b.gatherRows(src, indices(new int[] {-1, 0}), 0, dst);
        got = down(dst);
        for (int j = 0; j < 3; j++) {
            assertTrue(Float.isNaN(got[j]), "row of index -1");
            assertEquals(host.get(0, j), got[3 + j]);
        }
    }

    // ---------------------------------------------------------------- activations

    private static double reference(Activation f, double z) {
        return switch (f.kind()) {
            case LINEAR -> z;
            case SIGMOID -> 1 / (1 + Math.exp(-z));
            case TANH -> Math.tanh(z);
            case RELU -> Math.max(z, 0);
            case LEAKY_RELU -> z > 0 ? z : f.alpha() * z;
            case ARCTAN -> Math.atan(z);
            case SOFTMAX -> throw new AssertionError("row-wise");
        };
    }

    private static double[] softmax(float[] z, int from, int cols) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            max = Math.max(max, z[from + j]);
        }
        double[] e = new double[cols];
        double sum = 0;
        for (int j = 0; j < cols; j++) {
            e[j] = Math.exp(z[from + j] - max);
            sum += e[j];
        }
        for (int j = 0; j < cols; j++) {
            e[j] /= sum;
        }
        return e;
    }

    @ParameterizedTest
    @CsvSource({"linear", "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu:0.1", "arctan", "softmax"})
    void activationForwardMatchesTheReference(String name) {
        Activation f = Activation.parse(name);
        for (int rows : SIZES) {
            for (int cols : SIZES) {
                HostTensor z = Tensors.uniform(rng, -6f, 6f, rows, cols);
                z.set(0, 0, 0f);
                float[] zs = z.data();
                Tensor a = b.alloc(rows, cols);
                b.activationForward(f, up(z), a);
                float[] got = down(a);
                double[] want = new double[zs.length];
                if (f.kind() == Activation.Kind.SOFTMAX) {
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(softmax(zs, r * cols, cols), 0, want, r * cols, cols);
                    }
                } else {
                    for (int i = 0; i < zs.length; i++) {
                        want[i] = reference(f, zs[i]);
                    }
                }
                // softmax: the float z - max may round (up to 12 U relative after exp), then cols roundings
                double rtol = f.kind() == Activation.Kind.SOFTMAX ? (cols + 16) * U : 4 * U;
                for (int i = 0; i < zs.length; i++) {
                    if (!(Math.abs(got[i] - want[i]) <= 1e-30 + rtol * Math.abs(want[i]))) {
                        fail(name + " " + rows + "x" + cols + " at " + i + ": f(" + zs[i] + ") = " + got[i]
                                + ", expected " + want[i]);
                    }
                }
                if (f.kind() == Activation.Kind.RELU || f.kind() == Activation.Kind.LINEAR) {
                    for (int i = 0; i < zs.length; i++) {
                        assertEquals((float) want[i], got[i], "exact " + name);
                    }
                }
            }
        }
    }

    @Test
    void leakyReluUsesItsOwnSlope() {
        HostTensor z = HostTensor.of(Shape.of(1, 3), -2f, 0f, 3f);
        Tensor a = b.alloc(1, 3);
        b.activationForward(Activation.leakyRelu(0.1f), up(z), a);
        assertArrayEquals(new float[] {-0.2f, 0f, 3f}, down(a));
        b.activationForward(Activation.LEAKY_RELU, up(z), a);
        assertArrayEquals(new float[] {-0.4f, 0f, 3f}, down(a));
    }

    @Test
    void softmaxIsStableForHugeLogits() {
        float[][] rowsIn = {
            {1000f, -1000f, 0f, 999f},
            {-1000f, -1000f, -1000f, -1000f},
            {1000f, 1000f, -5f, 1000f},
            {-1000f, -999f, -1001f, -3000f},
            {88.8f, 89f, 1e30f, -1e30f},
        };
        int cols = 4;
        float[] flat = new float[rowsIn.length * cols];
        for (int r = 0; r < rowsIn.length; r++) {
            System.arraycopy(rowsIn[r], 0, flat, r * cols, cols);
        }
        Tensor a = b.alloc(rowsIn.length, cols);
        b.activationForward(Activation.SOFTMAX, up(new HostTensor(Shape.of(rowsIn.length, cols), flat)), a);
        float[] got = down(a);
        for (int r = 0; r < rowsIn.length; r++) {
            double[] want = softmax(flat, r * cols, cols);
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                float g = got[r * cols + j];
                assertTrue(Float.isFinite(g), "row " + r + " holds " + g);
                assertTrue(Math.abs(g - want[j]) <= 1e-7 + 8 * U * want[j], "row " + r + ": " + g + " vs " + want[j]);
                sum += g;
            }
            assertEquals(1.0, sum, 1e-6, "row " + r + " sums to 1");
        }
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, Arrays.copyOfRange(got, 4, 8));
        assertEquals(0f, got[1]);
        assertEquals(0f, got[2]);
        assertEquals(1f, got[18]); // 1e30 dominates
        assertEquals(0f, got[19]);
        // a single column is always 1
        Tensor one = b.alloc(3, 1);
        b.activationForward(Activation.SOFTMAX, up(HostTensor.of(Shape.of(3, 1), -1000f, 0f, 1000f)), one);
        assertArrayEquals(new float[] {1f, 1f, 1f}, down(one));
    }

    @Test
    void sigmoidAndTanhSaturateExactly() {
        HostTensor z = HostTensor.of(Shape.of(1, 7), 100f, -100f, 1000f, -1000f, 0f, 20f, -20f);
        Tensor a = b.alloc(1, 7);
        b.activationForward(Activation.SIGMOID, up(z), a);
        float[] s = down(a);
        assertEquals(1f, s[0]);
        assertTrue(s[1] > 0f && s[1] < 1e-43f, "sigmoid(-100) = " + s[1]);
        assertEquals((float) Math.exp(-100), s[1], "sigmoid(-100) = e^-100 in float");
        assertEquals(1f, s[2]);
        assertEquals(0f, s[3]);
        assertEquals(0.5f, s[4]);
        assertEquals((float) (1 / (1 + Math.exp(-20))), s[5]);
        assertEquals((float) Math.exp(-20) / (1f + (float) Math.exp(-20)), s[6], 1e-15f);
        for (float v : s) {
            assertTrue(Float.isFinite(v));
        }
        b.activationForward(Activation.TANH, up(z), a);
        assertArrayEquals(new float[] {1f, -1f, 1f, -1f, 0f, 1f, -1f}, down(a));
        b.activationForward(Activation.ARCTAN, up(z), a);
        float[] atan = down(a);
        for (int i = 0; i < 7; i++) {
            assertEquals((float) Math.atan(z.data()[i]), atan[i], "atan(" + z.data()[i] + ")");
        }
    }

    // ---------------------------------------------------------------- losses

    private static final float EPS = Loss.EPSILON;
    /** The clip bounds as float32 holds them: 1 - 1e-7 rounds to 1 - 2^-23. */
    private static final double LO = EPS;
    private static final double HI = 1f - EPS;

    private static double clip(double p) {
        return Math.min(Math.max(p, LO), HI);
    }

    /** The per-sample loss of row r, by the formulas of {@link Loss}. */
    private static double referenceLoss(Loss loss, HostTensor p, HostTensor y, int r) {
        int cols = p.cols();
        switch (loss) {
            case CATEGORICAL_CROSSENTROPY, SPARSE_CATEGORICAL_CROSSENTROPY -> {
                double sum = 0;
                for (int j = 0; j < cols; j++) {
                    sum += p.get(r, j);
                }
                double l = 0;
                for (int j = 0; j < cols; j++) {
                    double t = loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY ? (y.get(r, 0) == j ? 1 : 0) : y.get(r, j);
                    l -= t * Math.log(clip(p.get(r, j) / sum));
                }
                return l;
            }
            case BINARY_CROSSENTROPY -> {
                double l = 0;
                for (int j = 0; j < cols; j++) {
                    double c = clip(p.get(r, j));
                    double t = y.get(r, j);
                    l -= t * Math.log(c) + (1 - t) * Math.log(1 - c);
                }
                return l / cols;
            }
            case MEAN_SQUARED_ERROR -> {
                double l = 0;
                for (int j = 0; j < cols; j++) {
                    double d = (double) y.get(r, j) - p.get(r, j);
                    l += d * d;
                }
                return l / cols;
            }
            case MEAN_ABSOLUTE_ERROR -> {
                double l = 0;
                for (int j = 0; j < cols; j++) {
                    l += Math.abs((double) y.get(r, j) - p.get(r, j));
                }
                return l / cols;
            }
        }
        throw new AssertionError(loss);
    }

    /** Predictions and targets of the kind each loss takes. */
    private HostTensor[] lossData(Loss loss, int rows, int cols) {
        switch (loss) {
            case CATEGORICAL_CROSSENTROPY -> {
                // unnormalized positive predictions: the loss rescales them; soft targets in odd rows
                HostTensor p = Tensors.uniform(rng, 0.01f, 1f, rows, cols);
                HostTensor y = Tensors.oneHot(rng, rows, cols);
                for (int r = 1; r < rows; r += 2) {
                    float s = 0;
                    for (int j = 0; j < cols; j++) {
                        y.set(r, j, rng.nextFloat());
                        s += y.get(r, j);
                    }
                    for (int j = 0; j < cols; j++) {
                        y.set(r, j, y.get(r, j) / s);
                    }
                }
                return new HostTensor[] {p, y};
            }
            case SPARSE_CATEGORICAL_CROSSENTROPY -> {
                return new HostTensor[] {Tensors.uniform(rng, 0.01f, 1f, rows, cols), Tensors.labels(rng, rows, cols)};
            }
            case BINARY_CROSSENTROPY -> {
                HostTensor p = Tensors.uniform(rng, 0f, 1f, rows, cols);
                HostTensor y = Tensors.uniform(rng, 0f, 1f, rows, cols);
                for (int i = 0; i < y.data().length; i += 2) {
                    y.data()[i] = y.data()[i] > 0.5f ? 1f : 0f; // hard labels, soft ones between
                }
                return new HostTensor[] {p, y};
            }
            default -> {
                return new HostTensor[] {random(rows, cols), random(rows, cols)};
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Loss.class)
    void lossSumMatchesTheFormula(Loss loss) {
        for (int rows : SIZES) {
            for (int cols : SIZES) {
                if (cols == 1 && (loss == Loss.CATEGORICAL_CROSSENTROPY
                        || loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY)) {
                    continue; // one class: always right, loss -log(1 - eps)
                }
                HostTensor[] d = lossData(loss, rows, cols);
                double want = 0;
                double abs = 0;
                for (int r = 0; r < rows; r++) {
                    double l = referenceLoss(loss, d[0], d[1], r);
                    want += l;
                    abs += Math.abs(l);
                }
                Tensor acc = up(HostTensor.of(Shape.of(1, 5), 1f, 2f, 3f, 0f, 5f));
                b.lossSum(loss, up(d[0]), up(d[1]), acc, 2);
                float[] got = down(acc);
                double tol = (rows + cols + 8) * 4 * U * (abs + 3) + 1e-6;
                double sum = Backend.accumulated(got, 2);
                assertTrue(Math.abs(sum - (3 + want)) <= tol,
                        loss + " " + rows + "x" + cols + ": " + (sum - 3) + " vs " + want);
                assertEquals(1f, got[0]);
                assertEquals(2f, got[1]);
                assertEquals(5f, got[4]);
            }
        }
    }

    private float lossOf(Loss loss, float[] p, float[] y) {
        Tensor acc = b.alloc(1, 2);
        int cols = p.length;
        b.lossSum(loss, up(HostTensor.of(Shape.of(1, cols), p)),
                up(HostTensor.of(Shape.of(1, y.length), y)), acc, 0);
        return (float) Backend.accumulated(down(acc), 0);
    }

    @Test
    void crossEntropiesClipAsKerasDoes() {
        double floor = -Math.log(EPS); // 16.118...
        // p = 0 for the true class: log is taken of eps, not of 0
        assertEquals(floor, lossOf(Loss.CATEGORICAL_CROSSENTROPY, new float[] {0f, 0.5f, 0.5f},
                new float[] {1f, 0f, 0f}), 1e-5);
        assertEquals(16.118095, floor, 1e-6);
        assertEquals(floor, lossOf(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, new float[] {0.7f, 0.3f, 0f},
                new float[] {2f}), 1e-5);
        // a certain right answer still costs -log(1 - eps), not 0
        float certain = lossOf(Loss.CATEGORICAL_CROSSENTROPY, new float[] {0f, 1f, 0f}, new float[] {0f, 1f, 0f});
        assertEquals(-Math.log(HI), certain, 1e-12);
        assertTrue(certain > 1e-7f);
        // rescaling: p = (2, 6) is read as (0.25, 0.75)
        assertEquals(-Math.log(0.25), lossOf(Loss.CATEGORICAL_CROSSENTROPY, new float[] {2f, 6f},
                new float[] {1f, 0f}), 1e-6);
        // binary: both ends clipped, averaged over the outputs
        float bce = lossOf(Loss.BINARY_CROSSENTROPY, new float[] {0f, 1f, 0.5f}, new float[] {1f, 0f, 1f});
        assertEquals((floor - Math.log(1 - HI) - Math.log(0.5)) / 3, bce, 1e-5);
        assertEquals(-Math.log(HI), lossOf(Loss.BINARY_CROSSENTROPY, new float[] {1f}, new float[] {1f}), 1e-12);
        // its gradient: flat where clipped, but a NaN prediction gives NaN (IEEE propagation), not 0
        Tensor dP = b.alloc(1, 3);
        b.lossGradient(Loss.BINARY_CROSSENTROPY, up(HostTensor.of(Shape.of(1, 3), 0f, Float.NaN, 0.5f)),
                up(HostTensor.of(Shape.of(1, 3), 1f, 1f, 1f)), 1f, dP);
        float[] grad = down(dP);
        assertEquals(0f, grad[0]);
        assertTrue(Float.isNaN(grad[1]), "NaN in, NaN out");
        assertEquals(-2f / 3, grad[2], 1e-6);
        // regression losses: mean over the columns
        assertEquals((1 + 4 + 0.25) / 3, lossOf(Loss.MEAN_SQUARED_ERROR, new float[] {1f, -1f, 0.5f},
                new float[] {0f, 1f, 0f}), 1e-6);
        assertEquals((1 + 2 + 0.5) / 3, lossOf(Loss.MEAN_ABSOLUTE_ERROR, new float[] {1f, -1f, 0.5f},
                new float[] {0f, 1f, 0f}), 1e-6);
    }

    // ---------------------------------------------------------------- accuracy

    private float correct(Accuracy accuracy, HostTensor p, HostTensor y) {
        Tensor acc = up(HostTensor.of(Shape.of(1, 4), 10f, 0.5f, 0f, 7f));
        b.countCorrect(accuracy, up(p), up(y), acc, 1);
        float[] got = down(acc);
        assertEquals(10f, got[0], "other slot untouched");
        assertEquals(7f, got[3], "other slot untouched");
        return (float) (Backend.accumulated(got, 1) - 0.5);
    }

    private static int argmax(HostTensor t, int r) {
        int best = 0;
        for (int j = 1; j < t.cols(); j++) {
            if (t.get(r, j) > t.get(r, best)) {
                best = j;
            }
        }
        return best;
    }

    @Test
    void countCorrectCategoricalTakesTheFirstOfTiedMaxima() {
        HostTensor p = HostTensor.of(Shape.of(4, 3),
                0.3f, 0.3f, 0.2f,   // tie: class 0
                0.1f, 0.45f, 0.45f, // tie: class 1
                0.2f, 0.2f, 0.2f,   // all equal: class 0
                0.1f, 0.2f, 0.7f);
        assertEquals(4f, correct(Accuracy.CATEGORICAL, p, HostTensor.of(Shape.of(4, 3),
                1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1)));
        assertEquals(1f, correct(Accuracy.CATEGORICAL, p, HostTensor.of(Shape.of(4, 3),
                0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1)));
        assertEquals(3f, correct(Accuracy.SPARSE_CATEGORICAL, p, HostTensor.of(Shape.of(4, 1), 0, 1, 0, 1)));
        assertEquals(0f, correct(Accuracy.SPARSE_CATEGORICAL, p, HostTensor.of(Shape.of(4, 1), 1, 2, 2, 0)));
        // labels compared as floats, as Keras compares them: 1.5 and NaN are no class (an int cast made them 1 and 0)
        assertEquals(0f, correct(Accuracy.SPARSE_CATEGORICAL, p,
                HostTensor.of(Shape.of(4, 1), 0.5f, 1.5f, Float.NaN, 1.5f)));
    }

    @Test
    void countCorrectMatchesTheReferenceOnRandomData() {
        for (int rows : SIZES) {
            for (int cols : new int[] {2, 7, 31}) {
                HostTensor p = Tensors.uniform(rng, 0f, 1f, rows, cols);
                // coarse values make ties common
                for (int i = 0; i < p.data().length; i++) {
                    p.data()[i] = Math.round(p.data()[i] * 4) / 4f;
                }
                HostTensor oneHot = Tensors.oneHot(rng, rows, cols);
                HostTensor labels = HostTensor.zeros(rows, 1);
                int wantCat = 0;
                int wantSparse = 0;
                for (int r = 0; r < rows; r++) {
                    labels.set(r, 0, rng.nextInt(cols));
                    wantCat += argmax(p, r) == argmax(oneHot, r) ? 1 : 0;
                    wantSparse += argmax(p, r) == (int) labels.get(r, 0) ? 1 : 0;
                }
                assertEquals(wantCat, correct(Accuracy.CATEGORICAL, p, oneHot), rows + "x" + cols);
                assertEquals(wantSparse, correct(Accuracy.SPARSE_CATEGORICAL, p, labels), rows + "x" + cols);

                HostTensor y = Tensors.uniform(rng, 0f, 1f, rows, cols);
                double wantBinary = 0;
                for (int r = 0; r < rows; r++) {
                    int agree = 0;
                    for (int j = 0; j < cols; j++) {
                        agree += (p.get(r, j) > 0.5f) == (y.get(r, j) > 0.5f) ? 1 : 0;
                    }
                    wantBinary += (double) agree / cols;
                }
                assertEquals(wantBinary, correct(Accuracy.BINARY, p, y), rows * 1e-6, rows + "x" + cols);
            }
        }
    }

    @Test
    void countCorrectBinaryCountsTheFractionPerSample() {
        HostTensor p = HostTensor.of(Shape.of(2, 4), 0.9f, 0.5f, 0.2f, 0.51f, 0.1f, 0.1f, 0.1f, 0.1f);
        HostTensor y = HostTensor.of(Shape.of(2, 4), 1f, 1f, 0f, 0f, 0f, 0f, 0f, 0f);
        // row 0: 0.9 right, 0.5 is not above 0.5 (wrong), 0.2 right, 0.51 wrong: 2/4; row 1: 4/4
        assertEquals(1.5f, correct(Accuracy.BINARY, p, y));
        HostTensor single = HostTensor.of(Shape.of(3, 1), 0.7f, 0.3f, 0.5f);
        assertEquals(2f, correct(Accuracy.BINARY, single, HostTensor.of(Shape.of(3, 1), 1f, 0f, 1f)));
    }

    // ---------------------------------------------------------------- views

    @Test
    void firstRowsSharesStorageWithItsParent() {
        HostTensor init = random(5, 3);
        Tensor parent = up(init);
        Tensor view = parent.firstRows(2);
        assertEquals(Shape.of(2, 3), view.shape());
        b.fill(view, 9f);
        float[] got = down(parent);
        for (int i = 0; i < 15; i++) {
            assertEquals(i < 6 ? 9f : init.data()[i], got[i], "element " + i);
        }
        assertArrayEquals(new float[] {9, 9, 9, 9, 9, 9}, down(view));

        b.addRowVector(view, up(HostTensor.of(Shape.of(1, 3), 1f, 2f, 3f)));
        got = down(parent);
        assertArrayEquals(new float[] {10, 11, 12, 10, 11, 12}, Arrays.copyOf(got, 6));
        assertArrayEquals(Arrays.copyOfRange(init.data(), 6, 15), Arrays.copyOfRange(got, 6, 15));

        // gemm into a view of C writes its rows only; reading a view of A reads its rows only
        Tensor bigA = up(random(6, 4));
        HostTensor a = b.download(bigA);
        Tensor x = up(HostTensor.of(Shape.of(4, 3), 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0)); // takes columns 0..2
        b.gemm(false, false, 1f, bigA.firstRows(2), x, 0f, parent.firstRows(2));
        got = down(parent);
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(a.get(r, j), got[r * 3 + j]);
            }
        }
        assertArrayEquals(Arrays.copyOfRange(init.data(), 6, 15), Arrays.copyOfRange(got, 6, 15));

        // a view of a view, and of all rows, still write through
        Tensor all = parent.firstRows(5);
        b.fill(all.firstRows(1), -1f);
        assertArrayEquals(new float[] {-1, -1, -1}, Arrays.copyOf(down(parent), 3));
        assertEquals(a.get(1, 0), down(parent)[3]);
        assertThrows(IllegalArgumentException.class, () -> parent.firstRows(6));
        assertThrows(IllegalArgumentException.class, () -> parent.firstRows(-1));
    }

    @Test
    void viewOpsSeeOnlyTheirRows() {
        HostTensor z = HostTensor.of(Shape.of(4, 3), 1, 2, 3, 10, 20, 30, 100, 200, 300, 1000, 2000, 3000);
        Tensor zt = up(z);
        Tensor sums = b.alloc(1, 3);
        b.sumRows(1f, zt.firstRows(2), sums);
        assertArrayEquals(new float[] {11, 22, 33}, down(sums));

        Tensor acc = b.alloc(1, 2);
        b.lossSum(Loss.MEAN_ABSOLUTE_ERROR, zt.firstRows(2), b.alloc(4, 3).firstRows(2), acc, 0);
        assertEquals((6 + 60) / 3f, down(acc)[0]);
        assertEquals(0f, down(acc)[1], "no rounding error to carry");

        Tensor penalty = b.alloc(1, 2);
        b.weightPenalty(zt.firstRows(2), 1f, 0f, null, 1f, penalty, 0); // l1: sum |w| of rows 0 and 1 only
        assertEquals(66f, down(penalty)[0], "the penalty of the view's rows, not its parent's");

        Tensor a = b.alloc(4, 3);
        b.activationForward(Activation.LINEAR, zt.firstRows(3), a.firstRows(3));
        assertArrayEquals(new float[] {1, 2, 3, 10, 20, 30, 100, 200, 300, 0, 0, 0}, down(a));
        assertArrayEquals(new float[] {1, 2, 3, 10, 20, 30, 100, 200, 300}, down(zt.firstRows(3)));
    }

    // ---------------------------------------------------------------- shape checks

    @Test
    void shapeMismatchesThrowNamingTheOp() {
        Tensor m23 = b.alloc(2, 3);
        Tensor m32 = b.alloc(3, 2);
        Tensor m24 = b.alloc(2, 4);
        Tensor m22 = b.alloc(2, 2);
        Tensor row3 = b.alloc(1, 3);
        Tensor acc = b.alloc(1, 2);
        Map<String, Executable> calls = new LinkedHashMap<>();
        calls.put("gemm: NN of (2, 3) and (2, 4) into (2, 4)", () -> b.gemm(false, false, 1f, m23, m24, 0f, m24));
        calls.put("gemm: TN of (2, 3) and (2, 4) into (2, 4)", () -> b.gemm(true, false, 1f, m23, m24, 0f, m24));
        calls.put("gemm: NT of (2, 3) and (3, 2) into (2, 2)", () -> b.gemm(false, true, 1f, m23, m32, 0f, m22));
        calls.put("gemm: TT of (2, 3) and (2, 3) into (3, 3)",
                () -> b.gemm(true, true, 1f, m23, m23, 0f, b.alloc(3, 3)));
        calls.put("addRowVector: expected a (1, 4) row vector, got (1, 3)", () -> b.addRowVector(m24, row3));
        calls.put("sumRows: expected a (1, 4) row vector, got (1, 3)", () -> b.sumRows(1f, m24, row3));
        calls.put("copy: sizes differ: (2, 3) and (2, 4)", () -> b.copy(m23, m24));
        calls.put("axpy: sizes differ: (2, 3) and (2, 4)", () -> b.axpy(1f, m23, m24));
        calls.put("activationForward: shapes differ: (2, 3) and (3, 2)",
                () -> b.activationForward(Activation.RELU, m23, m32));
        calls.put("activationBackward: shapes differ: (2, 3) and (3, 2)",
                () -> b.activationBackward(Activation.RELU, m23, m23, m32, m23));
        calls.put("gatherRows: rows of (2, 3) into (2, 4)", () -> b.gatherRows(m23, indices(new int[] {0, 1}), 0, m24));
        calls.put("categorical_crossentropy: predictions (2, 3) need targets (2, 3), got (2, 4)",
                () -> b.lossSum(Loss.CATEGORICAL_CROSSENTROPY, m23, m24, acc, 0));
        calls.put("sparse_categorical_crossentropy: predictions (2, 3) need targets (2, 1), got (2, 3)",
                () -> b.lossSum(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, m23, m23, acc, 0));
        calls.put("mean_squared_error: predictions (2, 3) need targets (2, 3), got (3, 2)",
                () -> b.lossGradient(Loss.MEAN_SQUARED_ERROR, m23, m32, 1f, m23));
        calls.put("accuracy: predictions (2, 3) need targets (2, 1), got (2, 3)",
                () -> b.countCorrect(Accuracy.SPARSE_CATEGORICAL, m23, m23, acc, 0));
        calls.put("lossSum: accumulator slot 2 (and 3 for its carried error) of (1, 2)", () -> b.lossSum(Loss.MEAN_ABSOLUTE_ERROR, m23, m23, acc, 2));
        calls.put("countCorrect: accumulator slot -1 (and 0 for its carried error) of (1, 2)", () -> b.countCorrect(Accuracy.BINARY, m23, m23, acc, -1));
        calls.put("softmaxCrossEntropyGradient: shapes differ: (2, 3) and (2, 4)",
                () -> b.softmaxCrossEntropyGradient(m23, m23, false, 1f, m24));
        calls.put("sgdStep: sizes differ: (2, 3) and (2, 4)", () -> b.sgdStep(m23, m24, null, 0.1f, 0f, false));
        calls.put("upload: array of 4 values for a tensor (2, 3)", () -> b.upload(new float[4], m23));
        for (Map.Entry<String, Executable> c : calls.entrySet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c.getValue(), c.getKey());
            assertTrue(e.getMessage().startsWith(c.getKey()), "expected '" + c.getKey() + "', got '"
                    + e.getMessage() + "'");
        }
    }

    // ---------------------------------------------------------------- the checking front

    @Test
    void closedAndForeignTensorsAreRefusedByTheFront() {
        Tensor parent = b.alloc(4, 3);
        Tensor view = parent.firstRows(2);
        parent.close();
        IllegalStateException closedView = assertThrows(IllegalStateException.class, () -> b.fill(view, 1f));
        assertEquals("fill: t CpuTensor(2, 3) FLOAT32 used after close()", closedView.getMessage());
        assertThrows(IllegalStateException.class, () -> view.firstRows(1));
        try (CpuBackend other = new CpuBackend()) {
            Tensor foreign = other.alloc(2, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.copy(foreign, b.alloc(2, 3)));
            assertTrue(e.getMessage().startsWith("copy: src CpuTensor(2, 3) FLOAT32 belongs to another backend"),
                    e.getMessage());
        }
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
                () -> b.fill(indices(new int[] {0}), 1f));
        assertTrue(dtype.getMessage().startsWith("fill: t must be FLOAT32"), dtype.getMessage());
    }

    @Test
    void aClosedBackendSaysSo() {
        CpuBackend closing = new CpuBackend();
        Tensor t = closing.alloc(2, 2);
        closing.close();
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> closing.fill(t, 0f));
        assertEquals("fill: the cpu:reference backend is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> closing.alloc(1, 1));
        t.close(); // after the backend: nothing to do, no error
        closing.close();
    }

    @Test
    void metricAccumulatorsCountExactlyPastTwoToThe24() {
        // 2^24 + 1 is not a float: a plain float sum of ones stops at 2^24
        float[] acc = {16_777_216f, 0f};
        for (int i = 0; i < 1000; i++) {
            Backend.accumulate(acc, 0, 1f);
        }
        assertEquals(16_777_216d + 1000, Backend.accumulated(acc, 0));
        float[] inf = {0f, 0f};
        Backend.accumulate(inf, 0, Float.POSITIVE_INFINITY);
        Backend.accumulate(inf, 0, 1f);
        assertEquals(Double.POSITIVE_INFINITY, Backend.accumulated(inf, 0));
    }
}
