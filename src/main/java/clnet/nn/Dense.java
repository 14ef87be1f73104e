package clnet.nn;

import clnet.backend.Parameter;
import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.Rng;
import clnet.tensor.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fully connected layer, Keras's {@code Dense}: a = f(x·W + b).
 *
 * <p>clnet is batch-major: x is (batch, in), the kernel W is (in, units), b is (1, units),
 * so one GEMM handles the whole batch. The textbook W^[l] of shape (n_l, n_{l-1}) acting
 * on column vectors is the transpose of this kernel. Backward, with dZ = dA ⊙ f'(z):
 * dW = xᵀ·dZ, db = column sums of dZ, dx = dZ·Wᵀ. The 1/m of the batch mean is already in
 * dA, because the loss gradient is taken of the mean loss.
 */
public final class Dense extends Layer {
    private final int units;
    private final Activation activation;
    private int declaredInput;
    private Initializer kernelInitializer = Initializer.GLOROT_UNIFORM;
    private Regularizer kernelRegularizer;
    private int inputFeatures;

    private Backend backend;
    private Tensor kernel;
    private Tensor bias;
    private Tensor kernelGrad;
    private Tensor biasGrad;

    // Batch buffers sized for the largest batch so far; views of them serve smaller ones.
    private int capacity;
    private Tensor zBuf;
    private Tensor aBuf;
    private Tensor dzBuf;
    private Tensor dxBuf;

    // What the last forward pass saw, for backward.
    private Tensor lastX;
    private Tensor lastZ;
    private Tensor lastA;

    public Dense(int units, Activation activation) {
        if (units <= 0) {
            throw new IllegalArgumentException("Dense needs a positive number of units, got " + units);
        }
        this.units = units;
        this.activation = activation == null ? Activation.LINEAR : activation;
    }

    /** {@code new Dense(512, "relu")}, as Keras's {@code Dense(512, activation="relu")}. */
    public Dense(int units, String activation) {
        this(units, Activation.parse(activation));
    }

    /** A linear layer. */
    public Dense(int units) {
        this(units, Activation.LINEAR);
    }

    /** Declares the input width, as Keras's {@code input_shape=(784,)} on the first layer. */
    public Dense inputShape(int features) {
        if (features <= 0) {
            throw new IllegalArgumentException("input width must be positive, got " + features);
        }
        this.declaredInput = features;
        return this;
    }

    public Dense kernelInitializer(Initializer initializer) {
        this.kernelInitializer = initializer;
        return this;
    }

    /** Keras's {@code kernel_regularizer}: a penalty on the kernel (not the bias), or null for none. */
    public Dense kernelRegularizer(Regularizer regularizer) {
        this.kernelRegularizer = regularizer;
        return this;
    }

    public Regularizer kernelRegularizer() {
        return kernelRegularizer;
    }

    public int units() {
        return units;
    }

    public Activation activation() {
        return activation;
    }

    public Initializer kernelInitializer() {
        return kernelInitializer;
    }

    @Override
    public String type() {
        return "Dense";
    }

    @Override
    public int declaredInputFeatures() {
        return declaredInput;
    }

    @Override
    void configure(int inputFeatures) {
        if (declaredInput != 0 && declaredInput != inputFeatures) {
            throw new IllegalArgumentException("layer " + name() + " declares input width " + declaredInput
                    + " but receives " + inputFeatures);
        }
        this.inputFeatures = inputFeatures;
    }

    @Override
    public int inputFeatures() {
        return inputFeatures;
    }

    @Override
    public int outputFeatures() {
        return units;
    }

    @Override
    public long paramCount() {
        return (long) inputFeatures * units + units;
    }

    @Override
    public List<Shape> parameterShapes() {
        if (inputFeatures <= 0) {
            throw new IllegalStateException("layer " + name() + " has no input width yet");
        }
        return List.of(Shape.of(inputFeatures, units), Shape.of(1, units));
    }

    @Override
    void build(Backend backend, Rng rng, List<Tensor> weights, List<Tensor> gradients) {
        if (inputFeatures <= 0) {
            throw new IllegalStateException("layer " + name() + " has no input width yet");
        }
        close();
        this.backend = backend;
        kernel = weights.get(0);
        bias = weights.get(1); // zeros, as Keras's default bias initializer
        kernelGrad = gradients.get(0);
        biasGrad = gradients.get(1);
        backend.upload(kernelInitializer.kernel(inputFeatures, units, rng), kernel);
    }

    @Override
    public boolean isBuilt() {
        return kernel != null;
    }

    @Override
    public List<Parameter> parameters() {
        requireBuilt();
        return List.of(new Parameter(name() + "/kernel", kernel, kernelGrad),
                new Parameter(name() + "/bias", bias, biasGrad));
    }

    private void ensureCapacity(int rows) {
        if (rows <= capacity) {
            return;
        }
        freeBuffers();
        capacity = rows;
        zBuf = backend.alloc(rows, units);
        aBuf = activation.kind() == Activation.Kind.LINEAR ? null : backend.alloc(rows, units);
        dzBuf = activation.kind() == Activation.Kind.LINEAR ? null : backend.alloc(rows, units);
        // dxBuf waits for the first backward that needs it: the first layer never does
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        requireBuilt();
        if (x.cols() != inputFeatures) {
            throw new IllegalArgumentException("layer " + name() + " expects " + inputFeatures
                    + " features, got input " + x.shape());
        }
        int rows = x.rows();
        ensureCapacity(rows);
        Tensor z = zBuf.firstRows(rows);
        Tensor a = aBuf == null ? z : aBuf.firstRows(rows); // linear: a is z
        backend.denseForward(activation, x, kernel, bias, z, a); // one launch: product, bias, f
        lastX = x;
        lastZ = z;
        lastA = a;
        return a;
    }

    @Override
    public Tensor backward(Tensor dOutput, boolean needInputGradient) {
        requireForward();
        Tensor dz = dOutput;
        if (dzBuf != null) {
            dz = dzBuf.firstRows(dOutput.rows());
            backend.activationBackward(activation, lastZ, lastA, dOutput, dz);
        }
        return backwardPreActivation(dz, needInputGradient);
    }

    /**
     * With a softmax output and (sparse) categorical cross-entropy, dL/dz = (p - y)/m is
     * exact and cheaper than going through the softmax's Jacobian, as Keras does.
     */
    @Override
    public Tensor backwardFromLoss(Backend backend, Loss loss, Tensor output, Tensor y, float scale, Tensor gradient,
                                   boolean needInputGradient) {
        if (activation.kind() == Activation.Kind.SOFTMAX
                && (loss == Loss.CATEGORICAL_CROSSENTROPY || loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY)) {
            backend.softmaxCrossEntropyGradient(output, y, loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY, scale,
                    gradient);
            return backwardPreActivation(gradient, needInputGradient);
        }
        if (activation.kind() == Activation.Kind.SIGMOID && loss == Loss.BINARY_CROSSENTROPY) {
            // the same p - y per output (binary cross-entropy is a mean over the outputs), as Keras on
            // TensorFlow takes it from the logits: an output saturated on the wrong side, where the
            // clipped loss is flat, still learns
            backend.softmaxCrossEntropyGradient(output, y, false, scale / output.cols(), gradient);
            return backwardPreActivation(gradient, needInputGradient);
        }
        return super.backwardFromLoss(backend, loss, output, y, scale, gradient, needInputGradient);
    }

    @Override
    public void addPenalties(Tensor acc, int slot, float lossWeight, boolean withGradients) {
        if (kernelRegularizer != null) {
            requireBuilt();
            kernelRegularizer.apply(backend, kernel, withGradients ? kernelGrad : null, lossWeight, acc, slot);
        }
    }

    /** Backward from dL/dz, skipping the activation (its derivative is already in dz). */
    private Tensor backwardPreActivation(Tensor dz, boolean needInputGradient) {
        requireForward();
        if (dz.rows() != lastX.rows() || dz.cols() != units) {
            throw new IllegalArgumentException("layer " + name() + ": gradient " + dz.shape()
                    + " for a batch of " + lastX.rows());
        }
        backend.gemm(true, false, 1f, lastX, dz, 0f, kernelGrad);
        backend.sumRows(1f, dz, biasGrad);
        if (!needInputGradient) {
            return null;
        }
        if (dxBuf == null) {
            dxBuf = backend.alloc(capacity, inputFeatures);
        }
        Tensor dx = dxBuf.firstRows(dz.rows());
        backend.gemm(false, true, 1f, dz, kernel, 0f, dx);
        return dx;
    }

    /**
     * Dense in model files: {@code units}, {@code activation}, {@code input_dim},
     * {@code kernel_initializer}, and {@code kernel_regularizer} when there is one.
     */
    public static final class Type implements LayerType {
        @Override
        public String className() {
            return "Dense";
        }

        @Override
        public Layer fromConfig(LayerConfig c) {
            Dense d = new Dense(c.integer("units"), Activation.parse(c.string("activation")));
            if (c.has("input_dim")) {
                int input = c.integer("input_dim");
                if (input > 0) {
                    d.inputShape(input);
                }
            }
            if (c.has("kernel_initializer")) {
                d.kernelInitializer(Initializer.parse(c.string("kernel_initializer")));
            }
            if (c.has("kernel_regularizer")) {
                d.kernelRegularizer(Regularizer.fromConfig(c.object("kernel_regularizer")));
            }
            return d;
        }
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("units", units);
        c.put("activation", activation.id());
        c.put("input_dim", inputFeatures);
        c.put("kernel_initializer", kernelInitializer.id());
        if (kernelRegularizer != null) {
            c.put("kernel_regularizer", kernelRegularizer.config());
        }
        return c;
    }

    private void requireBuilt() {
        if (kernel == null) {
            throw new IllegalStateException("layer " + name() + " is not built; compile the model first");
        }
    }

    private void requireForward() {
        requireBuilt();
        if (lastX == null) {
            throw new IllegalStateException("layer " + name() + ": backward before forward");
        }
    }

    private void freeBuffers() {
        for (Tensor t : new Tensor[] {zBuf, aBuf, dzBuf, dxBuf}) {
            if (t != null) {
                t.close();
            }
        }
        zBuf = aBuf = dzBuf = dxBuf = null;
        capacity = 0;
        lastX = lastZ = lastA = null;
    }

    @Override
    public void close() {
        freeBuffers();
        kernel = bias = kernelGrad = biasGrad = null; // the model's groups hold them and free them
    }
}
