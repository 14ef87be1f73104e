package clnet.nn;

import clnet.backend.Parameter;
import clnet.backend.Backend;
import clnet.backend.DType;
import clnet.device.Backends;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;
import clnet.ops.Accuracy;
import clnet.ops.Loss;
import clnet.optim.Optimizer;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.tensor.Shape;
import clnet.train.EvaluationResult;
import clnet.train.FitOptions;
import clnet.train.History;
import clnet.train.Snapshot;
import clnet.train.Trainable;
import clnet.train.Trainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A linear stack of layers, with Keras's API:
 *
 * <pre>{@code
 * try (Sequential model = new Sequential()) {
 *     model.add(new Dense(512, "relu").inputShape(784));
 *     model.add(new Dense(10, "softmax"));
 *     model.compile(new RMSprop(), Loss.CATEGORICAL_CROSSENTROPY);
 *     History h = model.fit(x, y, new FitOptions().epochs(5).batchSize(128));
 * }
 * }</pre>
 *
 * <p>The weights live in one {@link Backend} from {@code compile} on. A model made with
 * {@code new Sequential()} opens the best device ({@code auto}) itself and closes it with
 * the model; one given a backend leaves it open.
 *
 * <p>Weights are initialized from a seed (default {@value #DEFAULT_SEED}), so the same
 * program gives the same model on every run and on every backend; Keras draws a random
 * seed unless told otherwise.
 */
public final class Sequential implements Trainable, AutoCloseable {
    public static final long DEFAULT_SEED = 42;

    private final List<Layer> layers = new ArrayList<>();
    private final Map<String, Integer> namesUsed = new HashMap<>();
    private final java.util.Set<String> layerNames = new java.util.HashSet<>(); // a set: 10^5 layers stay linear
    private String name = "sequential";
    private Backend backend;
    /**
     * Every layer's weights, and their gradients, each in one group of one layout; null before
     * build, and where no single buffer of the device holds them (then the parts are tensors
     * of their own).
     */
    private TensorGroup weightGroup;
    private TensorGroup gradientGroup;
    /** The weights and gradients the layers were given, in {@link #parameters()} order. */
    private List<Tensor> weightParts = List.of();
    private List<Tensor> gradientParts = List.of();
    private final boolean ownsBackend;
    private long seed = DEFAULT_SEED;
    private Optimizer optimizer;
    /** Steps taken under optimizers compile replaced: with the current one's, the model's own count. */
    private long stepsBeforeOptimizer;
    private Loss loss;
    private Accuracy metric; // null: accuracy, chosen by shape as Keras does
    private Map<String, Object> dataConfig;

    private Tensor lossGrad;
    private Tensor lastOutput;

    /** A model on the best available device, opened at compile time. */
    public Sequential() {
        this.ownsBackend = true;
    }

    /** A model on {@code backend}, which the caller keeps and closes. */
    public Sequential(Backend backend) {
        this.backend = backend;
        this.ownsBackend = false;
    }

    public Sequential add(Layer layer) {
        if (isBuilt()) {
            throw new IllegalStateException("cannot add layers to a built model");
        }
        if (layer.name() == null) {
            String base = layer.type().toLowerCase(Locale.ROOT);
            int n = namesUsed.merge(base, 1, Integer::sum) - 1;
            layer.name(n == 0 ? base : base + "_" + n);
        } else {
            namesUsed.merge(layer.name(), 1, Integer::sum);
        }
        if (!layerNames.add(layer.name())) {
            throw new IllegalArgumentException("two layers named '" + layer.name() + "'");
        }
        if (layers.isEmpty()) {
            if (layer.declaredInputFeatures() > 0) {
                layer.configure(layer.declaredInputFeatures());
            }
        } else {
            Layer prev = layers.get(layers.size() - 1);
            if (prev.outputFeatures() > 0 && prev.inputFeatures() > 0) {
                layer.configure(prev.outputFeatures());
            }
        }
        layers.add(layer);
        return this;
    }

    public Sequential name(String name) {
        this.name = name;
        return this;
    }

    @Override
    public String name() {
        return name;
    }

    /** Sets the seed of weight initialization and, unless fit is given its own, of shuffling. */
    public Sequential seed(long seed) {
        this.seed = seed;
        return this;
    }

    public long seed() {
        return seed;
    }

    @Override
    public long stepsTaken() {
        return stepsBeforeOptimizer + (optimizer == null ? 0 : optimizer.iterations());
    }

    /**
     * Sets the model's step count (for a model read from a file): {@code steps} at least the
     * optimizer's own, the rest counted as taken under optimizers it had before.
     */
    public void stepsTaken(long steps) {
        long own = optimizer == null ? 0 : optimizer.iterations();
        if (steps < own) {
            throw new IllegalArgumentException("steps taken " + steps + " < the optimizer's " + own);
        }
        stepsBeforeOptimizer = steps - own;
    }

    public List<Layer> layers() {
        return List.copyOf(layers);
    }

    public Backend backend() {
        return backend;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    @Override
    public boolean hasOptimizer() {
        return optimizer != null;
    }

    @Override
    public float learningRate() {
        requireCompiled();
        return optimizer.learningRate();
    }

    @Override
    public void setLearningRate(float rate) {
        requireCompiled();
        optimizer.setLearningRate(rate);
    }

    public Loss loss() {
        return loss;
    }

    /** The metric reported beside the loss: the one given to compile, else accuracy chosen by shape as Keras does. */
    public Accuracy accuracy() {
        return metric != null ? metric : loss.accuracy(outputFeatures());
    }

    @Override
    public String metricName() {
        return loss == null ? "accuracy" : accuracy().metricName();
    }

    /**
     * As {@link #compile(Optimizer, Loss)}, reporting {@code metric} beside the loss
     * ({@code Accuracy.MEAN_ABSOLUTE_ERROR} for a regression, as Keras's {@code metrics=["mae"]}).
     */
    public void compile(Optimizer optimizer, Loss loss, Accuracy metric) {
        compile(optimizer, loss);
        this.metric = metric;
    }

    /**
     * What the model was trained on, beyond its layers (a CSV's input and target columns and
     * class names), saved with it as {@code data_config} so that predict can read raw files;
     * null for none.
     */
    public Sequential dataConfig(Map<String, Object> config) {
        this.dataConfig = config == null ? null : new java.util.LinkedHashMap<>(config);
        return this;
    }

    public Map<String, Object> dataConfig() {
        return dataConfig == null ? null : java.util.Collections.unmodifiableMap(dataConfig);
    }

    public int inputFeatures() {
        return layers.isEmpty() ? 0 : layers.get(0).inputFeatures();
    }

    public int outputFeatures() {
        return layers.isEmpty() ? 0 : layers.get(layers.size() - 1).outputFeatures();
    }

    // ---------------------------------------------------------------- compile and build

    /**
     * Sets the optimizer and loss; builds the weights if the input width is known. The
     * optimizer may be null for a model that is only evaluated and used for prediction
     * ({@code fit} then refuses it); its state is allocated at its first step, not here.
     */
    public void compile(Optimizer optimizer, Loss loss) {
        if (layers.isEmpty()) {
            throw new IllegalStateException("the model has no layers");
        }
        if (loss == null) {
            throw new IllegalArgumentException("compile needs a loss");
        }
        if (this.optimizer != null && this.optimizer != optimizer) {
            stepsBeforeOptimizer += this.optimizer.iterations(); // a new optimizer starts at 0; the model's count goes on
            this.optimizer.close();
        }
        this.optimizer = optimizer;
        this.loss = loss;
        this.metric = null;
        if (isBuilt()) {
            // compiled again with the optimizer it has (another loss, say): as Keras's, the
            // optimizer keeps its state (slots, steps taken) rather than starting over
            if (optimizer == null || !optimizer.attachedTo(parameters())) {
                attachOptimizer();
            }
        } else if (inputFeatures() > 0) {
            build(inputFeatures());
        }
    }

    /** For evaluate and predict only: a loss and no optimizer (Keras allows compile without one too). */
    public void compile(Loss loss) {
        compile(null, loss);
    }

    private void attachOptimizer() {
        if (optimizer != null) {
            optimizer.attach(backend, parameters(), weightGroup == null ? null : weightGroup.whole(),
                    gradientGroup == null ? null : gradientGroup.whole());
        }
    }

    /** {@code compile("rmsprop", "categorical_crossentropy")}, with Keras's defaults. */
    public void compile(String optimizer, String loss) {
        compile(Optimizer.create(optimizer, null, null), Loss.parse(loss));
    }

    public boolean isBuilt() {
        return !layers.isEmpty() && layers.get(layers.size() - 1).isBuilt();
    }

    /**
     * Fixes the input width and allocates and initializes the weights, if not done yet
     * (Keras builds at the first call when no input shape was declared).
     */
    public void build(int inputFeatures) {
        if (layers.isEmpty()) {
            throw new IllegalStateException("the model has no layers");
        }
        if (isBuilt()) {
            if (inputFeatures != inputFeatures()) {
                throw new IllegalArgumentException("model " + name + " takes " + inputFeatures()
                        + " features, got " + inputFeatures);
            }
            return;
        }
        int width = inputFeatures;
        for (Layer l : layers) {
            l.configure(width);
            width = l.outputFeatures();
        }
        if (backend == null) {
            backend = Backends.open("auto");
        }
        List<Shape> shapes = new ArrayList<>();
        for (Layer l : layers) {
            shapes.addAll(l.parameterShapes());
        }
        freeParameters();
        if (fitsOneBuffer(shapes)) {
            // every layer's weights in one group and their gradients in another of the same
            // layout: the optimizer then updates all parameters in one op
            weightGroup = backend.allocGroup(shapes);
            weightParts = weightGroup.parts();
            gradientGroup = backend.allocGroup(shapes);
            gradientParts = gradientGroup.parts();
        } else {
            // more than one buffer of the device holds: a tensor each, an optimizer op each
            weightParts = new ArrayList<>();
            gradientParts = new ArrayList<>();
            for (Shape s : shapes) {
                weightParts.add(backend.alloc(s, DType.FLOAT32));
                gradientParts.add(backend.alloc(s, DType.FLOAT32));
            }
        }
        Rng rng = new Rng(seed);
        int at = 0;
        for (Layer l : layers) {
            int k = l.parameterShapes().size();
            l.build(backend, rng.split(), weightParts.subList(at, at + k), gradientParts.subList(at, at + k));
            at += k;
        }
        attachOptimizer();
    }

    /** Whether one buffer of the backend holds all of {@code shapes} laid out as a group. */
    private boolean fitsOneBuffer(List<Shape> shapes) {
        if (shapes.isEmpty()) {
            return false;
        }
        long elements = TensorGroup.Layout.elements(shapes, backend.groupAlignment());
        return elements <= Integer.MAX_VALUE && 4L * elements <= backend.maxAllocationBytes();
    }

    private void freeParameters() {
        if (weightGroup != null) {
            weightGroup.whole().close();
            gradientGroup.whole().close();
        } else {
            for (Tensor t : weightParts) {
                t.close();
            }
            for (Tensor t : gradientParts) {
                t.close();
            }
        }
        weightGroup = gradientGroup = null;
        weightParts = gradientParts = List.of();
    }

    /** All trainable parameters, layer by layer. */
    public List<Parameter> parameters() {
        List<Parameter> ps = new ArrayList<>();
        for (Layer l : layers) {
            ps.addAll(l.parameters());
        }
        return ps;
    }

    public long paramCount() {
        long n = 0;
        for (Layer l : layers) {
            n += l.paramCount();
        }
        return n;
    }

    /** The weights, copied to the host, in {@link #parameters()} order (Keras's get_weights). */
    @Override
    public List<HostTensor> getWeights() {
        requireBuilt();
        List<HostTensor> ws = new ArrayList<>();
        for (Parameter p : parameters()) {
            ws.add(backend.download(p.value()));
        }
        return ws;
    }

    /** Replaces the weights (Keras's set_weights); shapes must match. */
    @Override
    public void setWeights(List<HostTensor> weights) {
        requireBuilt();
        List<Parameter> ps = parameters();
        if (weights.size() != ps.size()) {
            throw new IllegalArgumentException("model " + name + " has " + ps.size() + " weight tensors, got "
                    + weights.size());
        }
        for (int i = 0; i < ps.size(); i++) {
            Parameter p = ps.get(i);
            HostTensor w = weights.get(i);
            if (!w.shape().equals(p.value().shape())) {
                throw new IllegalArgumentException(p.name() + " has shape " + p.value().shape() + ", got "
                        + w.shape());
            }
            backend.upload(w.data(), p.value());
        }
    }

    @Override
    public Snapshot snapshot() {
        requireCompiled();
        return new Snapshot(getWeights(), optimizer.slotValues(), optimizer.iterations(), optimizer.learningRate());
    }

    @Override
    public void restore(Snapshot snapshot) {
        requireCompiled();
        setWeights(snapshot.weights());
        optimizer.restore(snapshot.optimizerSlots(), snapshot.iterations(), snapshot.learningRate());
    }

    // ---------------------------------------------------------------- the step API

    @Override
    public Tensor predictOnBatch(Tensor x) {
        return forwardLayers(x, false);
    }

    /**
     * Runs a batch through the layers, in training mode or not (Keras's {@code training}
     * flag); the result is valid until the next call.
     */
    public Tensor forward(Tensor x, boolean training) {
        Tensor out = forwardLayers(x, training);
        if (training) {
            for (Layer l : layers) {
                l.stepDone(); // a pass of its own: the next one draws new masks, as a Keras call does
            }
        }
        return out;
    }

    /** The forward pass of a training step, whose row blocks share the step's random streams. */
    private Tensor forwardLayers(Tensor x, boolean training) {
        requireBuilt();
        Tensor a = x;
        for (Layer l : layers) {
            a = l.forward(a, training);
        }
        lastOutput = a;
        return a;
    }

    /**
     * Back-propagates the mean loss of the last forward batch against targets {@code y},
     * writing every parameter's gradient.
     */
    public void backward(Tensor y) {
        backward(y, lastOutput == null ? 1 : lastOutput.rows());
    }

    /**
     * Back-propagates the loss of the last forward batch as its share of the mean over
     * {@code batchRows} rows (the step's whole batch, of which this pass may hold a row
     * block): the gradients of the row blocks of a batch add up to the batch's.
     */
    public void backward(Tensor y, int batchRows) {
        requireCompiled();
        if (lastOutput == null) {
            throw new IllegalStateException("backward before forward");
        }
        Tensor p = lastOutput;
        int m = p.rows();
        if (lossGrad == null || lossGrad.rows() < m) {
            if (lossGrad != null) {
                lossGrad.close();
            }
            lossGrad = backend.alloc(m, outputFeatures());
        }
        int last = layers.size() - 1;
        // the scale 1/batchRows makes every gradient that of the batch mean
        Tensor d = layers.get(last).backwardFromLoss(backend, loss, p, y, 1f / batchRows, lossGrad.firstRows(m),
                last > 0);
        for (int i = last - 1; i >= 0; i--) {
            d = layers.get(i).backward(d, i > 0);
        }
    }

    /** One optimizer step from the gradients of the last backward pass; the step's random streams advance. */
    public void applyGradients() {
        requireCompiled();
        optimizer.step();
        for (Layer l : layers) {
            l.stepDone();
        }
    }

    /**
     * Forward, metrics, backward and update for one batch; adds the batch's loss sum and
     * correct count to the accumulators at {@code metrics[slot]} and {@code metrics[slot + 2]}
     * (each a compensated pair, see {@link Backend#accumulate}) in the backend.
     */
    @Override
    public void trainOnBatch(Tensor x, Tensor y, Tensor metrics, int slot) {
        computeGradients(x, y, metrics, slot, 0, x.rows());
        applyGradients(x.rows(), metrics, slot);
    }

    @Override
    public void computeGradients(Tensor x, Tensor y, Tensor metrics, int slot, long firstRow, int batchRows) {
        requireCompiled();
        for (Layer l : layers) {
            l.batchRowOffset(firstRow);
        }
        addMetrics(forwardLayers(x, true), y, metrics, slot);
        backward(y, batchRows);
    }

    @Override
    public void applyGradients(int batchRows, Tensor metrics, int slot) {
        addPenalties(batchRows, metrics, slot, true);
        applyGradients();
    }

    @Override
    public Tensor gradientsWhole() {
        return gradientGroup == null ? null : gradientGroup.whole();
    }

    @Override
    public List<Tensor> gradients() {
        List<Tensor> gs = new ArrayList<>();
        for (Parameter p : parameters()) {
            gs.add(p.gradient());
        }
        return gs;
    }

    /**
     * A copy of this compiled, built model in {@code other}: the same layers, loss, metric
     * and optimizer settings, and the same weights, optimizer state and layer state (dropout's
     * stream), so that the same steps keep both the same. The caller closes it; it leaves
     * {@code other} open.
     */
    @Override
    public Sequential replicate(Backend other) {
        requireCompiled();
        requireBuilt();
        Sequential copy = new Sequential(other).name(name).seed(seed).dataConfig(dataConfig);
        try {
            for (Layer l : layers) {
                copy.add(LayerRegistry.fromConfig(l.type(), new LayerConfig(l.name(), l.config())).name(l.name()));
            }
            Optimizer opt = optimizer == null ? null : Optimizer.fromConfig(optimizer.id(), optimizer.config());
            copy.compile(opt, loss);
            copy.metric = metric;
            copy.build(inputFeatures());
            if (optimizer != null) {
                copy.restore(snapshot());
            } else {
                copy.setWeights(getWeights());
            }
            for (int i = 0; i < layers.size(); i++) {
                Map<String, Long> state = layers.get(i).state();
                if (!state.isEmpty()) {
                    copy.layers.get(i).restoreState(state);
                }
            }
            return copy;
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
    }

    /** Forward in inference mode and metrics for one batch, as {@link #trainOnBatch} without learning. */
    @Override
    public Tensor testOnBatch(Tensor x, Tensor y, Tensor metrics, int slot) {
        requireLoss();
        Tensor p = forward(x, false);
        addMetrics(p, y, metrics, slot);
        addPenalties(x.rows(), metrics, slot, false);
        return p;
    }

    /**
     * Adds the regularizers' penalties into the loss accumulator at {@code metrics[slot]}, and
     * with {@code withGradients} their gradients to those {@link #backward} wrote (as
     * {@link #trainOnBatch} does). The penalty is weighted by the batch's row count because
     * the accumulator sums per-sample losses: the epoch's mean is then Keras's, whose loss
     * tracker averages (batch loss + penalty) over batches weighted by their size.
     */
    public void addPenalties(int rows, Tensor metrics, int slot, boolean withGradients) {
        for (Layer l : layers) {
            l.addPenalties(metrics, slot, rows, withGradients);
        }
    }

    private void addMetrics(Tensor p, Tensor y, Tensor metrics, int slot) {
        backend.lossSum(loss, p, y, metrics, slot);
        backend.countCorrect(accuracy(), p, y, metrics, slot + 2);
    }

    // ---------------------------------------------------------------- Keras's loops

    public History fit(HostTensor x, HostTensor y, FitOptions options) {
        return new Trainer(this).fit(x, y, options);
    }

    /** The loss and accuracy on (x, y), in batches of 32 as Keras's default, quietly. */
    public EvaluationResult evaluate(HostTensor x, HostTensor y) {
        return evaluate(x, y, 32, 0, System.out);
    }

    public EvaluationResult evaluate(HostTensor x, HostTensor y, int batchSize, int verbose, PrintStream out) {
        return new Trainer(this).evaluate(x, y, batchSize, verbose, out);
    }

    /** The outputs for x, in batches of 32. */
    public HostTensor predict(HostTensor x) {
        return predict(x, 32);
    }

    public HostTensor predict(HostTensor x, int batchSize) {
        return new Trainer(this).predict(x, batchSize);
    }

    // ---------------------------------------------------------------- summary

    /** The layer table Keras's {@code model.summary()} prints. */
    public String summary() {
        String rule = "_".repeat(65);
        StringBuilder sb = new StringBuilder();
        sb.append("Model: \"").append(name).append("\"\n").append(rule).append('\n');
        sb.append(row("Layer (type)", "Output Shape", "Param #")).append('\n');
        sb.append("=".repeat(65)).append('\n');
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String shape = l.outputFeatures() > 0 ? "(None, " + l.outputFeatures() + ")" : "?";
            String params = l.inputFeatures() > 0 ? String.valueOf(l.paramCount()) : "0 (unbuilt)";
            sb.append(row(l.name() + " (" + l.type() + ")", shape, params)).append('\n');
            if (i < layers.size() - 1) {
                sb.append(rule).append('\n');
            }
        }
        sb.append("=".repeat(65)).append('\n');
        long total = paramCount();
        sb.append(String.format(Locale.ROOT, "Total params: %,d%n", total));
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d%n", total));
        sb.append("Non-trainable params: 0\n").append(rule).append('\n');
        return sb.toString();
    }

    private static String row(String a, String b, String c) {
        return pad(" " + a, 29) + pad(b, 26) + c;
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
    }

    // ---------------------------------------------------------------- lifecycle

    private void requireBuilt() {
        if (!isBuilt()) {
            throw new IllegalStateException("model " + name + " is not built: compile it, with an input shape on"
                    + " its first layer, or call fit/build first");
        }
    }

    private void requireCompiled() {
        requireLoss();
        if (optimizer == null) {
            throw new IllegalStateException("model " + name + " has no optimizer: compile it with one to train");
        }
    }

    private void requireLoss() {
        if (loss == null) {
            throw new IllegalStateException("model " + name + " is not compiled: call compile(optimizer, loss)");
        }
        requireBuilt();
    }

    @Override
    public void close() {
        for (Layer l : layers) {
            l.close();
        }
        freeParameters();
        if (optimizer != null) {
            optimizer.close();
        }
        if (lossGrad != null) {
            lossGrad.close();
            lossGrad = null;
        }
        lastOutput = null;
        if (ownsBackend && backend != null) {
            backend.close();
            backend = null;
        }
    }
}
