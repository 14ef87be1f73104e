package clnet.optim;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Keras's Adam: lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7. The bias correction is
 * folded into the step size, alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t), computed
 * on the host once per step; epsilon is added outside the root.
 */
public final class Adam extends Optimizer {
    public static final float DEFAULT_LEARNING_RATE = 0.001f;

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private float alpha;

    public Adam() {
        this(DEFAULT_LEARNING_RATE);
    }

    public Adam(float learningRate) {
        this(learningRate, 0.9f, 0.999f, 1e-7f);
    }

    public Adam(float learningRate, float beta1, float beta2, float epsilon) {
        super(learningRate);
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f) || !(epsilon > 0f)) {
            throw new IllegalArgumentException("Adam needs 0 <= beta_1, beta_2 < 1 and epsilon > 0; got "
                    + beta1 + ", " + beta2 + ", " + epsilon);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    @Override
    public String id() {
        return "adam";
    }

    @Override
    public List<String> slotNames() {
        return List.of("momentum", "velocity");
    }

    @Override
    protected void beginStep(long step) {
        // beta^t is rounded to float32, as Keras's float32 variables hold it.
        float b1t = (float) Math.pow(beta1, step);
        float b2t = (float) Math.pow(beta2, step);
        alpha = (float) (learningRate * Math.sqrt(1.0 - b2t) / (1.0 - b1t));
    }

    @Override
    protected void update(Backend backend, Tensor w, Tensor g, Tensor[] slots) {
        backend.adamStep(w, g, slots[0], slots[1], alpha, beta1, beta2, epsilon);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = super.config();
        c.put("beta_1", beta1);
        c.put("beta_2", beta2);
        c.put("epsilon", epsilon);
        return c;
    }
}
