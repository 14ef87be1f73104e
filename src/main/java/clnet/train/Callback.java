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

    /**
     * After an epoch, with its metrics ({@code loss}, {@code accuracy}, {@code val_loss}, ...);
     * epochs count from 0. A callback may add to {@code logs} (the learning-rate callbacks add
     * {@code learning_rate}, as Keras 3's do): callbacks after it, and the history, see it.
     */
    default void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
    }

    default void onTrainEnd(History history, Trainer.Run run) {
    }

    /** The names this callback adds to every epoch's logs ({@code learning_rate}), for others to watch. */
    default java.util.List<String> logsAdded() {
        return java.util.List.of();
    }

    /**
     * What this callback must carry across a checkpoint for a resumed run to behave as an
     * uninterrupted one (a best value, a wait count): values are {@code Double}s, or a list
     * of {@code HostTensor}s holding one tensor per model weight, in weight order (best
     * weights). Nothing by default.
     */
    default java.util.Map<String, Object> state() {
        return java.util.Map.of();
    }

    /** Puts back what {@link #state()} gave, in a resumed run, right after {@link #onTrainBegin}. */
    default void restoreState(java.util.Map<String, Object> state) {
    }
}
