package clnet.nn;

import clnet.backend.Parameter;
import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.ops.Loss;
import clnet.tensor.Rng;
import clnet.tensor.Shape;
import java.util.List;
import java.util.Map;

/**
 * A layer of a {@link Sequential} model. A layer goes through three stages:
 * <ol>
 *   <li>configured: it knows its input and output widths (for {@code summary()} and
 *       model files) but holds no weights;</li>
 *   <li>built: its weights live in a backend, initialized from the model's seed or loaded
 *       from a file;</li>
 *   <li>running: {@link #forward} and {@link #backward} reuse buffers sized for the
 *       largest batch seen, so a training step allocates nothing.</li>
 * </ol>
 */
public abstract class Layer implements AutoCloseable {
    private String name;

    /** The Keras class name, as {@code summary()} prints it: {@code Dense}. */
    public abstract String type();

    public String name() {
        return name;
    }

    /** Sets the name (a model names unnamed layers {@code dense}, {@code dense_1}, ...). */
    public Layer name(String name) {
        this.name = name;
        return this;
    }

    /** The input width this layer was declared with ({@code input_shape}), or 0 if none. */
    public abstract int declaredInputFeatures();

    /** Fixes the input width; called by the model as layers are added. */
    abstract void configure(int inputFeatures);

    public abstract int inputFeatures();

    public abstract int outputFeatures();

    public abstract long paramCount();

    /**
     * The shapes of the trainable weights, in {@link #parameters()} order, once configured:
     * the model allocates every layer's weights, and their gradients, in one group each
     * ({@link clnet.backend.TensorGroup}), so that its optimizer updates them all in one op.
     */
    public List<Shape> parameterShapes() {
        return List.of();
    }

    /**
     * Builds the layer in {@code backend}: {@code weights} and {@code gradients} are zero-filled
     * tensors of {@link #parameterShapes()} that the model owns and frees; the layer
     * initializes the weights from {@code rng} and allocates what else it needs.
     */
    abstract void build(Backend backend, Rng rng, List<Tensor> weights, List<Tensor> gradients);

    public abstract boolean isBuilt();

    /** The trainable weights, in a fixed order (Keras's: kernel, then bias). */
    public abstract List<Parameter> parameters();

    /**
     * The output for a batch; the returned tensor is valid until the next forward call.
     * {@code training} is Keras's flag: true inside {@code fit}'s training steps, false in
     * evaluate and predict, for layers that behave differently (dropout).
     */
    public abstract Tensor forward(Tensor x, boolean training);

    /**
     * Given dL/d(output) for the last forward batch, writes the parameter gradients and
     * returns dL/d(input), or null when {@code needInputGradient} is false (the first
     * layer: nobody needs it, and it is the largest product of the backward pass).
     */
    public abstract Tensor backward(Tensor dOutput, boolean needInputGradient);

    /**
     * Back-propagates {@code loss} from this layer as the model's output: writes dL/d(output)
     * of the batch mean (predictions {@code output} of the last forward pass against
     * {@code y}, times {@code scale}) into {@code gradient}, then runs {@link #backward}. A
     * layer whose activation combines with the loss into a simpler gradient (softmax with
     * cross-entropy) overrides this; the model knows no layer class.
     */
    public Tensor backwardFromLoss(Backend backend, Loss loss, Tensor output, Tensor y, float scale, Tensor gradient,
                                   boolean needInputGradient) {
        backend.lossGradient(loss, output, y, scale, gradient);
        return backward(gradient, needInputGradient);
    }

    /**
     * Adds {@code lossWeight} times this layer's weight penalties (its regularizers) into the
     * accumulator at {@code acc[slot]}, and with {@code withGradients} their gradients into the
     * parameters' gradients, which {@link #backward} has just written. Layers without
     * regularizers add nothing.
     */
    public void addPenalties(Tensor acc, int slot, float lossWeight, boolean withGradients) {
    }

    /**
     * Where the rows of the next training forward pass start in the step's whole batch: a
     * device of a data-parallel step, or a micro-shard, holds a row block of it. Layers that
     * draw per element (dropout) draw the whole batch's values for those rows.
     */
    void batchRowOffset(long firstRow) {
    }

    /** Called once after each training step's update: a layer with a per-step stream advances it. */
    void stepDone() {
    }

    /**
     * State that is neither a weight nor a setting but that a resumed run needs (a random
     * stream's key and position, as Keras keeps a {@code SeedGenerator}'s state among a
     * layer's variables); saved with the model. Nothing by default.
     */
    public Map<String, Long> state() {
        return Map.of();
    }

    /** Puts back what {@link #state()} gave; the layer is built. */
    public void restoreState(Map<String, Long> state) {
    }

    /** The settings that rebuild this layer (its model-file entry), without weights. */
    public abstract Map<String, Object> config();

    /** Frees the weights and buffers. */
    @Override
    public abstract void close();
}
