package clnet.cli;

import clnet.backend.Backend;
import clnet.data.CsvTable;
import clnet.data.Mnist;
import clnet.data.Tabular;
import clnet.data.TextFolder;
import clnet.data.ImageFolder;
import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.tensor.HostTensor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code clnet predict}: a saved model's class and probability (or value) for the first samples of its kind of data. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print a saved model's predicted class and its probability (a regression: its value) for the"
                + " first samples of --data, beside their label where the data has one.")
final class PredictCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "A model saved by clnet train.")
    Path model;

    @Option(names = "--data", defaultValue = "data/mnist", paramLabel = "PATH",
            description = "What the model reads: an MNIST directory (its test images), a CSV file with the model's"
                    + " input columns (rows whose target cell is empty, or a file without the target column, are"
                    + " predicted without a label; 'N of M right' counts the labelled rows), images or texts in"
                    + " class folders, or one image or text file (default: ${DEFAULT-VALUE}, for an MNIST model"
                    + " only).")
    Path data;

    @Option(names = "--limit", defaultValue = "10", paramLabel = "N",
            description = "How many samples, from the first (default: ${DEFAULT-VALUE}).")
    int limit;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        Usage.require(spec.commandLine(), limit >= 1, "--limit must be at least 1");
        PrintStream out = main.out;
        try (Backend backend = device.open(out); Sequential m = ModelFile.load(model, backend)) {
            // one file is read as the model was trained to read (its data_config), whatever its name
            Object kind = TrainingData.dataKind(m);
            if (java.nio.file.Files.isRegularFile(data)) {
                return "text".equals(kind) ? predictTexts(out, m) : "csv".equals(kind) ? predictCsv(out, m)
                        : predictImages(out, m);
            }
            if (ImageFolder.looksLike(data)) {
                return predictImages(out, m);
            }
            if (TextFolder.looksLike(data)) {
                return predictTexts(out, m);
            }
            SavedModelData.requireMnistModel(m, model);
            Mnist.Part test = Mnist.loadSplit(data, Mnist.Split.TEST);
            int n = Math.min(limit, test.count());
            HostTensor p = m.predict(test.images().rowRange(0, n), 128);
            NonFinite.requireFinite(p, model.toString(), "test");
            out.println("sample  class  probability  label");
            int right = 0;
            for (int i = 0; i < n; i++) {
                int cls = p.argmaxRow(i);
                right += cls == test.labels()[i] ? 1 : 0;
                out.printf(Locale.ROOT, "%6d  %5d  %11.4f  %5d%s%n", i, cls, p.get(i, cls), test.labels()[i],
                        cls == test.labels()[i] ? "" : "  wrong");
            }
            out.printf(Locale.ROOT, "%d of %d right%n", right, n);
        }
        return 0;
    }

    /**
     * Pictures (a class-folder tree, or one PNG or JPEG): each one's class and its probability.
     * An MNIST model reads a picture as MNIST is: 28 x 28 grayscale, light digit on dark.
     */
    private Integer predictImages(PrintStream out, Sequential m) throws Exception {
        java.util.Map<String, Object> saved = TrainingData.dataKind(m) != null ? m.dataConfig() : null;
        if ((saved != null && !"images".equals(saved.get("kind"))) || (saved == null && !isFile(data))) {
            TrainingData.requireDataModel(m, model, "images"); // says what it was trained on
        }
        @SuppressWarnings("unchecked")
        java.util.List<String> classes = saved != null ? (java.util.List<String>) saved.get("classes")
                : java.util.stream.IntStream.range(0, m.outputFeatures()).mapToObj(Integer::toString).toList();
        ImageFolder folder = isFile(data) ? null : ImageOptions.read(data, saved);
        HostTensor x;
        if (folder != null) {
            x = folder.x().rowRange(0, Math.min(limit, folder.x().rows()));
        } else {
            float[] row = ImageOptions.picture(data, saved);
            x = new HostTensor(clnet.tensor.Shape.of(1, row.length), row);
        }
        HostTensor p = m.predict(x, 128);
        NonFinite.requireFinite(p, model.toString(), data.toString());
        printClasses(out, "image", folder != null ? fileNames(folder.files()) : java.util.List.of(data.toString()), p,
                classes, folder != null ? folder.labels() : null);
        return 0;
    }

    /** Texts (a class-folder tree, or one .txt file): each text's class and its probability. */
    private Integer predictTexts(PrintStream out, Sequential m) throws Exception {
        java.util.Map<String, Object> saved = TrainingData.requireDataModel(m, model, "text");
        java.util.List<String> classes = TextOptions.classes(saved);
        TextFolder folder = isFile(data) ? null : TextFolder.read(data, classes);
        java.util.List<String> texts = folder != null ? folder.texts() : java.util.List.of(TextFolder.readText(data));
        int n = Math.min(limit, texts.size());
        HostTensor p = m.predict(TextOptions.matrix(model, saved, texts.subList(0, n)), 128);
        NonFinite.requireFinite(p, model.toString(), data.toString());
        printClasses(out, "text", folder != null ? fileNames(folder.files()).subList(0, n)
                : java.util.List.of(data.toString()), p, classes, folder != null ? folder.labels() : null);
        return 0;
    }

    /** Rows of a CSV file with the columns the model was trained on: the class and its probability, or the value. */
    private Integer predictCsv(PrintStream out, Sequential m) throws Exception {
        // new rows need no target column: it is compared only where it is there
        Tabular rows = CsvOptions.fromSaved(model, CsvTable.read(data), TrainingData.requireCsvModel(m, model), false);
        int n = Math.min(limit, rows.rows());
        HostTensor p = m.predict(rows.x().rowRange(0, n), 128);
        NonFinite.requireFinite(p, model.toString(), data.toString());
        if (rows.task() == Tabular.Task.REGRESSION) {
            out.println("row  prediction  target");
            for (int i = 0; i < n; i++) {
                out.printf(Locale.ROOT, "%3d  %10.4f  %6s%n", i + 1, p.get(i, 0),
                        rows.values() == null || Float.isNaN(rows.values()[i]) ? "-" : Float.toString(rows.values()[i]));
            }
            return 0;
        }
        printClasses(out, "row", java.util.stream.IntStream.rangeClosed(1, n).mapToObj(Integer::toString).toList(), p,
                rows.classes(), rows.labels());
        return 0;
    }

    /**
     * One line per sample: its name, the predicted class and its probability, and with
     * {@code labels} the true class (and "wrong"), then how many were right.
     */
    private static void printClasses(PrintStream out, String what, java.util.List<String> names, HostTensor p,
                                     java.util.List<String> classes, int[] labels) {
        out.println(what + "  class  probability" + (labels != null ? "  label" : ""));
        int[] predicted = PlotCommand.predictedClasses(p);
        int right = 0;
        int labelled = 0;
        for (int i = 0; i < p.rows(); i++) {
            int cls = predicted[i];
            float prob = p.cols() == 1 ? (cls == 1 ? p.get(i, 0) : 1 - p.get(i, 0)) : p.get(i, cls);
            String label = "";
            if (labels != null && labels[i] == Tabular.NO_LABEL) {
                label = "  -"; // a CSV row whose target cell is empty
            } else if (labels != null) {
                boolean ok = cls == labels[i];
                right += ok ? 1 : 0;
                labelled++;
                label = "  " + classes.get(labels[i]) + (ok ? "" : "  wrong");
            }
            out.printf(Locale.ROOT, "%s  %s  %.4f%s%n", names.get(i), classes.get(cls), prob, label);
        }
        if (labels != null) {
            out.printf(Locale.ROOT, "%d of %d right%s%n", right, labelled, labelled < p.rows() ? " (of the labelled"
                    + " samples; " + (p.rows() - labelled) + " had no label)" : "");
        }
    }

    private static boolean isFile(Path p) {
        return java.nio.file.Files.isRegularFile(p);
    }

    private static java.util.List<String> fileNames(java.util.List<Path> files) {
        return files.stream().map(f -> f.getFileName().toString()).toList();
    }
}
