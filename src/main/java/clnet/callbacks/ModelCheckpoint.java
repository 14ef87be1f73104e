package clnet.callbacks;

import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.train.Callback;
import clnet.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Keras's {@code ModelCheckpoint}: saves the model (weights, optimizer state, and where
 * training stands, for {@code --resume}) after every epoch, or with {@code saveBestOnly}
 * only when {@code monitor} improved. The file name takes Keras's fields, Python's
 * {@code str.format} of the epoch (from 1) and the epoch's logs: {@code
 * "weights.{epoch:02d}-{val_loss:.2f}.safetensors"} ({@link PathTemplate}). Each save is
 * atomic, and a model whose weights went non-finite is not saved ({@link ModelFile#save}).
 * As Keras's, it keeps the best value it has seen across calls of {@code fit}.
 */
public final class ModelCheckpoint implements Callback {
    private final Sequential model;
    private final PathTemplate path;
    private final Monitor monitor;
    private final boolean saveBestOnly;

    /** Refuses a file name whose fields it cannot fill in (a lone brace, a format it does not know). */
    public ModelCheckpoint(Sequential model, String pattern, String monitor, boolean saveBestOnly) {
        this.model = model;
        this.path = new PathTemplate(pattern);
        this.monitor = new Monitor("ModelCheckpoint", monitor, 0);
        this.saveBestOnly = saveBestOnly;
    }

    /** Throws IllegalArgumentException, saying why, where {@code pattern} is no file name this takes. */
    public static void checkPattern(String pattern) {
        new PathTemplate(pattern);
    }

    /** The file of {@code epoch} (from 0) with the epoch's logs. */
    public Path path(int epoch, Map<String, Double> logs) {
        return Path.of(path.format(epoch + 1, logs));
    }

    /** The file of {@code epoch} (from 0), for a name with no field but the epoch. */
    public Path path(int epoch) {
        return path(epoch, Map.of());
    }

    @Override
    public void onTrainBegin(Trainer.Run run) {
        if (saveBestOnly) {
            monitor.check(run, this);
        }
        // a field the run will not log is refused now, not at the first save after an epoch of training
        List<String> reported = run.logKeys();
        for (String field : path.fields()) {
            if (reported != null && !field.equals("epoch") && !reported.contains(field)) {
                throw new IllegalArgumentException("checkpoint path " + path.template() + ": no '" + field
                        + "' to put in it; this run reports epoch, " + String.join(", ", reported));
            }
        }
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
        // after every callback has seen the epoch, so that the checkpoint holds their state for it,
        // and its name what they logged (learning_rate) wherever they stand in the list
        run.atEpochEnd(() -> {
            Path file = path(epoch, logs);
            try {
                ModelFile.save(model, file, run.trainingState());
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + e.getMessage(), e);
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
