package clnet.cli;

import clnet.data.CsvTable;
import clnet.data.ImageFolder;
import clnet.data.Mnist;
import clnet.data.Tabular;
import clnet.data.TextFolder;
import clnet.nn.Sequential;
import clnet.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What {@code --data} names, read as a saved model was trained to read it: the one way
 * {@code evaluate} and {@code plot confusion} name a data set. An MNIST directory (its test
 * split), a CSV file (the model's columns), or a folder of class folders of images or texts
 * (the model's size and colour, or vocabulary).
 *
 * @param labels the class of each sample, or null for a regression
 * @param classes the class names, index i naming class i (empty for a regression)
 */
record SavedModelData(HostTensor x, HostTensor y, int[] labels, List<String> classes, String what) {
    static SavedModelData load(Path data, Sequential m, Path model) throws IOException {
        if (ImageFolder.looksLike(data)) {
            Map<String, Object> saved = TrainingData.requireDataModel(m, model, "images");
            ImageFolder f = ImageOptions.read(data, saved);
            return new SavedModelData(f.x(), TrainingData.targets(m.loss(), f.labels(), m.outputFeatures()),
                    f.labels(), f.classes(), data.toString());
        }
        if (TextFolder.looksLike(data)) {
            Map<String, Object> saved = TrainingData.requireDataModel(m, model, "text");
            TextFolder f = TextFolder.read(data, TextOptions.classes(saved));
            return new SavedModelData(TextOptions.matrix(model, saved, f.texts()),
                    TrainingData.targets(m.loss(), f.labels(), m.outputFeatures()), f.labels(), TextOptions.classes(saved),
                    data.toString());
        }
        if (CsvOptions.isCsv(data)) {
            Tabular rows = CsvOptions.fromSaved(model, CsvTable.read(data), TrainingData.requireCsvModel(m, model), true);
            return new SavedModelData(rows.x(), TrainingData.targets(rows, m.loss(), m.outputFeatures()), rows.labels(),
                    rows.classes(), data.toString());
        }
        requireMnistModel(m, model);
        Mnist.Part test = Mnist.loadSplit(data, Mnist.Split.TEST);
        return new SavedModelData(test.images(), TrainingData.targets(m.loss(), test.labels(), m.outputFeatures()),
                test.labels(), IntStream.range(0, 10).mapToObj(Integer::toString).toList(), "the test set");
    }

    /**
     * Refuses MNIST (the default --data) for a model trained on other data: its data_config says
     * what it reads, and MNIST's images would be read as that only by accident of width.
     */
    static void requireMnistModel(Sequential m, Path model) {
        if (TrainingData.dataKind(m) != null) {
            throw new IllegalArgumentException(model + " was trained on " + TrainingData.dataKind(m) + " data, not"
                    + " MNIST; name the data it reads with --data");
        }
        if (m.inputFeatures() != 28 * 28 || m.outputFeatures() != 10) {
            // no data_config, and not MNIST's shape: a Playground model, or one a Java program saved
            throw new IllegalArgumentException(model + " takes " + m.inputFeatures() + " inputs to "
                    + m.outputFeatures() + " outputs, not MNIST's 784 to 10; name the data it reads with --data (a"
                    + " Playground model: clnet plot boundary --model " + model + " --dataset NAME)");
        }
    }
}
