package clnet.optim;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Updates the parameters from their gradients, one backend op per parameter. The state an
 * optimizer keeps (momenta, squared-gradient averages) lives in the backend beside the
 * parameters, in "slots", allocated once when the model is compiled.
 */
public abstract class Optimizer implements AutoCloseable {
    protected float learningRate;
    private long iterations;
    private Backend backend;
    private List<Parameter> parameters = List.of();
    private final List<Tensor[]> slots = new ArrayList<>();

    protected Optimizer(float learningRate) {
        if (!(learningRate > 0f) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + learningRate);
        }
        this.learningRate = learningRate;
    }

    /** The Keras name: {@code sgd}, {@code rmsprop}, {@code adam}. */
    public abstract String id();

    public float learningRate() {
        return learningRate;
    }

    /** Steps taken so far (Keras's {@code optimizer.iterations}). */
    public long iterations() {
        return iterations;
    }

    /** How many state tensors, each the shape of its parameter, this optimizer keeps. */
    protected abstract int slotCount();

    /** Allocates the slots (zeroed) for {@code parameters} in {@code backend}. */
    public void build(Backend backend, List<Parameter> parameters) {
        close();
        iterations = 0; // fresh slots: Adam's bias correction starts over with them
        this.backend = backend;
        this.parameters = List.copyOf(parameters);
        for (Parameter p : parameters) {
            Tensor[] s = new Tensor[slotCount()];
            for (int i = 0; i < s.length; i++) {
                s[i] = backend.alloc(p.value().shape(), p.value().dtype());
            }
            slots.add(s);
        }
    }

    /** Applies one update to every parameter from its current gradient. */
    public final void step() {
        if (backend == null) {
            throw new IllegalStateException("optimizer " + id() + " is not built; compile the model first");
        }
        iterations++;
        beginStep(iterations);
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            update(backend, p.value(), p.gradient(), slots.get(i));
        }
    }

    /** Computes per-step constants (Adam's bias correction) on the host. */
    protected void beginStep(long step) {
    }

    protected abstract void update(Backend backend, Tensor w, Tensor g, Tensor[] slots);

    /** Hyper-parameters, under Keras's names, for the model file. */
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("learning_rate", learningRate);
        return c;
    }

    /**
     * An optimizer by Keras name with its Keras defaults, and the given learning rate and
     * momentum where not null (momentum applies to sgd and rmsprop).
     */
    public static Optimizer create(String name, Float learningRate, Float momentum) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        float m = momentum == null ? 0f : momentum;
        return switch (n) {
            case "sgd" -> new SGD(learningRate == null ? SGD.DEFAULT_LEARNING_RATE : learningRate, m, false);
            case "nesterov" -> new SGD(learningRate == null ? SGD.DEFAULT_LEARNING_RATE : learningRate,
                    momentum == null ? 0.9f : m, true);
            case "rmsprop" -> new RMSprop(learningRate == null ? RMSprop.DEFAULT_LEARNING_RATE : learningRate,
                    RMSprop.DEFAULT_RHO, m, RMSprop.DEFAULT_EPSILON);
            case "adam" -> {
                if (momentum != null) {
                    throw new IllegalArgumentException("adam takes no momentum (it has beta_1)");
                }
                yield new Adam(learningRate == null ? Adam.DEFAULT_LEARNING_RATE : learningRate);
            }
            default -> throw new IllegalArgumentException("unknown optimizer '" + name
                    + "' (known: sgd, nesterov, rmsprop, adam)");
        };
    }

    /** Rebuilds an optimizer from its {@link #id()} and {@link #config()}. */
    public static Optimizer fromConfig(String id, Map<String, ?> c) {
        float lr = number(c, "learning_rate");
        return switch (id) {
            case "sgd" -> new SGD(lr, number(c, "momentum"), Boolean.TRUE.equals(c.get("nesterov")));
            case "rmsprop" -> new RMSprop(lr, number(c, "rho"), number(c, "momentum"), number(c, "epsilon"));
            case "adam" -> new Adam(lr, number(c, "beta_1"), number(c, "beta_2"), number(c, "epsilon"));
            default -> throw new IllegalArgumentException("unknown optimizer '" + id + "'");
        };
    }

    private static float number(Map<String, ?> c, String key) {
        Object v = c.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("optimizer setting '" + key + "' missing or not a number: " + v);
        }
        return n.floatValue();
    }

    @Override
    public void close() {
        for (Tensor[] s : slots) {
            for (Tensor t : s) {
                t.close();
            }
        }
        slots.clear();
        backend = null;
        parameters = List.of();
    }

    @Override
    public String toString() {
        return id() + config();
    }
}
