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
 * Keras's {@code ModelCheckpoint}: saves the model (weights, optimizer state, and where
 * training stands, for {@code --resume}) after every epoch, or with {@code saveBestOnly} only when {@code monitor} improved. {@code {epoch}} in
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
        Double loss = logs.get("loss");
        if (loss != null && !Double.isFinite(loss)) {
            return; // a diverged epoch is no checkpoint (and TerminateOnNaN may have put older weights back)
        }
        if (saveBestOnly && !monitor.improvedBy(monitor.value(logs))) {
            return;
        }
        // after every callback has seen the epoch, so that the checkpoint holds their state for it
        run.atEpochEnd(() -> {
            try {
                ModelFile.save(model, path(epoch), run.trainingState());
            } catch (IOException e) {
                throw new UncheckedIOException(path(epoch) + ": " + e.getMessage(), e);
            }
        });
    }

    @Override
    public Map<String, Object> state() {
        return Map.of("best", monitor.best);
    }

    @Override
    public void restoreState(Map<String, Object> state) {
        monitor.best = ((Number) state.getOrDefault("best", monitor.best)).doubleValue();
    }
}
