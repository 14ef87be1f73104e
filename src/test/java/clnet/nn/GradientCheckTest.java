package clnet.nn;

import clnet.backend.Parameter;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.Tensors;
import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.optim.SGD;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Finite-difference checks of every backward formula on the CPU backend: each activation's
 * derivative, each loss's gradient, the fused softmax cross-entropy, and whole Dense
 * networks. The numerical derivative is the central difference (f(x+h) - f(x-h)) / 2h
 * of the float32 forward computation, with h = 1e-3; its error (rounding ~1e-7/h plus
 * h² f''') is far inside the tolerance, while a wrong formula (a missing factor, a sign,
 * a wrong branch) is off by far more.
 */
class GradientCheckTest {
    private static final double H = 1e-3;
    private static final double ATOL = 1e-3;
    private static final double RTOL = 2e-2;

    private final Backend backend = new CpuBackend();

    static List<Activation> activations() {
        return List.of(Activation.LINEAR, Activation.SIGMOID, Activation.TANH, Activation.RELU,
                Activation.LEAKY_RELU, Activation.leakyRelu(0.05f), Activation.ARCTAN, Activation.SOFTMAX);
    }

    /** Numerical gradient of f at x, element by element. */
    private static float[] numericalGradient(float[] x, Function<float[], Double> f) {
        float[] g = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float saved = x[i];
            x[i] = (float) (saved + H);
            double plus = f.apply(x);
            x[i] = (float) (saved - H);
            double minus = f.apply(x);
            x[i] = saved;
            g[i] = (float) ((plus - minus) / (2 * H));
        }
        return g;
    }

    /** z values away from the kinks of relu and leaky relu, so a difference never straddles one. */
    private static HostTensor awayFromZero(Rng rng, int rows, int cols) {
        HostTensor z = Tensors.uniform(rng, 0.05f, 2f, rows, cols);
        for (int i = 0; i < z.data().length; i++) {
            if (rng.nextFloat() < 0.5f) {
                z.data()[i] = -z.data()[i];
            }
        }
        return z;
    }

    @ParameterizedTest
    @MethodSource("activations")
    void activationDerivative(Activation f) {
        Rng rng = new Rng(11);
        HostTensor z = awayFromZero(rng, 4, 7);
        HostTensor dA = Tensors.uniform(rng, -1f, 1f, 4, 7);
        // L(z) = sum dA ⊙ f(z), so dL/dz is exactly what activationBackward computes
        float[] analytic;
        try (Tensor zt = backend.upload(z); Tensor at = backend.alloc(4, 7); Tensor dat = backend.upload(dA);
             Tensor dzt = backend.alloc(4, 7)) {
            backend.activationForward(f, zt, at);
            backend.activationBackward(f, zt, at, dat, dzt);
            analytic = backend.download(dzt).data();
        }
        float[] numeric = numericalGradient(z.data(), zs -> {
            try (Tensor zt = backend.upload(new HostTensor(z.shape(), zs)); Tensor at = backend.alloc(4, 7)) {
                backend.activationForward(f, zt, at);
                return dot(backend.download(at).data(), dA.data());
            }
        });
        Tensors.assertClose(f + " derivative", numeric, analytic, ATOL, RTOL);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /** Predictions and targets where each loss is smooth: probabilities for the entropies. */
    private static HostTensor[] lossInputs(Loss loss, Rng rng, int rows, int cols) {
        HostTensor p = switch (loss) {
            // unnormalized positive outputs also exercise Keras's rescaling to a sum of 1
            case CATEGORICAL_CROSSENTROPY, SPARSE_CATEGORICAL_CROSSENTROPY, BINARY_CROSSENTROPY ->
                    Tensors.uniform(rng, 0.05f, 0.95f, rows, cols);
            case MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR -> Tensors.uniform(rng, -2f, 2f, rows, cols);
        };
        HostTensor y = switch (loss) {
            case CATEGORICAL_CROSSENTROPY -> Tensors.oneHot(rng, rows, cols);
            case SPARSE_CATEGORICAL_CROSSENTROPY -> Tensors.labels(rng, rows, cols);
            case BINARY_CROSSENTROPY -> Tensors.uniform(rng, 0f, 1f, rows, cols); // soft labels too
            case MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR -> Tensors.uniform(rng, -2f, 2f, rows, cols);
        };
        return new HostTensor[] {p, y};
    }

    private double meanLoss(Loss loss, HostTensor p, HostTensor y) {
        try (Tensor pt = backend.upload(p); Tensor yt = backend.upload(y); Tensor acc = backend.alloc(1, 2)) {
            backend.lossSum(loss, pt, yt, acc, 0);
            return Backend.accumulated(backend.download(acc).data(), 0) / p.rows();
        }
    }

    @ParameterizedTest
    @EnumSource(Loss.class)
    void lossGradient(Loss loss) {
        Rng rng = new Rng(23);
        HostTensor[] py = lossInputs(loss, rng, 5, 4);
        HostTensor p = py[0];
        HostTensor y = py[1];
        float[] analytic;
        try (Tensor pt = backend.upload(p); Tensor yt = backend.upload(y); Tensor g = backend.alloc(5, 4)) {
            backend.lossGradient(loss, pt, yt, 1f / 5, g);
            analytic = backend.download(g).data();
        }
        float[] numeric = numericalGradient(p.data(), ps -> meanLoss(loss, new HostTensor(p.shape(), ps), y));
        Tensors.assertClose(loss + " gradient", numeric, analytic, ATOL, RTOL);
        assertTrue(maxAbs(analytic) > 1e-2, "gradient is not trivially zero");
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(value = Loss.class, names = {"CATEGORICAL_CROSSENTROPY", "SPARSE_CATEGORICAL_CROSSENTROPY"})
    void fusedSoftmaxCrossEntropy(Loss loss) {
        Rng rng = new Rng(5);
        HostTensor z = Tensors.uniform(rng, -3f, 3f, 6, 5);
        HostTensor y = loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY ? Tensors.labels(rng, 6, 5) : Tensors.oneHot(rng, 6, 5);
        float[] analytic;
        try (Tensor zt = backend.upload(z); Tensor p = backend.alloc(6, 5); Tensor yt = backend.upload(y);
             Tensor g = backend.alloc(6, 5)) {
            backend.activationForward(Activation.SOFTMAX, zt, p);
            backend.softmaxCrossEntropyGradient(p, yt, loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY, 1f / 6, g);
            analytic = backend.download(g).data();
        }
        float[] numeric = numericalGradient(z.data(), zs -> {
            try (Tensor zt = backend.upload(new HostTensor(z.shape(), zs)); Tensor p = backend.alloc(6, 5)) {
                backend.activationForward(Activation.SOFTMAX, zt, p);
                return meanLoss(loss, backend.download(p), y);
            }
        });
        Tensors.assertClose(loss + " through softmax", numeric, analytic, ATOL, RTOL);
    }

    /**
     * A whole network: every weight's gradient from backward() against finite differences
     * of the loss. For relu-like activations the first seed from {@code seed} on whose
     * pre-activations all keep clear of the kink is used (the search is deterministic).
     */
    private void checkNetwork(Activation hidden, Activation output, Loss loss, long seed) {
        checkNetwork(hidden, output, loss, null, seed);
    }

    private void checkNetwork(Activation hidden, Activation output, Loss loss, Regularizer regularizer, long seed) {
        for (long s = seed; s < seed + 100; s++) {
            if (checkNetworkIfSmooth(hidden, output, loss, regularizer, s)) {
                return;
            }
        }
        org.junit.jupiter.api.Assertions.fail("no seed gave pre-activations clear of the kink");
    }

    private boolean checkNetworkIfSmooth(Activation hidden, Activation output, Loss loss, Regularizer regularizer,
                                         long seed) {
        Rng rng = new Rng(seed);
        int batch = 6;
        HostTensor x = Tensors.uniform(rng, -1f, 1f, batch, 4);
        HostTensor y = lossInputs(loss, rng, batch, 3)[1];
        try (Sequential model = new Sequential(backend).seed(seed)) {
            model.add(new Dense(5, hidden).inputShape(4).kernelRegularizer(regularizer));
            model.add(new Dense(3, output).kernelRegularizer(regularizer));
            model.compile(new SGD(), loss);
            List<HostTensor> weights = model.getWeights();
            // random biases too, so that zero-initialized biases do not hide a bias bug
            for (HostTensor w : weights) {
                for (int i = 0; i < w.data().length; i++) {
                    w.data()[i] = (float) (w.data()[i] + 0.3 * (rng.nextFloat() - 0.5));
                }
            }
            model.setWeights(weights);
            if (regularizer != null && regularizer.l1() > 0 && nearZero(weights)) {
                return false; // |w| has its kink at 0
            }

            List<float[]> analytic = new ArrayList<>();
            try (Tensor xt = backend.upload(x); Tensor yt = backend.upload(y); Tensor acc = backend.alloc(1, 2)) {
                model.forward(xt, true);
                model.backward(yt);
                model.addPenalties(batch, acc, 0, true);
                for (Parameter p : model.parameters()) {
                    analytic.add(backend.download(p.gradient()).data());
                }
                if (nearKink(model, xt, hidden)) {
                    return false;
                }
            }
            for (int k = 0; k < weights.size(); k++) {
                int which = k;
                float[] numeric = numericalGradient(weights.get(k).data(), ws -> {
                    model.setWeights(weights);
                    try (Tensor xt = backend.upload(x); Tensor yt = backend.upload(y);
                         Tensor acc = backend.alloc(1, 4)) {
                        model.testOnBatch(xt, yt, acc, 0);
                        return Backend.accumulated(backend.download(acc).data(), 0) / batch;
                    }
                });
                model.setWeights(weights);
                Tensors.assertClose(hidden + "/" + output + "/" + loss + " " + model.parameters().get(which).name(),
                        numeric, analytic.get(which), ATOL, RTOL);
            }
        }
        return true;
    }

    private static boolean nearZero(List<HostTensor> weights) {
        for (HostTensor w : weights) {
            for (float v : w.data()) {
                if (Math.abs(v) < 1e-2) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Each regularizer's penalty in the loss and its gradient, through a whole network. */
    @ParameterizedTest
    @ValueSource(strings = {"l1", "l2", "l1_l2"})
    void regularizedNetwork(String id) {
        Regularizer r = Regularizer.parse(id);
        // large factors, so that a wrong penalty gradient cannot hide inside the tolerance
        checkNetwork(Activation.TANH, Activation.SOFTMAX, Loss.CATEGORICAL_CROSSENTROPY,
                new Regularizer(r.l1() * 20, r.l2() * 20), 13);
    }

    /** True if a hidden pre-activation is so near a kink that a difference could straddle it. */
    private boolean nearKink(Sequential model, Tensor x, Activation hidden) {
        if (hidden.kind() != Activation.Kind.RELU && hidden.kind() != Activation.Kind.LEAKY_RELU) {
            return false;
        }
        Dense first = (Dense) model.layers().get(0);
        HostTensor z;
        try (Tensor zt = backend.alloc(x.rows(), first.units())) {
            backend.gemm(false, false, 1f, x, first.parameters().get(0).value(), 0f, zt);
            backend.addRowVector(zt, first.parameters().get(1).value());
            z = backend.download(zt);
        }
        for (float v : z.data()) {
            if (Math.abs(v) < 1e-2) {
                return true;
            }
        }
        return false;
    }

    @ParameterizedTest
    @MethodSource("activations")
    void denseNetworkWithEachHiddenActivation(Activation hidden) {
        checkNetwork(hidden, Activation.LINEAR, Loss.MEAN_SQUARED_ERROR, 3);
    }

    @ParameterizedTest
    @EnumSource(Loss.class)
    void denseNetworkWithEachLoss(Loss loss) {
        Activation out = switch (loss) {
            case CATEGORICAL_CROSSENTROPY, SPARSE_CATEGORICAL_CROSSENTROPY -> Activation.SOFTMAX; // fused path
            case BINARY_CROSSENTROPY -> Activation.SIGMOID;
            case MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR -> Activation.TANH;
        };
        checkNetwork(Activation.TANH, out, loss, 7);
    }

    @Test
    void crossEntropyOnSigmoidOutputsTakesTheUnfusedPath() {
        // categorical cross-entropy on non-softmax outputs: the loss gradient with Keras's
        // renormalization, then the sigmoid's derivative
        checkNetwork(Activation.RELU, Activation.SIGMOID, Loss.CATEGORICAL_CROSSENTROPY, 9);
    }

    @Test
    void shapesAreChecked() {
        try (Tensor a = backend.alloc(2, 3); Tensor b = backend.alloc(4, 5); Tensor c = backend.alloc(2, 5)) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> backend.gemm(false, false, 1f, a, b, 0f, c));
        }
        org.junit.jupiter.api.Assertions.assertEquals(Shape.of(2, 5), Shape.of(2, 5));
    }
}
