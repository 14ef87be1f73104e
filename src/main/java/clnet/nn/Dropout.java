package clnet.nn;

import clnet.backend.Backend;
import clnet.backend.Parameter;
import clnet.backend.Tensor;
import clnet.tensor.Rng;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras's {@code Dropout(rate)}: in training, each element is dropped with probability
 * {@code rate} and the survivors are scaled by 1 / (1 - rate) (inverted dropout), so that
 * nothing changes at inference, where the layer passes its input through untouched.
 *
 * <p>The mask of a training step is a pure function of (the layer's key, the step, the
 * element of the step's whole batch) through Philox4x32-10 ({@link Backend#dropout}): both
 * backends draw the same mask bit for bit, the backward pass redraws it instead of storing
 * it, a batch split over devices draws the mask of the whole batch, and a run is
 * reproducible from its seed. The key comes from the model's seed like the weights; the
 * step counts the training steps ({@link Sequential#applyGradients}).
 */
public final class Dropout extends Layer {
    private final float rate;
    private int features;
    private Backend backend;
    private long key;
    private long step;
    private boolean built;
    private RowBuffers buffers;
    /** The stream of the last training forward pass, for its backward pass; -1 after an inference pass. */
    private long lastStream = -1;
    private int lastRows;
    /** The element offset of the last training forward pass, for its backward pass. */
    private long lastOffset;
    /** Where the next training pass's rows start in the step's whole batch (a device's row block). */
    private long firstRow;

    public Dropout(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("Dropout rate must be in [0, 1), got " + rate);
        }
        this.rate = (float) rate;
    }

    public float rate() {
        return rate;
    }

    /** Training steps so far: the next one draws the masks of stream {@code step()}. */
    public long step() {
        return step;
    }

    @Override
    public String type() {
        return "Dropout";
    }

    @Override
    public int declaredInputFeatures() {
        return 0;
    }

    @Override
    void configure(int inputFeatures) {
        this.features = inputFeatures;
    }

    @Override
    public int inputFeatures() {
        return features;
    }

    @Override
    public int outputFeatures() {
        return features;
    }

    @Override
    public long paramCount() {
        return 0;
    }

    @Override
    void build(Backend backend, Rng rng, List<Tensor> weights, List<Tensor> gradients) {
        close();
        this.backend = backend;
        this.buffers = new RowBuffers(backend, features); // allocated at the first batch
        this.key = rng.nextLong();
        this.step = 0;
        this.built = true;
    }

    @Override
    public boolean isBuilt() {
        return built;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (!training || rate == 0f) {
            lastStream = -1;
            return x; // Keras: nothing is dropped in evaluate and predict
        }
        Tensor y = buffers.output(x.rows());
        // every row block of a step (every device's, every micro-shard's) draws from the step's stream
        lastStream = step;
        lastRows = x.rows();
        lastOffset = firstRow * features;
        backend.dropout(x, y, rate, key, lastStream, lastOffset);
        return y;
    }

    @Override
    public Tensor backward(Tensor dOutput, boolean needInputGradient) {
        if (!needInputGradient) {
            return null;
        }
        if (lastStream < 0) {
            return dOutput; // the last pass dropped nothing
        }
        Tensor dx = buffers.gradient(lastRows);
        backend.dropout(dOutput, dx, rate, key, lastStream, lastOffset); // the same mask and scale
        return dx;
    }

    @Override
    void batchRowOffset(long firstRow) {
        this.firstRow = firstRow;
    }

    /**
     * The next step draws the next stream: every replica of a data-parallel step advances,
     * even one whose device had no rows in a short last batch.
     */
    @Override
    void stepDone() {
        step++;
        firstRow = 0;
    }

    /** The mask stream's key and the next step: saved with the model, so that a resumed run draws the masks it would have. */
    @Override
    public Map<String, Long> state() {
        return built ? Map.of("seed", key, "step", step) : Map.of();
    }

    @Override
    public void restoreState(Map<String, Long> state) {
        Long seed = state.get("seed");
        Long next = state.get("step");
        if (seed == null || next == null || next < 0) {
            throw new IllegalArgumentException("layer " + name() + ": dropout state needs a seed and a step >= 0, got "
                    + state);
        }
        key = seed;
        step = next;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("rate", rate);
        return c;
    }

    /** Dropout in model files: {@code rate}. */
    public static final class Type implements LayerType {
        @Override
        public String className() {
            return "Dropout";
        }

        @Override
        public Layer fromConfig(LayerConfig c) {
            return new Dropout(c.number("rate"));
        }
    }

    @Override
    public void close() {
        if (buffers != null) {
            buffers.close();
        }
        lastStream = -1;
    }
}
