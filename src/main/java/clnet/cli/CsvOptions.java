package clnet.cli;

import clnet.data.CsvTable;
import clnet.data.Tabular;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options of a CSV file given as {@code --data}: which columns, which task, how it is split. */
final class CsvOptions {
    @Option(names = "--target", paramLabel = "COLUMN",
            description = "CSV: the column to predict (default: the last).")
    String target;

    @Option(names = "--inputs", split = ",", paramLabel = "COLUMN",
            description = "CSV: the input columns (default: every other column).")
    List<String> inputs;

    @Option(names = "--task", paramLabel = "TASK",
            description = "CSV: binary, multiclass or regression (default: from the target: text, or integers with at"
                    + " most 100 values, are classes; 2 classes are binary; other numbers a regression).")
    String task;

    @Option(names = "--test-fraction", defaultValue = "0.2", paramLabel = "X",
            description = "CSV, text and image folders: the share of samples held out for testing, after a seeded"
                    + " shuffle (default: ${DEFAULT-VALUE}).")
    double testFraction;

    @Option(names = "--split-seed", defaultValue = "1", paramLabel = "N",
            description = "CSV, text and image folders: the seed of that shuffle (default: ${DEFAULT-VALUE}).")
    long splitSeed;

    /** Whether {@code data} names a CSV file rather than an MNIST directory. */
    static boolean isCsv(Path data) {
        return !Files.isDirectory(data) && (Files.exists(data) || data.toString().toLowerCase().endsWith(".csv"));
    }

    /** The samples of {@code file}, as these options (or the data config of {@code model}, resumed) say. */
    Tabular load(Path file, CommandLine cl, Path model, Map<String, Object> saved) throws IOException {
        Usage.require(cl, testFraction > 0 && testFraction < 1, "--test-fraction must be in (0, 1)");
        Tabular.Task t = task == null ? null : Usage.parse(cl, "--task", () -> Tabular.Task.parse(task));
        CsvTable table = CsvTable.read(file);
        if (saved != null) {
            return fromSaved(model, table, saved, true);
        }
        return Tabular.from(table, target, inputs, t, null);
    }

    /**
     * The samples of {@code table} as the saved model {@code model} (null: the one being
     * resumed) reads them: its inputs, target, task and classes; without
     * {@code targetRequired}, rows may lack the target column.
     */
    @SuppressWarnings("unchecked")
    static Tabular fromSaved(Path model, CsvTable table, Map<String, Object> saved, boolean targetRequired)
            throws IOException {
        try {
            return Tabular.from(table, (String) saved.get("target"), (List<String>) saved.get("inputs"),
                    Tabular.Task.parse((String) saved.get("task")), ((List<String>) saved.get("classes")).isEmpty()
                            ? null : (List<String>) saved.get("classes"), targetRequired);
        } catch (ClassCastException | NullPointerException e) {
            throw new IOException((model == null ? "the model" : model) + ": its data_config is malformed: " + saved);
        }
    }
}
