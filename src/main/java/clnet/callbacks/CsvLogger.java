package clnet.callbacks;

import clnet.train.Callback;
import clnet.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Keras's {@code CSVLogger}: one row per epoch run ({@code epoch,loss,accuracy,val_loss,
 * val_accuracy}, then {@code learning_rate} where a callback logs it: the history's order,
 * where Keras sorts the names), the file rewritten atomically after each epoch, so an interrupted run
 * leaves the rows of the epochs it finished and never half a file; a resumed run writes
 * the rows of the epochs before the checkpoint too.
 */
public final class CsvLogger implements Callback {
    private final Path file;

    public CsvLogger(Path file) {
        this.file = file;
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        // once every callback has seen the epoch: the history then holds what they logged (the learning rate)
        run.atEpochEnd(() -> {
            try {
                run.history().writeCsv(file); // a resumed run's history holds the epochs before it too
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + e.getMessage(), e);
            }
        });
    }
}
