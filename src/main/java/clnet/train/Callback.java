package clnet.train;

import java.util.Map;

/**
 * Keras's callbacks: plain objects that {@code fit} calls at the start and end of training,
 * of each epoch and of each batch. They belong to the training loop, not to the model; what
 * they may do to a run (stop it, change the learning rate, read or set the weights) goes
 * through the {@link Trainer.Run} they are given. Every hook does nothing unless overridden.
 */
public interface Callback {
    default void onTrainBegin(Trainer.Run run) {
    }

    default void onEpochBegin(int epoch, Trainer.Run run) {
    }

    /** After a training batch; the metrics stay on the device, so no logs are read here. */
    default void onBatchEnd(int epoch, int batch, Trainer.Run run) {
    }

    /** After an epoch, with its metrics ({@code loss}, {@code accuracy}, {@code val_loss}, ...); epochs count from 0. */
    default void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
    }

    default void onTrainEnd(History history, Trainer.Run run) {
    }
}
