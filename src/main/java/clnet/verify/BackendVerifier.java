package clnet.verify;

import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;

import clnet.nn.Dense;
import clnet.backend.Parameter;
import clnet.nn.Sequential;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.optim.Optimizer;
import clnet.optim.RMSprop;
import clnet.optim.SGD;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Runs every op of a candidate backend against the CPU oracle on the same random inputs
 * and compares the results element by element: |candidate - oracle| <= atol + rtol *
 * |oracle|. Behind {@code clnet verify} (is this driver computing correctly?) and the
 * differential tests.
 *
 * <p>Tolerances are per kind of op ({@link Tolerance}); bitwise equality is not promised,
 * only those.
 */
public final class BackendVerifier {
    /** One comparison: an op on one shape. */
    public record Check(String op, String shape, double maxAbs, double maxRel, boolean passed, String note) {
        public String line() {
            return String.format(Locale.ROOT, "%-40s %-14s max abs %.2e  max rel %.2e  %s%s", op, shape, maxAbs, maxRel,
                    passed ? "ok" : "FAIL", note.isEmpty() ? "" : "  (" + note + ")");
        }
    }

    /** The sizes the element-wise checks run at: 1, primes, and more than a GEMM tile. */
    static final int[][] SHAPES = {{1, 1}, {7, 31}, {64, 129}, {129, 511}, {511, 784}};
    /** (M, N, K) for GEMM, covering 1, non-multiples of any tile, and the MNIST MLP's. */
    static final int[][] GEMM_SHAPES = {{1, 1, 1}, {7, 31, 64}, {129, 511, 7}, {64, 784, 129}, {128, 512, 784},
            {511, 64, 784}, {784, 512, 128}};

    private final Backend oracle;
    private final Backend candidate;
    private final Rng rng;
    private final List<Check> checks = new ArrayList<>();
    private Consumer<Check> listener = c -> { };

    public BackendVerifier(Backend oracle, Backend candidate, long seed) {
        this.oracle = oracle;
        this.candidate = candidate;
        this.rng = new Rng(seed);
    }

    /** Called with each check as it completes (for printing progress). */
    public BackendVerifier onCheck(Consumer<Check> listener) {
        this.listener = listener;
        return this;
    }

    /** Runs every check; the list is in the order run. */
    public List<Check> runAll() {
        gemm();
        elementwise();
        augmentation();
        activations();
        losses();
        optimizers();
        nonFinite();
        trainingStep();
        return List.copyOf(checks);
    }

    public List<Check> checks() {
        return List.copyOf(checks);
    }

    // ---------------------------------------------------------------- the op families

    public void gemm() {
        for (int[] s : GEMM_SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 2) != 0;
                boolean tb = (t & 1) != 0;
                HostTensor a = uniform(ta ? k : m, ta ? m : k);
                HostTensor b = uniform(tb ? n : k, tb ? k : n);
                HostTensor cNan = filled(m, n, Float.NaN); // beta = 0 must not read C
                String op = "gemm_" + (ta ? "t" : "n") + (tb ? "t" : "n");
                String shape = m + "x" + n + "x" + k;
                compare(op, shape, Tolerance.gemm(k), new HostTensor[] {a, b, cNan}, 2,
                        (be, x) -> be.gemm(ta, tb, 1f, x[0], x[1], 0f, x[2]));
                if (m * n <= 64 * 784) {
                    HostTensor c = uniform(m, n);
                    compare(op + " a=.5 b=.25", shape, Tolerance.gemm(k), new HostTensor[] {a, b, c}, 2,
                            (be, x) -> be.gemm(ta, tb, 0.5f, x[0], x[1], 0.25f, x[2]));
                }
            }
            denseForward(m, n, k);
        }
    }

    /**
     * A dense layer's forward pass (the product with its bias and activation as the
     * epilogue): z and a = f(z) for every activation, and the linear one in place (a is z).
     */
    private void denseForward(int m, int n, int k) {
        String shape = m + "x" + n + "x" + k;
        HostTensor x = uniform(m, k);
        HostTensor w = uniform(k, n);
        HostTensor bias = uniform(1, n);
        for (Activation f : new Activation[] {Activation.LINEAR, Activation.SIGMOID, Activation.TANH, Activation.RELU,
                Activation.LEAKY_RELU, Activation.ARCTAN, Activation.SOFTMAX}) {
            HostTensor[] inputs = {x, w, bias, filled(m, n, Float.NaN), filled(m, n, Float.NaN)};
            compare("denseForward " + f.id(), shape, Tolerance.gemm(k), inputs, 4,
                    (be, t) -> be.denseForward(f, t[0], t[1], t[2], t[3], t[4]));
            if (f == Activation.RELU) {
                compare("denseForward relu z", shape, Tolerance.gemm(k), inputs, 3,
                        (be, t) -> be.denseForward(f, t[0], t[1], t[2], t[3], t[4]));
            }
        }
        compare("denseForward linear in place", shape, Tolerance.gemm(k),
                new HostTensor[] {x, w, bias, filled(m, n, Float.NaN)}, 3,
                (be, t) -> be.denseForward(Activation.LINEAR, t[0], t[1], t[2], t[3], t[3]));
    }

    public void elementwise() {
        for (int[] s : SHAPES) {
            int r = s[0];
            int c = s[1];
            String shape = r + "x" + c;
            compare("fill", shape, Tolerance.EXACT, new HostTensor[] {uniform(r, c)}, 0, (be, x) -> be.fill(x[0], 0.375f));
            compare("copy", shape, Tolerance.EXACT, new HostTensor[] {uniform(r, c), filled(r, c, Float.NaN)}, 1,
                    (be, x) -> be.copy(x[0], x[1]));
            compare("axpy", shape, Tolerance.ELEMENTWISE, new HostTensor[] {uniform(r, c), uniform(r, c)}, 1,
                    (be, x) -> be.axpy(-0.7f, x[0], x[1]));
            compare("addRowVector", shape, Tolerance.ELEMENTWISE, new HostTensor[] {uniform(r, c), uniform(1, c)}, 0,
                    (be, x) -> be.addRowVector(x[0], x[1]));
            compare("sumRows", shape, Tolerance.columnSum(r), new HostTensor[] {uniform(r, c), filled(1, c, Float.NaN)}, 1,
                    (be, x) -> be.sumRows(0.5f, x[0], x[1]));
            compare("scaleColumns", shape, Tolerance.ELEMENTWISE, new HostTensor[] {uniform(r, c), uniform(1, c),
                    uniform(1, c), filled(r, c, Float.NaN)}, 3, (be, x) -> be.scaleColumns(x[0], x[1], x[2], x[3]));
            compare("scaleColumns in place", shape, Tolerance.ELEMENTWISE, new HostTensor[] {uniform(r, c),
                    uniform(1, c), uniform(1, c)}, 0, (be, x) -> be.scaleColumns(x[0], x[1], x[2], x[0]));
            // the same mask bit for bit: a counter-based generator, not a stream
            compare("dropout 0.3", shape, Tolerance.EXACT, new HostTensor[] {uniform(r, c), filled(r, c, Float.NaN)}, 1,
                    (be, x) -> be.dropout(x[0], x[1], 0.3f, 0x5EED_0000_1234L + r, 77L * c, 0));
            // a row block of a larger batch: offsets not a multiple of 4, and past 2^34 (the counter's high word)
            compare("dropout 0.3 offset", shape, Tolerance.EXACT, new HostTensor[] {uniform(r, c), filled(r, c, Float.NaN)},
                    1, (be, x) -> be.dropout(x[0], x[1], 0.3f, 0x5EED_0000_1234L + r, 77L * c, 3L * c + 1));
            compare("dropout 0.3 offset 2^34", shape, Tolerance.EXACT,
                    new HostTensor[] {uniform(r, c), filled(r, c, Float.NaN)}, 1,
                    (be, x) -> be.dropout(x[0], x[1], 0.3f, 7L, 5L, (1L << 34) + 2));
            int rows = r + 3;
            int[] order = rng.permutation(rows);
            int start = Math.min(2, rows - r);
            compare("gatherRows", shape, Tolerance.EXACT, new HostTensor[] {uniform(rows, c), filled(r, c, Float.NaN)}, 1,
                    (be, x) -> {
                        try (Tensor idx = be.alloc(Shape.of(rows, 1), DType.INT32)) {
                            be.upload(order, idx);
                            be.gatherRows(x[0], idx, start, x[1]);
                        }
                    });
        }
    }

    /** Keras's ImageDataGenerator transforms on awkward image shapes, both fill modes, with and without flips. */
    public void augmentation() {
        int[][] images = {{1, 1, 1, 1}, {7, 5, 9, 1}, {3, 28, 28, 1}, {2, 6, 4, 3}, {5, 13, 17, 2}};
        clnet.ops.Augmentation every = clnet.ops.Augmentation.parse("rotation=30,shift=0.2,shear=20,zoom=0.3,flip");
        for (int[] im : images) {
            int n = im[0];
            int h = im[1];
            int w = im[2];
            int ch = im[3];
            String shape = n + "x(" + h + "x" + w + "x" + ch + ")";
            HostTensor m = new HostTensor(Shape.of(n, clnet.ops.Augmentation.MATRIX), every.matrices(n, h, w, 7L, h));
            for (boolean constant : new boolean[] {false, true}) {
                compare("affineWarp " + (constant ? "constant" : "nearest"), shape, Tolerance.WARP,
                        new HostTensor[] {uniform(n, h * w * ch, 0f, 1f), m, filled(n, h * w * ch, Float.NaN)}, 2,
                        (be, x) -> be.affineWarp(x[0], x[1], x[2], h, w, ch, constant, 0.25f));
            }
        }
    }

    public void activations() {
        List<Activation> all = List.of(Activation.LINEAR, Activation.SIGMOID, Activation.TANH, Activation.RELU,
                Activation.LEAKY_RELU, Activation.leakyRelu(0.01f), Activation.ARCTAN, Activation.SOFTMAX);
        for (Activation f : all) {
            for (int[] s : SHAPES) {
                int r = s[0];
                int c = s[1];
                String shape = r + "x" + c;
                HostTensor z = uniform(r, c, -6f, 6f);
                compare(f.id() + " forward", shape, Tolerance.activation(f == Activation.SOFTMAX, c), new HostTensor[] {z, filled(r, c, Float.NaN)}, 1,
                        (be, x) -> be.activationForward(f, x[0], x[1]));
                compare(f.id() + " backward", shape, Tolerance.activation(f == Activation.SOFTMAX, c),
                        new HostTensor[] {z, filled(r, c, 0f), uniform(r, c), filled(r, c, Float.NaN)}, 3,
                        (be, x) -> {
                            be.activationForward(f, x[0], x[1]);
                            be.activationBackward(f, x[0], x[1], x[2], x[3]);
                        });
                // the fused epilogue: a = f(z + bias), and z itself, which backward reads
                HostTensor bias = uniform(1, c, -1f, 1f);
                compare(f.id() + " bias+forward a", shape, Tolerance.activation(f == Activation.SOFTMAX, c),
                        new HostTensor[] {z, bias, filled(r, c, Float.NaN)}, 2,
                        (be, x) -> be.biasActivationForward(f, x[0], x[1], x[2]));
                compare(f.id() + " bias+forward z", shape, Tolerance.ELEMENTWISE,
                        new HostTensor[] {z, bias, filled(r, c, Float.NaN)}, 0,
                        (be, x) -> be.biasActivationForward(f, x[0], x[1], x[2]));
            }
        }
    }

    public void losses() {
        int[][] shapes = {{1, 2}, {7, 10}, {129, 31}, {511, 10}};
        for (Loss loss : Loss.values()) {
            for (int[] s : shapes) {
                int r = s[0];
                int c = s[1];
                String shape = r + "x" + c;
                HostTensor p = predictions(loss, r, c);
                HostTensor y = targets(loss, r, c);
                compare("lossSum " + loss.id(), shape, Tolerance.lossSum(r),
                        new HostTensor[] {p, y, filled(1, 3, 0.25f)}, 2, (be, x) -> be.lossSum(loss, x[0], x[1], x[2], 1));
                compare("lossGradient " + loss.id(), shape, Tolerance.LOSS_GRADIENT,
                        new HostTensor[] {p, y, filled(r, c, Float.NaN)}, 2,
                        (be, x) -> be.lossGradient(loss, x[0], x[1], 1f / r, x[2]));
            }
        }
        // class indices outside the output (10 of 10 classes, -1): NaN in both backends,
        // never a read out of bounds
        Loss sparseLoss = Loss.SPARSE_CATEGORICAL_CROSSENTROPY;
        HostTensor badLabels = targets(sparseLoss, 7, 10);
        badLabels.set(3, 0, 10f);
        badLabels.set(5, 0, -1f);
        HostTensor pBad = predictions(sparseLoss, 7, 10);
        compare("lossSum bad class index", "7x10", Tolerance.EXACT, new HostTensor[] {pBad, badLabels, filled(1, 2, 0f)}, 2,
                (be, x) -> be.lossSum(sparseLoss, x[0], x[1], x[2], 0));
        compare("lossGradient bad class index", "7x10", Tolerance.LOSS_GRADIENT,
                new HostTensor[] {pBad, badLabels, filled(7, 10, 0f)}, 2,
                (be, x) -> be.lossGradient(sparseLoss, x[0], x[1], 1f / 7, x[2]));
        compare("softmaxCrossEntropyGradient bad class index", "7x10", Tolerance.SOFTMAX_XENT,
                new HostTensor[] {pBad, badLabels, filled(7, 10, 0f)}, 2,
                (be, x) -> be.softmaxCrossEntropyGradient(x[0], x[1], true, 1f / 7, x[2]));
        for (boolean sparse : new boolean[] {false, true}) {
            Loss loss = sparse ? Loss.SPARSE_CATEGORICAL_CROSSENTROPY : Loss.CATEGORICAL_CROSSENTROPY;
            for (int[] s : shapes) {
                int r = s[0];
                int c = s[1];
                compare("softmaxCrossEntropyGradient" + (sparse ? " sparse" : ""), r + "x" + c, Tolerance.SOFTMAX_XENT,
                        new HostTensor[] {predictions(loss, r, c), targets(loss, r, c), filled(r, c, Float.NaN)}, 2,
                        (be, x) -> be.softmaxCrossEntropyGradient(x[0], x[1], sparse, 1f / r, x[2]));
            }
        }
        for (Accuracy acc : Accuracy.values()) {
            Loss like = switch (acc) {
                case CATEGORICAL -> Loss.CATEGORICAL_CROSSENTROPY;
                case SPARSE_CATEGORICAL -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY;
                case BINARY -> Loss.BINARY_CROSSENTROPY;
                case MEAN_ABSOLUTE_ERROR -> Loss.MEAN_SQUARED_ERROR;
            };
            for (int[] s : shapes) {
                int r = s[0];
                int c = s[1];
                compare("countCorrect " + acc.name().toLowerCase(Locale.ROOT), r + "x" + c, Tolerance.count(r),
                        new HostTensor[] {predictions(like, r, c), targets(like, r, c), filled(1, 4, 1f)}, 2,
                        (be, x) -> be.countCorrect(acc, x[0], x[1], x[2], 2));
            }
        }
    }

    public void optimizers() {
        for (int[] s : SHAPES) {
            int r = s[0];
            int c = s[1];
            String shape = r + "x" + c;
            HostTensor w = uniform(r, c);
            HostTensor g = uniform(r, c);
            HostTensor v = uniform(r, c, 0f, 0.1f);
            HostTensor m = uniform(r, c, -0.1f, 0.1f);
            compare("sgdStep", shape, Tolerance.ELEMENTWISE, new HostTensor[] {w, g}, 0,
                    (be, x) -> be.sgdStep(x[0], x[1], null, 0.1f, 0f, false));
            // the weights and every state buffer the step writes (a step from zero state reads it only later)
            for (boolean nesterov : new boolean[] {false, true}) {
                for (int out : new int[] {0, 2}) {
                    compare("sgdStep momentum" + (nesterov ? " nesterov" : "") + STATE[out], shape, Tolerance.OPTIMIZER,
                            new HostTensor[] {w, g, m}, out, (be, x) -> be.sgdStep(x[0], x[1], x[2], 0.1f, 0.9f, nesterov));
                }
            }
            for (int out : new int[] {0, 2}) {
                compare("rmspropStep" + STATE[out], shape, Tolerance.OPTIMIZER, new HostTensor[] {w, g, v}, out,
                        (be, x) -> be.rmspropStep(x[0], x[1], x[2], null, 1e-3f, 0.9f, 0f, 1e-7f));
            }
            for (int out : new int[] {0, 2, 3}) {
                compare("rmspropStep momentum" + STATE[out], shape, Tolerance.OPTIMIZER, new HostTensor[] {w, g, v, m},
                        out, (be, x) -> be.rmspropStep(x[0], x[1], x[2], x[3], 1e-3f, 0.9f, 0.5f, 1e-7f));
            }
            for (float[] l : new float[][] {{0.01f, 0f}, {0f, 0.01f}, {1e-3f, 1e-2f}}) {
                String which = String.format(Locale.ROOT, " l1=%s l2=%s", l[0], l[1]);
                compare("weightPenalty gradient" + which, shape, Tolerance.ELEMENTWISE,
                        new HostTensor[] {w, g, filled(1, 2, 0f)}, 1,
                        (be, x) -> be.weightPenalty(x[0], l[0], l[1], x[1], 128f, x[2], 0));
                compare("weightPenalty" + which, shape, Tolerance.penaltySum(r * c),
                        new HostTensor[] {w, g, filled(1, 4, 0.5f)}, 2,
                        (be, x) -> be.weightPenalty(x[0], l[0], l[1], null, 128f, x[2], 2));
            }
            for (int out : new int[] {0, 2, 3}) {
                compare("adamStep" + STATE[out], shape, Tolerance.OPTIMIZER, new HostTensor[] {w, g, m, v}, out,
                        (be, x) -> be.adamStep(x[0], x[1], x[2], x[3], 1e-3f, 0.9f, 0.999f, 1e-7f));
            }
        }
        groupSteps();
    }

    /**
     * The optimizer steps and axpy once more over the wholes of tensor groups, as a model
     * takes them (parts of awkward sizes, each at the device's alignment: on OpenCL one
     * launch over a buffer whose parts are sub-buffers), compared part by part as read
     * through the parts, so that a driver's sub-buffers are checked too.
     */
    /** What an optimizer check compares, by the step's operand: the weights, or a state buffer. */
    private static final String[] STATE = {"", "", " (state 1)", " (state 2)"};

    private void groupSteps() {
        List<Shape> parts = List.of(Shape.of(7, 31), Shape.of(1, 31), Shape.of(33, 5), Shape.of(1, 1),
                Shape.of(129, 7));
        // both backends lay the group out as the device does, so that whole compares with whole
        TensorGroup.Layout layout = TensorGroup.Layout.of(parts, candidate.groupAlignment());
        int n = layout.size();
        String shape = parts.size() + " parts in " + n;
        HostTensor w = uniform(1, n);
        HostTensor g = uniform(1, n);
        HostTensor v = uniform(1, n, 0f, 0.1f);
        HostTensor m = uniform(1, n, -0.1f, 0.1f);
        compare("sgdStep momentum, a group", shape, Tolerance.OPTIMIZER.abs(), Tolerance.OPTIMIZER.rel(),
                be -> runOnGroups(be, layout, new HostTensor[] {w, g, m}, 0,
                        (b, x) -> b.sgdStep(x[0], x[1], x[2], 0.1f, 0.9f, false)));
        compare("rmspropStep, a group", shape, Tolerance.OPTIMIZER.abs(), Tolerance.OPTIMIZER.rel(),
                be -> runOnGroups(be, layout, new HostTensor[] {w, g, v}, 0,
                        (b, x) -> b.rmspropStep(x[0], x[1], x[2], null, 1e-3f, 0.9f, 0f, 1e-7f)));
        for (int out : new int[] {0, 2, 3}) {
            compare("adamStep, a group" + STATE[out], shape, Tolerance.OPTIMIZER.abs(), Tolerance.OPTIMIZER.rel(),
                    be -> runOnGroups(be, layout, new HostTensor[] {w, g, m, v}, out,
                            (b, x) -> b.adamStep(x[0], x[1], x[2], x[3], 1e-3f, 0.9f, 0.999f, 1e-7f)));
        }
        compare("axpy, a group", shape, Tolerance.ELEMENTWISE.abs(), Tolerance.ELEMENTWISE.rel(),
                be -> runOnGroups(be, layout, new HostTensor[] {g, w}, 1, (b, x) -> b.axpy(-0.5f, x[0], x[1])));
    }

    /**
     * Uploads each input into the whole of a group of {@code layout}, runs {@code body} on
     * the wholes, and returns group {@code result}'s parts, each downloaded through its part.
     */
    private static float[] runOnGroups(Backend backend, TensorGroup.Layout layout, HostTensor[] inputs, int result,
                                       Op body) {
        TensorGroup[] groups = new TensorGroup[inputs.length];
        try {
            Tensor[] wholes = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                groups[i] = backend.allocGroup(layout.shapes(), layout.alignment());
                backend.upload(inputs[i].data(), groups[i].whole());
                wholes[i] = groups[i].whole();
            }
            body.run(backend, wholes);
            float[] out = new float[layout.shapes().stream().mapToInt(Shape::size).sum()];
            int at = 0;
            for (Tensor part : groups[result].parts()) {
                float[] values = backend.download(part).data();
                System.arraycopy(values, 0, out, at, values.length);
                at += values.length;
            }
            return out;
        } finally {
            for (TensorGroup g : groups) {
                if (g != null) {
                    g.whole().close();
                }
            }
        }
    }

    /**
     * Every op again with NaN, +Inf, -Inf and -0 planted in each float input in turn: both
     * backends must propagate them as IEEE arithmetic does (NaN stays NaN, no clamp or max
     * swallows it; see docs/ARCHITECTURE.md), so a NaN must come out where the oracle has
     * one and the same infinity where it has one. Subnormal numbers are left out: OpenCL
     * lets a device flush them to zero.
     */
    public void nonFinite() {
        int r = 7;
        int c = 31;
        String shape = r + "x" + c + " special";
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 2) != 0;
            boolean tb = (t & 1) != 0;
            int k = 9;
            String op = "gemm_" + (ta ? "t" : "n") + (tb ? "t" : "n");
            HostTensor a = uniform(ta ? k : r, ta ? r : k);
            HostTensor b = uniform(tb ? c : k, tb ? k : c);
            compare(op + " special A", shape, Tolerance.gemm(k), new HostTensor[] {special(a), b, filled(r, c, 0f)}, 2,
                    (be, x) -> be.gemm(ta, tb, 1f, x[0], x[1], 0f, x[2]));
            compare(op + " special B", shape, Tolerance.gemm(k), new HostTensor[] {a, special(b), filled(r, c, 0f)}, 2,
                    (be, x) -> be.gemm(ta, tb, 1f, x[0], x[1], 0f, x[2]));
            compare(op + " special C b=.5", shape, Tolerance.gemm(k), new HostTensor[] {a, b, special(uniform(r, c))},
                    2, (be, x) -> be.gemm(ta, tb, 1f, x[0], x[1], 0.5f, x[2]));
        }
        for (Activation f : new Activation[] {Activation.RELU, Activation.TANH, Activation.LEAKY_RELU}) {
            HostTensor x = uniform(r, 9);
            HostTensor w = uniform(9, c);
            HostTensor bias = uniform(1, c);
            compare("denseForward " + f.id() + " special x", shape, Tolerance.gemm(9),
                    new HostTensor[] {special(x), w, bias, filled(r, c, 0f), filled(r, c, 0f)}, 4,
                    (be, t) -> be.denseForward(f, t[0], t[1], t[2], t[3], t[4]));
            compare("denseForward " + f.id() + " special bias", shape, Tolerance.gemm(9),
                    new HostTensor[] {x, w, special(bias), filled(r, c, 0f), filled(r, c, 0f)}, 4,
                    (be, t) -> be.denseForward(f, t[0], t[1], t[2], t[3], t[4]));
        }
        compare("copy special", shape, Tolerance.EXACT, new HostTensor[] {special(uniform(r, c)), filled(r, c, 0f)}, 1,
                (be, x) -> be.copy(x[0], x[1]));
        compare("axpy special x", shape, Tolerance.ELEMENTWISE, new HostTensor[] {special(uniform(r, c)), uniform(r, c)}, 1,
                (be, x) -> be.axpy(-0.7f, x[0], x[1]));
        compare("axpy special y", shape, Tolerance.ELEMENTWISE, new HostTensor[] {uniform(r, c), special(uniform(r, c))}, 1,
                (be, x) -> be.axpy(-0.7f, x[0], x[1]));
        compare("addRowVector special", shape, Tolerance.ELEMENTWISE,
                new HostTensor[] {special(uniform(r, c)), special(uniform(1, c))}, 0, (be, x) -> be.addRowVector(x[0], x[1]));
        compare("dropout special", shape, Tolerance.EXACT, new HostTensor[] {special(uniform(r, c)), filled(r, c, 0f)}, 1,
                (be, x) -> be.dropout(x[0], x[1], 0.5f, 42L, 1L << 40, 6));
        int[] badOrder = {2, -1, 0, r + 5, 1, 3, 4};
        compare("gatherRows bad index", shape, Tolerance.EXACT, new HostTensor[] {uniform(r, c), filled(r, c, 0f)}, 1,
                (be, x) -> {
                    try (Tensor idx = be.alloc(Shape.of(badOrder.length, 1), DType.INT32)) {
                        be.upload(badOrder, idx);
                        be.gatherRows(x[0], idx, 0, x[1]);
                    }
                });
        compare("weightPenalty gradient special w", shape, Tolerance.ELEMENTWISE,
                new HostTensor[] {special(uniform(r, c)), uniform(r, c), filled(1, 2, 0f)}, 1,
                (be, x) -> be.weightPenalty(x[0], 0.01f, 0f, x[1], 1f, x[2], 0));
        compare("weightPenalty special w", shape, Tolerance.penaltySum(r * c),
                new HostTensor[] {special(uniform(r, c)), filled(1, 2, 0f)}, 1,
                (be, x) -> be.weightPenalty(x[0], 0.01f, 0.01f, null, 1f, x[1], 0));
        compare("scaleColumns special", shape, Tolerance.ELEMENTWISE, new HostTensor[] {special(uniform(r, c)),
                special(uniform(1, c)), uniform(1, c), filled(r, c, 0f)}, 3,
                (be, x) -> be.scaleColumns(x[0], x[1], x[2], x[3]));
        compare("affineWarp special", shape, Tolerance.WARP, new HostTensor[] {special(uniform(r, c)),
                new HostTensor(Shape.of(r, clnet.ops.Augmentation.MATRIX), clnet.ops.Augmentation.parse(
                        "rotation=20,zoom=0.2").matrices(r, 1, c, 3L, 4L)), filled(r, c, 0f)}, 2,
                (be, x) -> be.affineWarp(x[0], x[1], x[2], 1, c, 1, false, 0f));
        for (Activation f : List.of(Activation.RELU, Activation.TANH, Activation.SIGMOID)) {
            compare(f.id() + " bias+forward special", shape, Tolerance.ACTIVATION, new HostTensor[] {
                    special(uniform(r, c, -6f, 6f)), special(uniform(1, c)), filled(r, c, 0f)}, 2,
                    (be, x) -> be.biasActivationForward(f, x[0], x[1], x[2]));
        }
        compare("sumRows special", shape, Tolerance.columnSum(r), new HostTensor[] {special(uniform(r, c)), filled(1, c, 0f)},
                1, (be, x) -> be.sumRows(0.5f, x[0], x[1]));
        List<Activation> all = List.of(Activation.LINEAR, Activation.SIGMOID, Activation.TANH, Activation.RELU,
                Activation.LEAKY_RELU, Activation.ARCTAN, Activation.SOFTMAX);
        for (Activation f : all) {
            HostTensor z = special(uniform(r, c, -6f, 6f));
            compare(f.id() + " forward special", shape, Tolerance.activation(f == Activation.SOFTMAX, c), new HostTensor[] {z, filled(r, c, 0f)},
                    1, (be, x) -> be.activationForward(f, x[0], x[1]));
            compare(f.id() + " backward special", shape, Tolerance.activation(f == Activation.SOFTMAX, c),
                    new HostTensor[] {z, filled(r, c, 0f), special(uniform(r, c)), filled(r, c, 0f)}, 3,
                    (be, x) -> {
                        be.activationForward(f, x[0], x[1]);
                        be.activationBackward(f, x[0], x[1], x[2], x[3]);
                    });
        }
        int lr = 9;
        int lc = 10;
        String lshape = lr + "x" + lc + " special";
        for (Loss loss : Loss.values()) {
            HostTensor p = special(predictions(loss, lr, lc));
            HostTensor y = targets(loss, lr, lc);
            compare("lossSum special p " + loss.id(), lshape, Tolerance.lossSum(lr),
                    new HostTensor[] {p, y, filled(1, 2, 0f)}, 2, (be, x) -> be.lossSum(loss, x[0], x[1], x[2], 0));
            compare("lossGradient special p " + loss.id(), lshape, Tolerance.LOSS_GRADIENT,
                    new HostTensor[] {p, y, filled(lr, lc, 0f)}, 2,
                    (be, x) -> be.lossGradient(loss, x[0], x[1], 1f / lr, x[2]));
            if (loss != Loss.SPARSE_CATEGORICAL_CROSSENTROPY) { // class indices: see "bad class index"
                HostTensor ys = special(y);
                HostTensor clean = predictions(loss, lr, lc);
                compare("lossSum special y " + loss.id(), lshape, Tolerance.lossSum(lr),
                        new HostTensor[] {clean, ys, filled(1, 2, 0f)}, 2, (be, x) -> be.lossSum(loss, x[0], x[1], x[2], 0));
                compare("lossGradient special y " + loss.id(), lshape, Tolerance.LOSS_GRADIENT,
                        new HostTensor[] {clean, ys, filled(lr, lc, 0f)}, 2,
                        (be, x) -> be.lossGradient(loss, x[0], x[1], 1f / lr, x[2]));
            }
        }
        for (boolean sparse : new boolean[] {false, true}) {
            Loss loss = sparse ? Loss.SPARSE_CATEGORICAL_CROSSENTROPY : Loss.CATEGORICAL_CROSSENTROPY;
            compare("softmaxCrossEntropyGradient special" + (sparse ? " sparse" : ""), lshape, Tolerance.SOFTMAX_XENT,
                    new HostTensor[] {special(predictions(loss, lr, lc)), targets(loss, lr, lc), filled(lr, lc, 0f)}, 2,
                    (be, x) -> be.softmaxCrossEntropyGradient(x[0], x[1], sparse, 1f / lr, x[2]));
        }
        for (Accuracy acc : Accuracy.values()) {
            Loss like = switch (acc) {
                case CATEGORICAL -> Loss.CATEGORICAL_CROSSENTROPY;
                case SPARSE_CATEGORICAL -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY;
                case BINARY -> Loss.BINARY_CROSSENTROPY;
                case MEAN_ABSOLUTE_ERROR -> Loss.MEAN_SQUARED_ERROR;
            };
            compare("countCorrect special " + acc.name().toLowerCase(Locale.ROOT), lshape, Tolerance.count(lr),
                    new HostTensor[] {special(predictions(like, lr, lc)), targets(like, lr, lc), filled(1, 2, 0f)}, 2,
                    (be, x) -> be.countCorrect(acc, x[0], x[1], x[2], 0));
        }
        HostTensor w = uniform(r, c);
        HostTensor g = special(uniform(r, c));
        HostTensor v = uniform(r, c, 0f, 0.1f);
        HostTensor m = uniform(r, c, -0.1f, 0.1f);
        compare("sgdStep special g", shape, Tolerance.OPTIMIZER, new HostTensor[] {w, g, m}, 0,
                (be, x) -> be.sgdStep(x[0], x[1], x[2], 0.1f, 0.9f, true));
        compare("rmspropStep special g", shape, Tolerance.OPTIMIZER, new HostTensor[] {w, g, v, m}, 0,
                (be, x) -> be.rmspropStep(x[0], x[1], x[2], x[3], 1e-3f, 0.9f, 0.5f, 1e-7f));
        compare("adamStep special g", shape, Tolerance.OPTIMIZER, new HostTensor[] {w, g, m, v}, 0,
                (be, x) -> be.adamStep(x[0], x[1], x[2], x[3], 1e-3f, 0.9f, 0.999f, 1e-7f));
        compare("adamStep special w", shape, Tolerance.OPTIMIZER, new HostTensor[] {special(w), uniform(r, c), m, v}, 0,
                (be, x) -> be.adamStep(x[0], x[1], x[2], x[3], 1e-3f, 0.9f, 0.999f, 1e-7f));
    }

    /** The values planted by {@link #special}: IEEE's non-finite values and negative zero. */
    static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f};

    /** A copy of {@code t} with NaN, +Inf, -Inf and -0 spread over its elements, rows and columns. */
    private static HostTensor special(HostTensor t) {
        float[] d = t.data().clone();
        for (int i = 0; i < SPECIALS.length && i < d.length; i++) {
            // one row and one column apart each, so that row-wise ops (softmax, losses) see one each
            int at = (i * (t.cols() + 1) + i * 7) % d.length;
            d[at] = SPECIALS[i];
        }
        return new HostTensor(t.shape(), d);
    }

    /**
     * One full training step (forward, loss, backward, update) of the same model from the
     * same weights on both backends, for each optimizer: the parameters after the step
     * must agree.
     */
    public void trainingStep() {
        HostTensor x = uniform(64, 100, 0f, 1f);
        HostTensor y = targets(Loss.CATEGORICAL_CROSSENTROPY, 64, 10);
        List<Optimizer[]> optimizers = List.of(new Optimizer[] {new RMSprop(), new RMSprop()},
                new Optimizer[] {new SGD(0.05f, 0.9f, true), new SGD(0.05f, 0.9f, true)},
                new Optimizer[] {new Adam(), new Adam()});
        for (Optimizer[] pair : optimizers) {
            List<HostTensor> a = stepOnce(oracle, pair[0], x, y);
            List<HostTensor> b = stepOnce(candidate, pair[1], x, y);
            String[] names = {"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"};
            for (int i = 0; i < a.size(); i++) {
                record(compareArrays("training step " + pair[0].id() + " " + names[i], a.get(i).shape().toString()
                        .replace(", ", "x").replace("(", "").replace(")", ""), a.get(i).data(), b.get(i).data(),
                        Tolerance.TRAINING_STEP.abs(), Tolerance.TRAINING_STEP.rel()));
            }
        }
    }

    private static List<HostTensor> stepOnce(Backend backend, Optimizer optimizer, HostTensor x, HostTensor y) {
        try (Sequential model = new Sequential(backend).seed(7)) {
            model.add(new Dense(32, "relu").inputShape(x.cols()));
            model.add(new Dense(y.cols(), "softmax"));
            model.compile(optimizer, Loss.CATEGORICAL_CROSSENTROPY);
            try (Tensor xt = backend.upload(x); Tensor yt = backend.upload(y); Tensor acc = backend.alloc(1, 4)) {
                model.trainOnBatch(xt, yt, acc, 0);
            }
            List<HostTensor> out = new ArrayList<>();
            for (Parameter p : model.parameters()) {
                out.add(backend.download(p.value()));
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- inputs

    private HostTensor uniform(int rows, int cols) {
        return uniform(rows, cols, -1f, 1f);
    }

    private HostTensor uniform(int rows, int cols, float lo, float hi) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = lo + (hi - lo) * rng.nextFloat();
        }
        return new HostTensor(Shape.of(rows, cols), d);
    }

    private static HostTensor filled(int rows, int cols, float value) {
        float[] d = new float[rows * cols];
        java.util.Arrays.fill(d, value);
        return new HostTensor(Shape.of(rows, cols), d);
    }

    /** Softmax-like rows for the cross-entropies (sometimes exactly 0, to hit the clip), else any values. */
    private HostTensor predictions(Loss loss, int rows, int cols) {
        return switch (loss) {
            case CATEGORICAL_CROSSENTROPY, SPARSE_CATEGORICAL_CROSSENTROPY, BINARY_CROSSENTROPY -> {
                HostTensor p = uniform(rows, cols, 0f, 1f);
                if (rows * cols > 3) {
                    p.data()[1] = 0f;
                    p.data()[2] = 1f;
                }
                yield p;
            }
            case MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR -> uniform(rows, cols, -2f, 2f);
        };
    }

    private HostTensor targets(Loss loss, int rows, int cols) {
        return switch (loss) {
            case CATEGORICAL_CROSSENTROPY -> {
                HostTensor t = filled(rows, cols, 0f);
                for (int r = 0; r < rows; r++) {
                    t.set(r, rng.nextInt(cols), 1f);
                }
                yield t;
            }
            case SPARSE_CATEGORICAL_CROSSENTROPY -> {
                HostTensor t = filled(rows, 1, 0f);
                for (int r = 0; r < rows; r++) {
                    t.set(r, 0, rng.nextInt(cols));
                }
                yield t;
            }
            case BINARY_CROSSENTROPY -> {
                HostTensor t = filled(rows, cols, 0f);
                for (int i = 0; i < t.data().length; i++) {
                    t.data()[i] = rng.nextInt(2);
                }
                yield t;
            }
            case MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR -> uniform(rows, cols, -2f, 2f);
        };
    }

    // ---------------------------------------------------------------- running and comparing

    /** An op on tensors already in a backend. */
    private interface Op {
        void run(Backend backend, Tensor[] tensors);
    }

    /**
     * Uploads {@code inputs} to both backends, runs {@code op} on each, and compares
     * tensor {@code result} afterwards.
     */
    private void compare(String op, String shape, Tolerance t, HostTensor[] inputs, int result, Op body) {
        compare(op, shape, t.abs(), t.rel(), inputs, result, body);
    }

    private void compare(String op, String shape, double atol, double rtol, HostTensor[] inputs, int result, Op body) {
        compare(op, shape, atol, rtol, backend -> runOn(backend, inputs, result, body));
    }

    /** Runs {@code run} on the oracle and on the candidate and compares the values each returns. */
    private void compare(String op, String shape, double atol, double rtol,
                         java.util.function.Function<Backend, float[]> run) {
        float[] expected;
        float[] actual;
        try {
            expected = run.apply(oracle);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the CPU oracle failed on " + op + " " + shape, e);
        }
        try {
            actual = run.apply(candidate);
        } catch (RuntimeException e) {
            record(new Check(op, shape, Double.NaN, Double.NaN, false, "error: " + e.getMessage()));
            return;
        }
        record(compareArrays(op, shape, expected, actual, atol, rtol));
    }

    private static float[] runOn(Backend backend, HostTensor[] inputs, int result, Op body) {
        Tensor[] ts = new Tensor[inputs.length];
        try {
            for (int i = 0; i < inputs.length; i++) {
                ts[i] = backend.upload(inputs[i]);
            }
            body.run(backend, ts);
            return backend.download(ts[result]).data();
        } finally {
            for (Tensor t : ts) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    static Check compareArrays(String op, String shape, float[] expected, float[] actual, double atol, double rtol) {
        double maxAbs = 0;
        double maxRel = 0;
        boolean ok = expected.length == actual.length;
        int firstBad = -1;
        for (int i = 0; ok && i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            double d = Math.abs(a - e);
            if ((Double.isNaN(e) && Double.isNaN(a)) || a == e) {
                continue; // NaN where NaN is due, the same infinity, or equal values (-0 equals +0)
            }
            if (Double.isNaN(d)) {
                d = Double.POSITIVE_INFINITY;
            }
            maxAbs = Math.max(maxAbs, d);
            maxRel = Math.max(maxRel, d / Math.max(Math.abs(e), 1e-30));
            if (!(d <= atol + rtol * Math.abs(e)) && firstBad < 0) {
                firstBad = i;
            }
        }
        String note = "";
        if (expected.length != actual.length) {
            note = actual.length + " values, expected " + expected.length;
        } else if (firstBad >= 0) {
            note = String.format(Locale.ROOT, "first at %d: %.7g, expected %.7g; tolerance %.1e + %.1e|x|", firstBad,
                    actual[firstBad], expected[firstBad], atol, rtol);
            ok = false;
        }
        return new Check(op, shape, maxAbs, maxRel, ok, note);
    }

    private void record(Check c) {
        checks.add(c);
        listener.accept(c);
    }
}
