package clnet.callbacks;

import clnet.train.Callback;
import clnet.train.Trainer;
import java.util.Locale;
import java.util.Map;

/**
 * Keras's {@code ReduceLROnPlateau}: multiplies the learning rate by {@code factor} when
 * {@code monitor} has not improved by more than {@code minDelta} for {@code patience}
 * epochs, waits {@code cooldown} epochs before counting again, and never goes below
 * {@code minLr}. The rate changes
 * between steps; nothing is rebuilt or recompiled.
 */
public final class ReduceLROnPlateau implements Callback {
    private final Monitor monitor;
    private final double factor;
    private final int patience;
    private final int cooldown;
    private final float minLr;
    private int wait;
    private int cooling;

    public ReduceLROnPlateau(String monitor, double factor, int patience, double minDelta, int cooldown, float minLr) {
        if (!(factor > 0 && factor < 1) || patience < 0 || cooldown < 0 || !(minLr >= 0) || !(minDelta >= 0)) {
            throw new IllegalArgumentException("ReduceLROnPlateau needs 0 < factor < 1, patience, cooldown, min_delta"
                    + " and min_lr >= 0");
        }
        this.monitor = new Monitor("ReduceLROnPlateau", monitor, minDelta);
        this.factor = factor;
        this.patience = patience;
        this.cooldown = cooldown;
        this.minLr = minLr;
    }

    /** Keras's defaults: val_loss, factor 0.1, patience 10, min_delta 1e-4, no cooldown, min_lr 0. */
    public static ReduceLROnPlateau kerasDefaults() {
        return new ReduceLROnPlateau("val_loss", 0.1, 10, 1e-4, 0, 0f);
    }

    @Override
    public void onTrainBegin(Trainer.Run run) {
        monitor.check(run, this);
        monitor.reset();
        wait = 0;
        cooling = 0;
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        logs.put(LearningRateScheduler.LEARNING_RATE, (double) run.learningRate()); // the epoch's rate, as Keras 3 logs it
        double current = monitor.value(logs);
        if (cooling > 0) {
            cooling--;
            wait = 0;
        }
        if (monitor.improvedBy(current)) {
            wait = 0;
        } else if (cooling == 0 && ++wait >= patience) {
            float old = run.learningRate();
            if (old > minLr) {
                float lr = (float) Math.max(old * factor, minLr);
                run.setLearningRate(lr);
                run.out().printf(Locale.ROOT, "Epoch %d: ReduceLROnPlateau reducing learning rate to %s.%n",
                        epoch + 1, lr);
                cooling = cooldown;
                wait = 0;
            }
        }
    }

    @Override
    public Map<String, Object> state() {
        return Map.of("wait", (double) wait, "cooling", (double) cooling, "best", monitor.best);
    }

    @Override
    public void restoreState(Map<String, Object> state) {
        wait = ((Number) state.getOrDefault("wait", 0.0)).intValue();
        cooling = ((Number) state.getOrDefault("cooling", 0.0)).intValue();
        monitor.best = ((Number) state.getOrDefault("best", monitor.best)).doubleValue();
    }

    @Override
    public java.util.List<String> logsAdded() {
        return java.util.List.of(LearningRateScheduler.LEARNING_RATE);
    }
}
