package clnet.optim;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.Parameter;
import clnet.backend.TensorGroup;
import clnet.tensor.HostTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Updates the parameters from their gradients. The state an optimizer keeps lives in the
 * backend beside the parameters, in named "slots" (Keras 3's names: {@code momentum},
 * {@code velocity}), one tensor per parameter and slot, allocated at the first step (Keras
 * builds its optimizer variables at the first apply too), so a model that is only evaluated
 * never holds them.
 *
 * <p>A model keeps its weights and their gradients in two {@link TensorGroup}s of one
 * layout and attaches with their wholes: each slot is then a group of that layout too, and
 * a step is one backend op over the wholes, one pass over every parameter (one kernel
 * launch on a GPU) rather than one per parameter. Parameters given without wholes take one
 * op each.
 *
 * <p>The state that a checkpoint needs is public: the slots ({@link #slotValues()}), the
 * step count ({@link #iterations()}) and the learning rate, which may change between steps
 * ({@link #setLearningRate}: a schedule) without rebuilding anything; {@link #restore}
 * puts saved state back, so training continues exactly where it stopped.
 */
public abstract class Optimizer implements AutoCloseable {
    protected float learningRate;
    private long iterations;
    private Backend backend;
    private List<Parameter> parameters = List.of();
    /** Per parameter, its slot tensors in {@link #slotNames()} order; empty until the first step. */
    private final List<Tensor[]> slots = new ArrayList<>();
    /** The wholes of the weights' and gradients' groups, or null: then one update per parameter. */
    private Tensor weights;
    private Tensor gradients;
    /** With wholes: each slot's group's whole, in {@link #slotNames()} order, owning the slots' storage. */
    private Tensor[] slotWholes;
    /** Restored slot values not yet uploaded: they go to the device at the first step. */
    private Map<String, HostTensor> pending = Map.of();

    protected Optimizer(float learningRate) {
        this.learningRate = checkedLearningRate(learningRate);
    }

    /** Keras takes 0 too: a schedule's warm-up may start there, and the step then changes nothing. */
    private static float checkedLearningRate(float learningRate) {
        if (!(learningRate >= 0f) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and not negative, got " + learningRate);
        }
        return learningRate;
    }

    /** The Keras name: {@code sgd}, {@code rmsprop}, {@code adam}. */
    public abstract String id();

    public float learningRate() {
        return learningRate;
    }

    /** Sets the learning rate of the following steps (a schedule, ReduceLROnPlateau). */
    public void setLearningRate(float learningRate) {
        this.learningRate = checkedLearningRate(learningRate);
    }

    /** Whether this optimizer updates exactly {@code parameters}: the same tensors, in order. */
    public boolean attachedTo(List<Parameter> parameters) {
        return backend != null && this.parameters.equals(parameters); // a record: its tensors by identity
    }

    /** Steps taken so far (Keras's {@code optimizer.iterations}). */
    public long iterations() {
        return iterations;
    }

    /** The names of the state tensors kept per parameter, each the shape of its parameter. */
    public abstract List<String> slotNames();

    /**
     * Attaches the optimizer to {@code parameters} in {@code backend}, with fresh state: no
     * steps taken, slots allocated at the first step.
     */
    public void attach(Backend backend, List<Parameter> parameters) {
        attach(backend, parameters, null, null);
    }

    /**
     * As {@link #attach(Backend, List)}, for parameters whose values and gradients are the
     * parts, in order, of the groups whose wholes are {@code weights} and {@code gradients}:
     * each step is then one update over the wholes.
     */
    public void attach(Backend backend, List<Parameter> parameters, Tensor weights, Tensor gradients) {
        if ((weights == null) != (gradients == null) || weights != null && (weights.groupLayout() == null
                || !weights.groupLayout().equals(gradients.groupLayout())
                || !weights.groupLayout().shapes().equals(parameters.stream().map(p -> p.value().shape()).toList()))) {
            throw new IllegalArgumentException("optimizer " + id() + ": weights and gradients must be wholes of one"
                    + " group layout with a part per parameter");
        }
        close();
        pending = Map.of();
        iterations = 0; // fresh slots: Adam's bias correction starts over with them
        this.backend = backend;
        this.parameters = List.copyOf(parameters);
        this.weights = weights;
        this.gradients = gradients;
    }

    /** Applies one update to every parameter from its current gradient. */
    public final void step() {
        if (backend == null) {
            throw new IllegalStateException("optimizer " + id() + " is not attached; compile the model first");
        }
        allocateSlots();
        iterations++;
        beginStep(iterations);
        if (weights != null) {
            update(backend, weights, gradients, slotWholes);
            return;
        }
        for (int i = 0; i < parameters.size(); i++) {
            Parameter p = parameters.get(i);
            update(backend, p.value(), p.gradient(), slots.get(i));
        }
    }

    /** Allocates the slots (zeroed) if not done yet; frees what it allocated if one allocation fails. */
    private void allocateSlots() {
        if (slots.size() == parameters.size()) {
            return; // allocated already (or none to allocate: no parameters)
        }
        List<Tensor[]> made = new ArrayList<>();
        Tensor[] wholes = weights == null ? null : new Tensor[slotNames().size()];
        try {
            if (wholes != null) {
                TensorGroup.Layout layout = weights.groupLayout();
                for (int i = 0; i < parameters.size(); i++) {
                    made.add(new Tensor[wholes.length]); // a row per parameter, even without slots (plain SGD)
                }
                for (int j = 0; j < wholes.length; j++) {
                    TensorGroup g = backend.allocGroup(layout.shapes(), layout.alignment());
                    wholes[j] = g.whole();
                    for (int i = 0; i < parameters.size(); i++) {
                        made.get(i)[j] = g.parts().get(i);
                    }
                }
            } else {
                for (Parameter p : parameters) {
                    Tensor[] s = new Tensor[slotNames().size()];
                    made.add(s);
                    for (int i = 0; i < s.length; i++) {
                        s[i] = backend.alloc(p.value().shape(), p.value().dtype());
                    }
                }
            }
            for (int i = 0; i < parameters.size() && !pending.isEmpty(); i++) {
                for (int j = 0; j < slotNames().size(); j++) {
                    backend.upload(pending.get(parameters.get(i).name() + "/" + slotNames().get(j)).data(),
                            made.get(i)[j]);
                }
            }
        } catch (RuntimeException e) {
            free(made);
            if (wholes != null) {
                free(List.<Tensor[]>of(wholes));
            }
            throw e;
        }
        slots.addAll(made);
        slotWholes = wholes;
        pending = Map.of();
    }

    /** Computes per-step constants (Adam's bias correction) on the host. */
    protected void beginStep(long step) {
    }

    protected abstract void update(Backend backend, Tensor w, Tensor g, Tensor[] slots);

    /**
     * The slots' values, copied to the host, keyed {@code <parameter>/<slot>} (for example
     * {@code dense_1/kernel/velocity}); empty before the first step.
     */
    public Map<String, HostTensor> slotValues() {
        if (!pending.isEmpty()) {
            return new LinkedHashMap<>(pending);
        }
        Map<String, HostTensor> values = new LinkedHashMap<>();
        for (int i = 0; i < slots.size(); i++) {
            for (int j = 0; j < slotNames().size(); j++) {
                values.put(parameters.get(i).name() + "/" + slotNames().get(j), backend.download(slots.get(i)[j]));
            }
        }
        return values;
    }

    /**
     * Puts saved state back: the step count, the learning rate and every slot of every
     * parameter (keys as {@link #slotValues()} gives them), which reach the device at the
     * next step; empty {@code values} (a state from before the first step) start the slots
     * from zero again. A missing, unknown or misshapen slot is
     * refused with its name, and nothing changes.
     */
    public void restore(Map<String, HostTensor> values, long iterations, float learningRate) {
        if (backend == null) {
            throw new IllegalStateException("optimizer " + id() + " is not attached; compile the model first");
        }
        if (iterations < 0) {
            throw new IllegalArgumentException("optimizer iterations must not be negative, got " + iterations);
        }
        float lr = checkedLearningRate(learningRate);
        if (!values.isEmpty()) {
            java.util.Set<String> expected = new java.util.LinkedHashSet<>();
            for (Parameter p : parameters) {
                for (String slot : slotNames()) {
                    String key = p.name() + "/" + slot;
                    expected.add(key);
                    HostTensor v = values.get(key);
                    if (v == null) {
                        throw new IllegalArgumentException("optimizer state has no slot " + key);
                    }
                    if (!v.shape().equals(p.value().shape())) {
                        throw new IllegalArgumentException("optimizer slot " + key + " has shape " + v.shape()
                                + "; its parameter has " + p.value().shape());
                    }
                }
            }
            for (String key : values.keySet()) {
                if (!expected.contains(key)) {
                    throw new IllegalArgumentException("optimizer state has a slot " + key + " that " + id()
                            + " does not keep for this model");
                }
            }
        }
        freeSlots();
        pending = new LinkedHashMap<>(values); // uploaded at the first step: evaluate never allocates them
        this.iterations = iterations;
        this.learningRate = lr;
    }

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
        freeSlots();
        backend = null;
        parameters = List.of();
        weights = gradients = null;
    }

    private void freeSlots() {
        free(slots); // a group's parts free nothing; their wholes below free the storage
        slots.clear();
        if (slotWholes != null) {
            free(List.<Tensor[]>of(slotWholes));
            slotWholes = null;
        }
    }

    private static void free(List<Tensor[]> tensors) {
        for (Tensor[] s : tensors) {
            for (Tensor t : s) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return id() + config();
    }
}
