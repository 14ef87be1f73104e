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
 * <p>It goes one better than Keras's and also stops a run that diverges without reaching NaN:
 * an epoch whose training loss is more than {@value #DIVERGENCE_FACTOR} times the loss the
 * run started from (the mean over its first batches, at least {@value #BASELINE_SAMPLES}
 * samples or the whole first epoch; or, resumed, the lowest epoch loss before the
 * checkpoint). Training lowers the loss; a loss several times its starting value means the
 * steps overshoot (a learning rate far too high), even where a clipped loss such as
 * cross-entropy's can never become infinite. One very small batch's loss would be no baseline:
 * a first sample that happens to fit well would make a healthy epoch look like divergence.
 *
 * <p>The loss is read once per epoch, not after every batch (that would wait for the device
 * at every step), so a run that goes bad trains on to the end of that epoch; the batch
 * named is still the first whose loss was not finite.
 */
public final class TerminateOnNaN implements Callback {
    /** How many times the starting loss an epoch's loss may reach before the run counts as diverged. */
    public static final double DIVERGENCE_FACTOR = 5;

    /**
     * How many samples, at least, the starting loss is averaged over: enough that a lucky
     * first sample is no baseline, few enough that at a common batch size (32 and more) it
     * is the first batch's, taken before any step could move the weights.
     */
    public static final int BASELINE_SAMPLES = 32;

    private Snapshot lastGood;
    private double startLoss = Double.NaN;
    private int lastGoodEpoch = -1;
    private String reason;

    @Override
    public void onTrainBegin(Trainer.Run run) {
        reason = null;
        lastGood = null;
        lastGoodEpoch = -1;
        startLoss = Double.NaN;
        if (run.initialEpoch() > 0) {
            lastGood = run.snapshot(); // a resumed run starts from a checkpoint's good weights
            lastGoodEpoch = run.initialEpoch() - 1;
            if (run.history().has("loss")) {
                startLoss = run.history().get("loss").stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
            }
        }
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        double loss = logs.getOrDefault("loss", Double.NaN);
        if (Double.isNaN(startLoss) && run.batches() > 0) {
            startLoss = startingLoss(run);
        }
        String where;
        if (!Double.isFinite(loss)) {
            int batch = run.firstNonFiniteBatch();
            where = batch < 0 ? "" : String.format(Locale.ROOT, ", batch %d/%d", batch + 1, run.batches());
            reason = String.format(Locale.ROOT, "the training loss became %s in epoch %d%s", loss, epoch + 1, where);
        } else if (startLoss > 0 && loss > DIVERGENCE_FACTOR * startLoss) {
            where = "";
            reason = String.format(Locale.ROOT, "the training loss grew from %.4g to %.4g (%.0f times) by epoch %d:"
                    + " training diverged", startLoss, loss, loss / startLoss, epoch + 1);
        } else {
            lastGood = run.snapshot();
            lastGoodEpoch = epoch;
            return;
        }
        run.stopTraining();
        String restored = "";
        if (lastGood != null) {
            run.restore(lastGood);
            restored = String.format(Locale.ROOT, "; restored the weights of epoch %d", lastGoodEpoch + 1);
        }
        run.out().printf(Locale.ROOT, "Epoch %d%s: %s loss, terminating training%s%n", epoch + 1, where,
                Double.isFinite(loss) ? "diverging" : "invalid", restored);
    }

    /** The mean loss of the first epoch's first batches, {@link #BASELINE_SAMPLES} samples or all there are. */
    private static double startingLoss(Trainer.Run run) {
        double sum = 0;
        long rows = 0;
        for (int b = 0; b < run.batches() && rows < BASELINE_SAMPLES; b++) {
            sum += (double) run.batchLoss(b) * run.batchRows(b); // a short last batch weighs what its rows do
            rows += run.batchRows(b);
        }
        return sum / rows;
    }

    /** The divergence baseline, so that a resumed run stops where the uninterrupted one would. */
    @Override
    public Map<String, Object> state() {
        return Double.isNaN(startLoss) ? Map.of() : Map.of("start_loss", startLoss);
    }

    @Override
    public void restoreState(Map<String, Object> state) {
        if (state.get("start_loss") instanceof Number n) {
            startLoss = n.doubleValue();
        }
    }

    /** Whether training was stopped for a non-finite loss. */
    public boolean terminated() {
        return reason != null;
    }

    /**
     * What went wrong and where ("the training loss became NaN in epoch 2, batch 17/469", "the
     * training loss grew from 2.303 to 14.51 (6 times) by epoch 1: training diverged"), or null.
     */
    public String reason() {
        return reason;
    }

    /** The epoch (from 0) whose weights the model holds after a termination, or -1 if none was finite. */
    public int lastGoodEpoch() {
        return lastGoodEpoch;
    }
}
