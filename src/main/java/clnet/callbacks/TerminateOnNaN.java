package clnet.callbacks;

import clnet.train.Callback;
import clnet.train.Snapshot;
import clnet.train.Trainer;
import java.util.Locale;
import java.util.Map;

/**
 * Keras's {@code TerminateOnNaN}: stops training when the training loss becomes NaN or
 * infinite, naming the epoch and the batch where it first did. Unlike Keras's, it also
 * puts back the weights and optimizer state of the last epoch whose loss was finite (or
 * those a resumed run started from), so that what is saved afterwards is usable; when no
 * epoch was finite the weights stay as they are and {@link #lastGoodEpoch()} is -1.
 *
 * <p>The loss is read once per epoch, not after every batch (that would wait for the device
 * at every step), so a run that goes bad trains on to the end of that epoch; the batch
 * named is still the first whose loss was not finite.
 */
public final class TerminateOnNaN implements Callback {
    private Snapshot lastGood;
    private int lastGoodEpoch = -1;
    private String reason;

    @Override
    public void onTrainBegin(Trainer.Run run) {
        reason = null;
        lastGood = null;
        lastGoodEpoch = -1;
        if (run.initialEpoch() > 0) {
            lastGood = run.snapshot(); // a resumed run starts from a checkpoint's good weights
            lastGoodEpoch = run.initialEpoch() - 1;
        }
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        double loss = logs.getOrDefault("loss", Double.NaN);
        if (Double.isFinite(loss)) {
            lastGood = run.snapshot();
            lastGoodEpoch = epoch;
            return;
        }
        int batch = run.firstNonFiniteBatch();
        String where = batch < 0 ? "" : String.format(Locale.ROOT, ", batch %d/%d", batch + 1, run.batches());
        reason = String.format(Locale.ROOT, "the training loss became %s in epoch %d%s", loss, epoch + 1, where);
        run.stopTraining();
        String restored = "";
        if (lastGood != null) {
            run.restore(lastGood);
            restored = String.format(Locale.ROOT, "; restored the weights of epoch %d", lastGoodEpoch + 1);
        }
        run.out().printf(Locale.ROOT, "Epoch %d%s: invalid loss, terminating training%s%n", epoch + 1, where,
                restored);
    }

    /** Whether training was stopped for a non-finite loss. */
    public boolean terminated() {
        return reason != null;
    }

    /** What went wrong and where ("the training loss became NaN in epoch 2, batch 17/469"), or null. */
    public String reason() {
        return reason;
    }

    /** The epoch (from 0) whose weights the model holds after a termination, or -1 if none was finite. */
    public int lastGoodEpoch() {
        return lastGoodEpoch;
    }
}
