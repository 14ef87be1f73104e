package clnet.optim;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Keras's RMSprop (not centered): lr 0.001, rho 0.9, momentum 0, epsilon 1e-7, the
 * epsilon added inside the square root as Keras 3 and tf.keras do (the multi-backend Keras 2.3
 * and earlier added it to the root).
 */
public final class RMSprop extends Optimizer {
    public static final float DEFAULT_LEARNING_RATE = 0.001f;
    public static final float DEFAULT_RHO = 0.9f;
    public static final float DEFAULT_EPSILON = 1e-7f;

    private final float rho;
    private final float momentum;
    private final float epsilon;

    public RMSprop() {
        this(DEFAULT_LEARNING_RATE);
    }

    public RMSprop(float learningRate) {
        this(learningRate, DEFAULT_RHO, 0f, DEFAULT_EPSILON);
    }

    public RMSprop(float learningRate, float rho, float momentum, float epsilon) {
        super(learningRate);
        if (!(rho >= 0f && rho < 1f) || !(momentum >= 0f && momentum <= 1f) || !(epsilon > 0f)) {
            throw new IllegalArgumentException("RMSprop needs 0 <= rho < 1, 0 <= momentum <= 1, epsilon > 0; got rho "
                    + rho + ", momentum " + momentum + ", epsilon " + epsilon);
        }
        this.rho = rho;
        this.momentum = momentum;
        this.epsilon = epsilon;
    }

    @Override
    public String id() {
        return "rmsprop";
    }

    @Override
    public List<String> slotNames() {
        return momentum == 0f ? List.of("velocity") : List.of("velocity", "momentum");
    }

    @Override
    protected void update(Backend backend, Tensor w, Tensor g, Tensor[] slots) {
        backend.rmspropStep(w, g, slots[0], slots.length > 1 ? slots[1] : null, learningRate, rho, momentum, epsilon);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("rho", rho);
        c.put("momentum", momentum);
        c.put("epsilon", epsilon);
        return c;
    }
}
