package clnet.verify;

/**
 * How far a device's result may be from the CPU reference's, per kind of op: |device -
 * reference| <= abs + rel * |reference|. The one place these numbers live, for
 * {@link BackendVerifier} ({@code clnet verify}) and {@link ValidatingBackend}
 * ({@code --validate}).
 *
 * <p>Element-wise arithmetic agrees to a few float32 ulps; exp, log, tanh and atan may differ
 * by the driver's documented ulp bounds; sums (GEMM, softmax, losses, column sums) are taken
 * in another order on a device, and float addition is not associative, so their error grows
 * with the length of the sum.
 */
public record Tolerance(double abs, double rel) {
    /** Copies and fills: bit for bit. */
    public static final Tolerance EXACT = new Tolerance(0, 0);
    /** Element-wise ops: add, multiply, select. */
    public static final Tolerance ELEMENTWISE = new Tolerance(1e-6, 1e-6);
    /** Activations and their derivatives (exp, tanh, atan within the driver's ulp bounds). */
    public static final Tolerance ACTIVATION = new Tolerance(1e-6, 1e-5);
    /** Optimizer updates (a square root and a division per weight). */
    public static final Tolerance OPTIMIZER = new Tolerance(1e-6, 1e-5);
    /** Loss gradients (divisions near the clip). */
    public static final Tolerance LOSS_GRADIENT = new Tolerance(1e-6, 1e-4);
    /**
     * The image warp: bilinear weights from coordinates a few float ulps apart (a device may
     * fuse a multiply and an add) on pixels in [0, 1].
     */
    public static final Tolerance WARP = new Tolerance(1e-5, 1e-5);
    /** The fused softmax cross-entropy gradient, (p - y) / m. */
    public static final Tolerance SOFTMAX_XENT = new Tolerance(1e-7, 1e-5);

    /** The weights after one whole training step (forward, backward, update) from the same start. */
    public static final Tolerance TRAINING_STEP = new Tolerance(1e-5, 1e-4);

    /** A GEMM summing {@code k} products of operands of order one. */
    public static Tolerance gemm(int k) {
        return new Tolerance(2e-6 * k, 1e-4);
    }

    /** A column sum of {@code rows} values. */
    public static Tolerance columnSum(int rows) {
        return new Tolerance(1e-6 * rows, 1e-5);
    }

    /** A sum of {@code rows} per-sample losses. */
    public static Tolerance lossSum(int rows) {
        return new Tolerance(1e-5 * rows, 1e-5);
    }

    /** A weight penalty summed over {@code n} weights (a sum of non-negative terms). */
    public static Tolerance penaltySum(int n) {
        return new Tolerance(1e-6 * n, 1e-4);
    }

    /** A count of correct predictions over {@code rows} samples (binary accuracy sums fractions). */
    public static Tolerance count(int rows) {
        return new Tolerance(1e-5 * rows, 1e-6);
    }

    /** An activation whose rows are normalized over {@code cols} values (softmax); element-wise ones otherwise. */
    public static Tolerance activation(boolean rowWise, int cols) {
        return rowWise ? new Tolerance(ACTIVATION.abs + 1e-6 * cols, ACTIVATION.rel) : ACTIVATION;
    }

    /** This tolerance with its absolute part scaled (by the size of the operands). */
    public Tolerance scaled(double factor) {
        return new Tolerance(abs * factor, rel);
    }
}
