package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line on every backend: the same commands give the same kinds of result on each. */
class EveryDeviceCliTest {
    static java.util.stream.Stream<String> devices() {
        return clnet.TestBackends.deviceNames();
    }

    /** SGD at lr 1e8 diverges: both backends stop with the non-finite-loss error and save nothing. */
    @ParameterizedTest
    @MethodSource("devices")
    void aDivergingRunStopsWithTheNonFiniteLossError(String device, @TempDir Path tmp) {
        Path model = tmp.resolve("m.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", "testdata/mnist-subset", "--epochs", "5", "--layers", "32",
                "--optimizer", "sgd", "--lr", "1e8", "--dropout", "0", "--device", device, "--save", model.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().matches("clnet: error: the training loss became (NaN|Infinity) in epoch 1, batch \\d+/\\d+;"
                + " training stopped, nothing saved: no epoch ended well before it\\. Lower the learning rate.*\n"), r.err());
        assertFalse(Files.exists(model), "a diverged model was saved");
    }

    @ParameterizedTest
    @MethodSource("devices")
    void trainEvaluateAndPredictRoundTrip(String device, @TempDir Path tmp) {
        Path model = tmp.resolve("m.safetensors");
        CliTest.Run train = CliTest.run("train", "--data", "testdata/mnist-subset", "--epochs", "2", "--layers", "32",
                "--device", device, "--save", model.toString());
        assertEquals(0, train.code(), train.err());
        String accuracy = train.out().lines().filter(l -> l.startsWith("test accuracy: ")).findFirst().orElseThrow();
        assertTrue(Double.parseDouble(accuracy.substring("test accuracy: ".length())) > 0.75, accuracy); // 0.816 here
        CliTest.Run evaluate = CliTest.run("evaluate", "--model", model.toString(), "--data", "testdata/mnist-subset",
                "--device", device);
        assertEquals(0, evaluate.code(), evaluate.err());
        assertTrue(evaluate.out().contains(accuracy), accuracy + " vs " + evaluate.out());
        CliTest.Run predict = CliTest.run("predict", "--model", model.toString(), "--data", "testdata/mnist-subset",
                "--limit", "3", "--device", device);
        assertEquals(0, predict.code(), predict.err());
        assertEquals(3, predict.out().lines().filter(l -> l.matches("\\s+\\d+\\s+\\d+\\s+0\\.\\d+\\s+\\d+.*")).count(), predict.out());
    }

    /**
     * Four epochs straight, and two with a checkpoint then {@code --resume} to four (on the
     * checkpoint's device, found in it): the same weights bit for bit, dropout and RMSprop
     * state included.
     */
    @ParameterizedTest
    @MethodSource("devices")
    void aResumedRunEndsBitForBitWhereTheStraightRunEnds(String device, @TempDir Path tmp) throws Exception {
        Path straight = tmp.resolve("straight.safetensors");
        Path checkpoint = tmp.resolve("ck.safetensors");
        Path resumed = tmp.resolve("resumed.safetensors");
        Path csv = tmp.resolve("h.csv");
        CliTest.Run a = CliTest.run("train", "--data", "testdata/mnist-subset", "--layers", "32", "--epochs", "4",
                "--device", device, "--save", straight.toString());
        assertEquals(0, a.code(), a.err());
        CliTest.Run b = CliTest.run("train", "--data", "testdata/mnist-subset", "--layers", "32", "--epochs", "2",
                "--device", device, "--checkpoint", checkpoint.toString(), "--no-save");
        assertEquals(0, b.code(), b.err());
        CliTest.Run refused = CliTest.run("train", "--resume", checkpoint.toString(), "--layers", "64");
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("--layers cannot be combined with --resume"), refused.err());
        CliTest.Run c = CliTest.run("train", "--resume", checkpoint.toString(), "--data", "testdata/mnist-subset",
                "--epochs", "4", "--csv-log", csv.toString(), "--save", resumed.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().matches("(?s).*resuming .* after epoch \\d of 4\n.*Epoch 4/4\n.*"), c.out());
        assertTrue(c.out().contains("Dropout"), "the default mnist_mlp has dropout: " + c.out());
        assertEquals(5, Files.readAllLines(csv).size(), "a header and one row per epoch, those before the resume too");
        try (clnet.backend.Backend cpu = clnet.device.Backends.open("cpu:reference");
             clnet.nn.Sequential x = clnet.io.ModelFile.load(straight, cpu);
             clnet.nn.Sequential y = clnet.io.ModelFile.load(resumed, cpu)) {
            for (int i = 0; i < x.getWeights().size(); i++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(x.getWeights().get(i).data(),
                        y.getWeights().get(i).data(), device + " weight " + i);
            }
        }
    }

    /** MNIST with Keras's ImageDataGenerator transforms, warped on the device: it trains on every backend. */
    @ParameterizedTest
    @MethodSource("devices")
    void mnistTrainsWithAugmentation(String device) {
        CliTest.Run r = CliTest.run("train", "--data", "testdata/mnist-subset", "--epochs", "3", "--layers", "128",
                "--augment", "rotation=10,shift=0.1", "--device", device, "--no-save");
        assertEquals(0, r.code(), r.err());
        String accuracy = r.out().lines().filter(l -> l.startsWith("test accuracy: ")).findFirst().orElseThrow();
        assertTrue(Double.parseDouble(accuracy.substring("test accuracy: ".length())) > 0.7, accuracy); // 0.82 here
    }
}
