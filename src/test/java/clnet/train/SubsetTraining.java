package clnet.train;

import clnet.data.Datasets;
import clnet.data.Mnist;
import clnet.data.MnistData;
import clnet.tensor.HostTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The committed MNIST subset (5000 training and 1000 test images), loaded once per test JVM. */
public final class SubsetTraining {
    public static final Path DIR = Path.of("testdata/mnist-subset");
    private static MnistData data;

    private SubsetTraining() {
    }

    public static synchronized MnistData data() {
        if (data == null) {
            try {
                data = Mnist.load(DIR);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return data;
    }

    public static HostTensor xTrain() {
        return data().trainImages();
    }

    public static HostTensor yTrain() {
        return Datasets.toCategorical(data().trainLabels(), 10);
    }

    public static HostTensor xTest() {
        return data().testImages();
    }

    public static HostTensor yTest() {
        return Datasets.toCategorical(data().testLabels(), 10);
    }
}
