package clnet.callbacks;

import clnet.train.Callback;
import clnet.train.Trainer;
import java.util.Map;

/**
 * Keras's {@code LearningRateScheduler}: before each epoch, the learning rate becomes
 * {@code schedule.rate(epoch, currentRate)} (epochs count from 0); after it, the epoch's
 * logs (and so the history) hold the rate it trained at as {@code learning_rate}, as
 * Keras 3's do.
 */
public final class LearningRateScheduler implements Callback {
    /** The rate for an epoch, given the rate so far. */
    public interface Schedule {
        float rate(int epoch, float current);
    }

    private final Schedule schedule;

    public LearningRateScheduler(Schedule schedule) {
        this.schedule = schedule;
    }

    @Override
    public void onEpochBegin(int epoch, Trainer.Run run) {
        run.setLearningRate(schedule.rate(epoch, run.learningRate()));
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        logs.put(LEARNING_RATE, (double) run.learningRate());
    }

    /** The key of the rate in an epoch's logs, Keras 3's. */
    public static final String LEARNING_RATE = "learning_rate";

    @Override
    public java.util.List<String> logsAdded() {
        return java.util.List.of(LearningRateScheduler.LEARNING_RATE);
    }
}
