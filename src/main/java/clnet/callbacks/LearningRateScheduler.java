package clnet.callbacks;

import clnet.train.Callback;
import clnet.train.Trainer;

/**
 * Keras's {@code LearningRateScheduler}: before each epoch, the learning rate becomes
 * {@code schedule.rate(epoch, currentRate)} (epochs count from 0).
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
}
