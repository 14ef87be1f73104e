package clnet.callbacks;

import clnet.tensor.HostTensor;
import clnet.train.Callback;
import clnet.train.History;
import clnet.train.Trainer;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Keras's {@code EarlyStopping}: stops training when {@code monitor} has not improved by more
 * than {@code minDelta} for {@code patience} epochs, and with {@code restoreBestWeights} puts
 * back the weights of the best epoch when training ends, whether it stopped early or not, as
 * Keras 3 does (Keras 2 restored them only on an early stop). Restoring at the end rather
 * than at the stop also keeps a checkpoint of the last epoch whole: its weights and its
 * optimizer state are that epoch's. The mode (whether lower or higher is better) is
 * inferred from the name as Keras does: accuracies are maximized, everything else minimized.
 */
public final class EarlyStopping implements Callback {
    private final Monitor monitor;
    private final int patience;
    private final boolean restoreBestWeights;
    private int wait;
    private int bestEpoch = -1;
    private int stoppedEpoch = -1;
    private int restoredEpoch = -1;
    private List<HostTensor> bestWeights;

    public EarlyStopping(String monitor, int patience, double minDelta, boolean restoreBestWeights) {
        if (patience < 0 || !(minDelta >= 0)) {
            throw new IllegalArgumentException("EarlyStopping needs patience >= 0 and min_delta >= 0, got "
                    + patience + " and " + minDelta);
        }
        this.monitor = new Monitor("EarlyStopping", monitor, minDelta);
        this.patience = patience;
        this.restoreBestWeights = restoreBestWeights;
    }

    @Override
    public void onTrainBegin(Trainer.Run run) {
        monitor.check(run, this);
        monitor.reset();
        wait = 0;
        bestEpoch = -1;
        stoppedEpoch = -1;
        restoredEpoch = -1;
        bestWeights = null;
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        if (monitor.improvedBy(monitor.value(logs))) {
            bestEpoch = epoch;
            wait = 0;
            if (restoreBestWeights) {
                bestWeights = run.weights();
            }
            return;
        }
        wait++;
        if (wait >= patience && epoch > 0) {
            stoppedEpoch = epoch;
            run.stopTraining();
        }
    }

    @Override
    public void onTrainEnd(History history, Trainer.Run run) {
        // the best epoch's weights, unless they are the last epoch's anyway
        boolean restore = restoreBestWeights && bestWeights != null && bestEpoch != history.epochs() - 1;
        restoredEpoch = -1;
        if (restore) {
            run.setWeights(bestWeights);
            restoredEpoch = bestEpoch;
        }
        String restored = restore ? String.format(Locale.ROOT, "restored the weights of epoch %d (%s %.4f)",
                bestEpoch + 1, monitor.name, monitor.best) : "";
        if (stoppedEpoch >= 0) {
            run.out().printf(Locale.ROOT, "Epoch %d: early stopping%s%n", stoppedEpoch + 1,
                    restore ? "; " + restored : "");
        } else if (restore) {
            run.out().printf(Locale.ROOT, "EarlyStopping: %s, the best%n", restored);
        }
    }

    @Override
    public Map<String, Object> state() {
        Map<String, Object> s = new java.util.LinkedHashMap<>();
        s.put("wait", (double) wait);
        s.put("best", monitor.best);
        s.put("best_epoch", (double) bestEpoch);
        if (bestWeights != null) {
            s.put("best_weights", bestWeights);
        }
        return s;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void restoreState(Map<String, Object> state) {
        wait = ((Number) state.getOrDefault("wait", 0.0)).intValue();
        monitor.best = ((Number) state.getOrDefault("best", monitor.best)).doubleValue();
        bestEpoch = ((Number) state.getOrDefault("best_epoch", -1.0)).intValue();
        if (restoreBestWeights && state.get("best_weights") instanceof List<?> weights) {
            bestWeights = (List<HostTensor>) weights;
        }
    }

    /** The epoch training stopped after (counted from 0), or -1 if it ran to the end. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }

    /** The epoch whose weights were put back when training ended (counted from 0), or -1 if none were. */
    public int restoredEpoch() {
        return restoredEpoch;
    }

    /** The epoch with the best value (counted from 0), or -1 before the first. */
    public int bestEpoch() {
        return bestEpoch;
    }
}
