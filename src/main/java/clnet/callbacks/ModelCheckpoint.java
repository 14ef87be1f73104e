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
    private final Monitor monitor;
    private final boolean saveBestOnly;

    public ModelCheckpoint(Sequential model, String pattern, String monitor, boolean saveBestOnly) {
        this.model = model;
        this.pattern = pattern;
        this.monitor = new Monitor("ModelCheckpoint", monitor, 0);
        this.saveBestOnly = saveBestOnly;
    }

    /** The file of {@code epoch} (from 0). */
    public Path path(int epoch) {
        return Path.of(pattern.replace("{epoch}", String.format(Locale.ROOT, "%02d", epoch + 1)));
    }

    @Override
    public void onTrainBegin(Trainer.Run run) {
        monitor.reset();
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        if (saveBestOnly && !monitor.improvedBy(monitor.value(logs))) {
            return;
        }
        try {
            ModelFile.save(model, path(epoch));
        } catch (IOException e) {
            throw new UncheckedIOException(path(epoch) + ": " + e.getMessage(), e);
        }
    }
}
