package clnet.cli;

import clnet.data.Datasets;
import clnet.data.Mnist;
import clnet.data.MnistData;
import clnet.data.Playground;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/**
 * What a command trains on: inputs and targets for training and test, the test labels, how
 * many outputs the network needs, and for Playground data the points and features (for
 * the decision boundary).
 *
 * @param outputs  10 for MNIST; 2 for Playground data (two softmax units), or 1 with binary
 *                 cross-entropy (one sigmoid unit)
 * @param testImages MNIST's test images, for the sample grid; null for Playground data
 */
record TrainingData(String name, HostTensor xTrain, HostTensor yTrain, HostTensor xTest, HostTensor yTest,
                    int[] testLabels, int outputs, HostTensor testImages, Playground.Split points,
                    List<Playground.Feature> features) {

    static TrainingData mnist(Path dir, Loss loss) throws IOException {
        MnistData mnist = Mnist.load(dir);
        return new TrainingData("mnist_mlp", mnist.trainImages(), targets(loss, mnist.trainLabels(), 10),
                mnist.testImages(), targets(loss, mnist.testLabels(), 10), mnist.testLabels(), 10,
                mnist.testImages(), null, null);
    }

    /** The data config of a model trained on a CSV file; refused for other models. */
    static java.util.Map<String, Object> requireCsvModel(clnet.nn.Sequential m, Path file) {
        return requireDataModel(m, file, "csv");
    }

    /**
     * The kind of data a model reads ({@code csv}, {@code text}, {@code images}), as its
     * data_config says; null for none (MNIST's images, or a data_config without a kind: a Java
     * program's own notes).
     */
    static Object dataKind(clnet.nn.Sequential m) {
        return m.dataConfig() == null ? null : m.dataConfig().get("kind");
    }

    /** The data config of a model trained on data of {@code kind} ({@code csv}, {@code text}); refused for others. */
    static java.util.Map<String, Object> requireDataModel(clnet.nn.Sequential m, Path file, String kind) {
        if (!kind.equals(dataKind(m))) {
            Object trained = dataKind(m) == null ? "MNIST" : dataKind(m);
            throw new IllegalArgumentException(file + " was trained on " + trained + " data, not " + kind
                    + "; give it the kind of data it was trained on");
        }
        return m.dataConfig();
    }

    /**
     * A CSV table split into training and test rows ({@link clnet.data.Tabular#split}), with
     * {@code outputs} units ({@link #classOutputs}) trained with {@code loss}.
     */
    static TrainingData csv(String name, clnet.data.Tabular train, clnet.data.Tabular test, Loss loss, int outputs) {
        return new TrainingData(name, train.x(), targets(train, loss, outputs), test.x(), targets(test, loss, outputs),
                test.labels(), outputs, null, null, null);
    }

    /** A table's targets: its values for a regression, else its classes as {@code loss} expects them. */
    static HostTensor targets(clnet.data.Tabular t, Loss loss, int outputs) {
        return t.task() == clnet.data.Tabular.Task.REGRESSION ? t.targets() : targets(loss, t.labels(), outputs);
    }

    /**
     * The output units of a classifier of {@code classes} classes trained with {@code loss}, as
     * Keras builds them: one unit per class (two for two classes under a softmax: a single
     * softmax unit always outputs 1, so it would learn nothing), except binary cross-entropy
     * on two classes, one sigmoid unit. Binary cross-entropy on more classes trains a sigmoid
     * unit per class on one-hot rows (Keras's multi-label setting; clnet took it before).
     */
    static int classOutputs(Loss loss, int classes) {
        return loss == Loss.BINARY_CROSSENTROPY && classes == 2 ? 1 : classes;
    }

    static TrainingData playground(PlaygroundOptions options, CommandLine cl, Loss loss) {
        Playground.Split split = options.split(cl);
        List<Playground.Feature> features = options.features(cl);
        int outputs = loss == Loss.BINARY_CROSSENTROPY ? 1 : 2;
        return new TrainingData(options.dataset.trim().toLowerCase(java.util.Locale.ROOT) + "_mlp",
                split.train().features(features), targets(loss, split.train().label(), outputs),
                split.test().features(features), targets(loss, split.test().label(), outputs), split.test().label(),
                outputs, null, split, features);
    }

    /**
     * The targets a loss expects: class indices in one column for sparse categorical
     * cross-entropy and for one sigmoid output (binary), else one-hot rows.
     */
    static HostTensor targets(Loss loss, int[] labels, int outputs) {
        return loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY || outputs == 1
                ? Datasets.labelColumn(labels)
                : Datasets.toCategorical(labels, outputs);
    }
}
