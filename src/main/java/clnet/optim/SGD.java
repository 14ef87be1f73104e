package clnet.optim;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import java.util.List;
import java.util.Map;

/** Keras's SGD: plain, with momentum, or Nesterov momentum. Defaults: lr 0.01, momentum 0. */
public final class SGD extends Optimizer {
    public static final float DEFAULT_LEARNING_RATE = 0.01f;

    private final float momentum;
    private final boolean nesterov;

    public SGD() {
        this(DEFAULT_LEARNING_RATE, 0f, false);
    }

    public SGD(float learningRate) {
        this(learningRate, 0f, false);
    }

    public SGD(float learningRate, float momentum, boolean nesterov) {
        super(learningRate);
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException("momentum must be in [0, 1], got " + momentum);
        }
        this.momentum = momentum;
        this.nesterov = nesterov;
    }

    @Override
    public String id() {
        return "sgd";
    }

    @Override
    public List<String> slotNames() {
        return momentum == 0f ? List.of() : List.of("momentum");
    }

    @Override
    protected void update(Backend backend, Tensor w, Tensor g, Tensor[] slots) {
        backend.sgdStep(w, g, slots.length == 0 ? null : slots[0], learningRate, momentum, nesterov);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("momentum", momentum);
        c.put("nesterov", nesterov);
        return c;
    }
}
