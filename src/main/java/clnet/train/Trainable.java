package clnet.train;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.ops.Loss;

/**
 * What the training loop needs of a model: the loop ({@link Trainer}) is written against
 * this interface and never against a model class, so models depend on the loop and not the
 * other way round (Keras 3 keeps its trainer apart from its models the same way).
 */
public interface Trainable extends AutoCloseable {
    String name();

    /** The backend the weights live in; valid after {@link #build}. */
    Backend backend();

    /** The compiled loss, or null before {@code compile}. */
    Loss loss();

    /** Whether an optimizer was given at compile time: fit needs one, evaluate and predict do not. */
    boolean hasOptimizer();

    /** The seed of weight initialization, and of shuffling unless fit is given its own. */
    long seed();

    /**
     * Optimizer steps taken so far (Keras's {@code optimizer.iterations}): a later fit goes
     * on from here in the batch-order and augmentation streams rather than repeating them.
     */
    long stepsTaken();

    int outputFeatures();

    /** The metric reported beside the loss: {@code accuracy}, or {@code mae} for a regression. */
    String metricName();

    /** Fixes the input width and allocates the weights if not done yet; refuses another width. */
    void build(int inputFeatures);

    /** The outputs for a batch in inference mode; valid until the next call. */
    Tensor predictOnBatch(Tensor x);

    /** Forward, metrics, backward and update for one batch (see {@link Trainer} for the metric slots). */
    void trainOnBatch(Tensor x, Tensor y, Tensor metrics, int slot);

    /**
     * The first half of {@link #trainOnBatch}: forward in training mode, the loss and metric
     * sums into {@code metrics[slot]}, and backward, for rows {@code firstRow ..} of a step
     * whose whole batch has {@code batchRows} rows: the gradients written are this block's
     * share of the batch mean's, so that the blocks' gradients add up to the batch's.
     */
    void computeGradients(Tensor x, Tensor y, Tensor metrics, int slot, long firstRow, int batchRows);

    /**
     * The second half: the weight penalties (weighted by {@code batchRows}, into
     * {@code metrics[slot]} and the gradients), then one optimizer step from the gradients.
     */
    void applyGradients(int batchRows, Tensor metrics, int slot);

    /** The gradient tensors {@link #computeGradients} writes, in a fixed order. */
    java.util.List<Tensor> gradients();

    /**
     * The gradients as one tensor, the whole of the group whose parts {@link #gradients()}
     * are ({@link clnet.backend.TensorGroup}), or null when they are tensors of their own.
     */
    Tensor gradientsWhole();

    /** A copy in {@code other}, with the same weights and optimizer and layer state; the caller closes it. */
    Trainable replicate(Backend other);

    /** Frees what the model holds in its backend. */
    @Override
    void close();

    /** The weights, copied to the host (Keras's get_weights). */
    java.util.List<clnet.tensor.HostTensor> getWeights();

    void setWeights(java.util.List<clnet.tensor.HostTensor> weights);

    /** The optimizer's learning rate, and a new one for the following steps. */
    float learningRate();

    void setLearningRate(float rate);

    /** The weights and the optimizer's state, copied to the host. */
    Snapshot snapshot();

    /** Puts back a {@link #snapshot()}: the next step continues from it exactly. */
    void restore(Snapshot snapshot);

    /** Forward in inference mode and metrics for one batch. */
    Tensor testOnBatch(Tensor x, Tensor y, Tensor metrics, int slot);
}
