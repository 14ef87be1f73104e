package clnet.callbacks;

import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.train.Callback;
import clnet.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Keras's {@code ModelCheckpoint}: saves the model (weights, optimizer state) after every
 * epoch, or with {@code saveBestOnly} only when {@code monitor} improved. {@code {epoch}} in
 * the file name becomes the epoch number (from 1, as Keras prints it). Each save is atomic,
 * and a model whose weights went non-finite is not saved ({@link ModelFile#save}).
 */
public final class ModelCheckpoint implements Callback {
    private final Sequential model;
    private final String pattern;
    private final String monitor;
    private final boolean saveBestOnly;
    private final boolean maximize;
    private double best;

    public ModelCheckpoint(Sequential model, String pattern, String monitor, boolean saveBestOnly) {
        this.model = model;
        this.pattern = pattern;
        this.monitor = monitor;
        this.saveBestOnly = saveBestOnly;
        this.maximize = monitor.endsWith("acc") || monitor.endsWith("accuracy");
    }

    /** The file of {@code epoch} (from 0). */
    public Path path(int epoch) {
        return Path.of(pattern.replace("{epoch}", String.format(Locale.ROOT, "%02d", epoch + 1)));
    }

    @Override
    public void onTrainBegin(Trainer.Run run) {
        best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        if (saveBestOnly) {
            Double current = logs.get(monitor);
            if (current == null) {
                throw new IllegalArgumentException("ModelCheckpoint monitors '" + monitor + "', which this run does"
                        + " not report (it reports " + logs.keySet() + ")");
            }
            if (!(maximize ? current > best : current < best)) {
                return;
            }
            best = current;
        }
        try {
            ModelFile.save(model, path(epoch));
        } catch (IOException e) {
            throw new UncheckedIOException(path(epoch) + ": " + e.getMessage(), e);
        }
    }
}
