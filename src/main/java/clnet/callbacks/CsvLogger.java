package clnet.callbacks;

import clnet.train.Callback;
import clnet.train.History;
import clnet.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Keras's {@code CSVLogger}: one row per epoch run ({@code epoch,loss,accuracy,val_loss,
 * val_accuracy}), the file rewritten atomically after each epoch, so an interrupted run
 * leaves the rows of the epochs it finished and never half a file.
 */
public final class CsvLogger implements Callback {
    private final Path file;
    private History rows;

    public CsvLogger(Path file) {
        this.file = file;
    }

    @Override
    public void onTrainBegin(Trainer.Run run) {
        rows = new History();
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
        rows.add(logs);
        try {
            rows.writeCsv(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }
}
