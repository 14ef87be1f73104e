package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.cpu.CpuBackend;
import clnet.data.Mnist;
import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.tensor.HostTensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The command line, run in-process: help, usage errors (exit 2), a short real training
 * run on the committed MNIST subset followed by evaluate, predict and summary on the
 * saved model, and failures (exit 1, one line on standard error).
 */
class CliTest {
    private static final String SUBSET = "testdata/mnist-subset";

    /** The result of one command line. */
    record Run(int code, String out, String err) {
        List<String> outLines() {
            return out.lines().toList();
        }
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.execute(args, o, e);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @TempDir
    static Path shared;

    /**
     * One training run, shared by the tests of its output and of the saved model. Runs that
     * compute pass {@code --device cpu}: {@code auto} would pick an OpenCL GPU where there is one.
     */
    private static Path model;
    private static Run train;

    @BeforeAll
    static void trainOnce() {
        model = shared.resolve("m.safetensors");
        train = run("train", "--data", SUBSET, "--epochs", "1", "--layers", "32", "--device", "cpu", "--save",
                model.toString());
    }

    // ---------------------------------------------------------------- help

    @ParameterizedTest
    @CsvSource({
        "--help,                 train evaluate predict summary --verbose",
        "train --help,           --data --layers --activation --optimizer --loss --epochs --batch-size"
                + " --validation-split --seed --device --save --no-save",
        "evaluate --help,        --model --data --loss --batch-size --device",
        "predict --help,         --model --data --limit --device",
        "summary --help,         --model",
        "help train,             --batch-size --validation-split --device",
    })
    void helpExitsZeroAndListsTheOptions(String args, String mentions) {
        Run r = run(args.split(" "));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Usage: clnet"), r.out());
        for (String word : mentions.split(" ")) {
            assertTrue(r.out().contains(word), "help of '" + args + "' mentions " + word + ":\n" + r.out());
        }
        assertEquals("", r.err());
    }

    // ---------------------------------------------------------------- usage errors

    @Test
    void noCommandIsAUsageError() {
        Run r = run();
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("a command is required"), r.err());
        assertTrue(r.err().contains("Usage: clnet [-hV]"), r.err());
        for (String command : new String[] {"train", "evaluate", "predict", "summary"}) {
            assertTrue(r.err().contains("\n  " + command + " "), "usage lists " + command + ":\n" + r.err());
        }
        assertEquals("", r.out());
    }

    @Test
    void unknownOptionIsAUsageError() {
        Run r = run("train", "--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("Unknown option: '--bogus'"), r.err());
        assertTrue(r.err().contains("Usage: clnet train"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void unknownCommandIsAUsageError() {
        Run r = run("fly");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("fly"), r.err());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "--activation swish      | --activation: unknown activation 'swish'",
        "--activation relu:0.1   | --activation: activation 'relu' takes no parameter",
        "--loss hinge            | --loss: unknown loss 'hinge'",
        "--epochs 0              | --epochs must be at least 1",
        "--batch-size 0          | --batch-size must be at least 1",
        "--optimizer adagrad     | --optimizer/--lr/--momentum: unknown optimizer 'adagrad'",
        "--lr -1                 | --optimizer/--lr/--momentum: learning rate must be finite and not negative",
        "--validation-split 1.5  | --validation-split must be in [0, 1)",
        "--validation-split -0.1 | --validation-split must be in [0, 1)",
        "--initializer zeros     | --initializer: unknown initializer 'zeros'",
        "--layers 32,0           | --layers widths must be positive: [32, 0]",
        "--epochs two            | Invalid value for option '--epochs': 'two' is not an int",
        "--momentum 2            | --optimizer/--lr/--momentum: RMSprop needs 0 <= rho < 1, 0 <= momentum <= 1",
        "--checkpoint ck-{epoch.st | --checkpoint: checkpoint path ck-{epoch.st: a '{' without its '}'",
    })
    void badTrainValuesAreUsageErrorsNamingTheOption(String option, String message) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--data", "/nonexistent", "--no-save"));
        args.addAll(Arrays.asList(option.split(" ")));
        Run r = run(args.toArray(String[]::new));
        // the settings are checked before the (missing) data is read, so a typo fails at once
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith(message), "err for " + option + ":\n" + r.err());
        assertTrue(r.err().contains("Usage: clnet train"), r.err());
        assertFalse(r.err().contains("no such directory"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void unknownDeviceFails() {
        Run r = run("evaluate", "--model", model.toString(), "--data", SUBSET, "--device", "tpu");
        assertTrue(r.code() == 1 || r.code() == 2, "exit " + r.code());
        assertTrue(r.err().contains("unknown device 'tpu'"), r.err());
        assertFalse(r.out().contains("test accuracy"), r.out());
    }

    @Test
    void predictLimitBelowOneIsAUsageError() {
        Run r = run("predict", "--model", model.toString(), "--data", SUBSET, "--limit", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("--limit must be at least 1"), r.err());
    }

    @Test
    void modelOptionIsRequired() {
        for (String cmd : new String[] {"evaluate", "predict", "summary"}) {
            Run r = run(cmd);
            assertEquals(2, r.code(), cmd);
            assertTrue(r.err().startsWith("Missing required option: '--model=PATH'"), cmd + ": " + r.err());
        }
    }

    // ---------------------------------------------------------------- train, evaluate, predict, summary

    private static final Pattern PROGRESS = Pattern.compile(
            "^40/40 \\[=+\\] - \\d+s \\d+(?:ms|us)/step - loss: (\\d\\.\\d{4}) - accuracy: (\\d\\.\\d{4})"
                    + " - val_loss: (\\d\\.\\d{4}) - val_accuracy: (\\d\\.\\d{4})$", Pattern.MULTILINE);

    @Test
    void trainPrintsKerasStyleProgressAndSavesTheModel() {
        assertEquals(0, train.code(), train.err());
        assertEquals("", train.err());
        String out = train.out();
        List<String> lines = train.outLines();
        assertTrue(lines.get(0).startsWith("device: cpu"), lines.get(0)); // the device comes first
        assertEquals("5000 train samples", lines.get(1));
        assertEquals("1000 test samples", lines.get(2));
        assertTrue(out.contains("Model: \"mnist_mlp\""), out);
        assertTrue(out.contains("Total params: 25,450"), out);
        assertTrue(lines.contains("Epoch 1/1"), out);
        assertFalse(out.contains("Epoch 2/"), out);
        assertFalse(out.contains("\r"), "no in-place redraws when the output is not a terminal");

        Matcher m = PROGRESS.matcher(out);
        assertTrue(m.find(), "progress line in:\n" + out);
        double loss = Double.parseDouble(m.group(1));
        double accuracy = Double.parseDouble(m.group(2));
        double valLoss = Double.parseDouble(m.group(3));
        double valAccuracy = Double.parseDouble(m.group(4));
        assertFalse(m.find(), "one progress line per epoch");
        // one epoch of a 784-32-10 MLP on 5000 images learns something, and not everything
        assertTrue(loss > 0.2 && loss < 2.3, "loss " + loss);
        assertTrue(accuracy > 0.3 && accuracy < 1.0, "accuracy " + accuracy);
        assertTrue(valAccuracy > 0.5 && valAccuracy < 1.0, "val_accuracy " + valAccuracy);

        // validation ran on the test set, so the final test metrics repeat it
        assertTrue(lines.contains(String.format(Locale.ROOT, "test loss: %.4f", valLoss)), out);
        assertTrue(lines.contains(String.format(Locale.ROOT, "test accuracy: %.4f", valAccuracy)), out);
        assertEquals("saved model to " + model, lines.get(lines.size() - 1));
        assertTrue(Files.isRegularFile(model));
    }

    private static String line(Run r, String prefix) {
        return r.outLines().stream().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line '" + prefix + "...' in:\n" + r.out()));
    }

    @Test
    void evaluateRepeatsTheTestMetricsOfTraining() {
        Run r = run("evaluate", "--model", model.toString(), "--data", SUBSET, "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals(line(train, "test accuracy: "), line(r, "test accuracy: "));
        assertEquals(line(train, "test loss: "), line(r, "test loss: "));
        assertTrue(line(r, "device: ").startsWith("device: cpu"), r.out());
        assertTrue(r.out().contains("8/8 [==============================]"), r.out());
    }

    @Test
    void evaluateWithSparseLossGivesTheSameNumbers() {
        // categorical and sparse categorical cross-entropy are the same loss on other targets
        Run r = run("evaluate", "--model", model.toString(), "--data", SUBSET, "--loss", "scce", "--device",
                "cpu");
        assertEquals(0, r.code(), r.err());
        assertEquals(line(train, "test accuracy: "), line(r, "test accuracy: "));
        assertEquals(line(train, "test loss: "), line(r, "test loss: "));
    }

    private static final Pattern SAMPLE = Pattern.compile("^ +(\\d+) +(\\d) +(\\d\\.\\d{4}) +(\\d)(  wrong)?$");

    @Test
    void predictPrintsOneLinePerImageAndTheScore() throws IOException {
        Run r = run("predict", "--model", model.toString(), "--data", SUBSET, "--limit", "5", "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        List<String> lines = r.outLines();
        assertTrue(lines.get(0).startsWith("device: cpu"), r.out());
        assertEquals("sample  class  probability  label", lines.get(1));
        assertEquals(8, lines.size(), r.out());

        // the model's own predictions, computed here from the saved file
        Mnist.Part test = Mnist.loadSplit(Path.of(SUBSET), Mnist.Split.TEST);
        HostTensor p;
        try (CpuBackend backend = new CpuBackend(); Sequential m = ModelFile.load(model, backend)) {
            p = m.predict(test.images().rowRange(0, 5));
        }
        int right = 0;
        for (int i = 0; i < 5; i++) {
            Matcher m = SAMPLE.matcher(lines.get(2 + i));
            assertTrue(m.matches(), "sample line '" + lines.get(2 + i) + "'");
            int cls = p.argmaxRow(i);
            assertEquals(i, Integer.parseInt(m.group(1)));
            assertEquals(cls, Integer.parseInt(m.group(2)), "class of sample " + i);
            assertEquals(String.format(Locale.ROOT, "%.4f", p.get(i, cls)), m.group(3), "probability of " + i);
            assertEquals(test.labels()[i], Integer.parseInt(m.group(4)), "label of sample " + i);
            assertEquals(cls != test.labels()[i], m.group(5) != null, "'wrong' mark of sample " + i);
            right += cls == test.labels()[i] ? 1 : 0;
        }
        // the first five MNIST test labels
        assertEquals(List.of(7, 2, 1, 0, 4), Arrays.stream(test.labels()).limit(5).boxed().toList());
        assertEquals(right + " of 5 right", lines.get(7));
    }

    @Test
    void predictLimitIsCappedAtTheTestSetSize() {
        Run r = run("predict", "--model", model.toString(), "--data", SUBSET, "--limit", "5000", "--device",
                "cpu");
        assertEquals(0, r.code(), r.err());
        assertEquals(1 + 1 + 1000 + 1, r.outLines().size());
        assertTrue(r.outLines().get(1002).matches("\\d+ of 1000 right"), r.outLines().get(1002));
    }

    @Test
    void summaryPrintsTheLayerTable() {
        Run r = run("summary", "--model", model.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        String out = r.out();
        assertTrue(out.startsWith("Model: \"mnist_mlp\""), out);
        assertTrue(out.contains(" dense (Dense)               (None, 32)                25120"), out);
        assertTrue(out.contains(" dense_1 (Dense)             (None, 10)                330"), out);
        assertTrue(out.contains("Total params: 25,450"), out);
        assertTrue(out.contains("Trainable params: 25,450"), out);
        assertTrue(out.contains("loss: categorical_crossentropy, optimizer: rmsprop"), out);
    }

    @Test
    void sparseCategoricalTrainingWithoutSaving() throws IOException {
        Path dir = shared.resolve("sparse");
        Files.createDirectories(dir);
        Run r = run("train", "--loss", "sparse_categorical_crossentropy", "--data", SUBSET, "--epochs", "1",
                "--layers", "16", "--device", "cpu", "--no-save", "--save",
                dir.resolve("never.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("Total params: 12,730"), r.out());
        Matcher m = PROGRESS.matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(4)) > 0.5, "val_accuracy " + m.group(4));
        assertFalse(r.out().contains("saved model to"), r.out());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "--no-save writes nothing");
        }
    }

    @Test
    void validationSplitValidatesOnTheEndOfTheTrainingSet() {
        Run r = run("train", "--data", SUBSET, "--epochs", "1", "--layers", "8", "--validation-split", "0.2",
                "--batch-size", "100", "--device", "cpu", "--no-save");
        assertEquals(0, r.code(), r.err());
        // 4000 training samples in batches of 100
        assertTrue(Pattern.compile("(?m)^40/40 \\[=+\\] - .* - val_loss: \\d\\.\\d{4} - val_accuracy: \\d\\.\\d{4}$")
                .matcher(r.out()).find(), r.out());
    }

    // ---------------------------------------------------------------- failures

    /** Exit 1 and exactly one line on standard error, without a stack trace. */
    private static String oneLineFailure(Run r) {
        assertEquals(1, r.code(), "exit code; err:\n" + r.err());
        assertTrue(r.err().endsWith("\n") || r.err().endsWith("\r\n"), r.err());
        List<String> errLines = r.err().lines().toList();
        assertEquals(1, errLines.size(), "one line on err:\n" + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
        assertTrue(errLines.get(0).startsWith("clnet: error: "), r.err());
        return errLines.get(0);
    }

    @Test
    void missingDataDirectory() {
        String line = oneLineFailure(run("train", "--data", "/nonexistent", "--no-save"));
        assertEquals("clnet: error: /nonexistent: no such directory; fetch MNIST with scripts/fetch-mnist.sh"
                + " (see README)", line);
    }

    @Test
    void missingDataFile() throws IOException {
        Path dir = copyOfSubset("missing");
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        String line = oneLineFailure(run("evaluate", "--model", model.toString(), "--data", dir.toString()));
        assertEquals("clnet: error: " + dir + ": no t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz in this"
                + " directory; fetch MNIST with scripts/fetch-mnist.sh (see README)", line);
    }

    private static Path copyOfSubset(String name) throws IOException {
        Path dir = Files.createDirectories(shared.resolve(name));
        try (Stream<Path> s = Files.list(Path.of(SUBSET))) {
            for (Path f : s.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    @Test
    void truncatedGzipImagesFile() throws IOException {
        Path dir = copyOfSubset("truncated-gz");
        Path f = dir.resolve("train-images-idx3-ubyte.gz");
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, bytes.length / 2));
        String line = oneLineFailure(run("train", "--data", dir.toString(), "--epochs", "1", "--no-save"));
        assertTrue(line.startsWith("clnet: error: " + f + ": truncated"), line);
        assertTrue(line.contains("5000 x 28 x 28 = 3920000 bytes of data"), line);
    }

    @Test
    void truncatedRawImagesFileWinsOverTheGzipOne() throws IOException {
        Path dir = copyOfSubset("truncated-raw");
        Path raw = dir.resolve("train-images-idx3-ubyte");
        // an IDX header for 5000 28x28 images, and only 100 bytes of pixels
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 + 100);
        b.putInt(0x00000803).putInt(5000).putInt(28).putInt(28);
        Files.write(raw, b.array());
        String line = oneLineFailure(run("train", "--data", dir.toString(), "--epochs", "1", "--no-save"));
        assertEquals("clnet: error: " + raw + ": truncated: the header declares 5000 x 28 x 28 = 3920000 bytes of"
                + " data but the file holds 100", line);
    }

    @Test
    void missingModelFile() {
        String line = oneLineFailure(run("evaluate", "--model", "/nonexistent.safetensors", "--data", SUBSET));
        assertEquals("clnet: error: /nonexistent.safetensors: no such model file", line);
        assertEquals("clnet: error: /nonexistent.safetensors: no such model file",
                oneLineFailure(run("summary", "--model", "/nonexistent.safetensors")));
        assertEquals("clnet: error: /nonexistent.safetensors: no such model file",
                oneLineFailure(run("predict", "--model", "/nonexistent.safetensors", "--data", SUBSET)));
    }

    @Test
    void damagedModelFile() throws IOException {
        Path bad = shared.resolve("cut.safetensors");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(bad, Arrays.copyOf(bytes, bytes.length - 40));
        String line = oneLineFailure(run("summary", "--model", bad.toString()));
        assertTrue(line.startsWith("clnet: error: " + bad + ": optimizer/dense_1/bias/velocity: data_offsets "), line);
        assertTrue(line.endsWith("(truncated file?)"), line);
    }

    @Test
    void verbosePrintsTheStackTrace() {
        for (String[] args : List.of(
                new String[] {"--verbose", "train", "--data", "/nonexistent", "--no-save"},
                new String[] {"train", "--data", "/nonexistent", "--no-save", "--verbose"})) {
            Run r = run(args);
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().startsWith("clnet: error: /nonexistent: no such directory"), r.err());
            assertTrue(r.err().contains("java.nio.file.NoSuchFileException"), r.err());
            assertTrue(r.err().contains("\tat clnet.data.Mnist."), r.err());
        }
        Run r = run("evaluate", "--model", "/nonexistent.safetensors", "--data", SUBSET, "--verbose");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("clnet.io.ModelFileException: /nonexistent.safetensors: no such model file"),
                r.err());
        assertTrue(r.err().contains("\tat clnet.io.ModelFile.load"), r.err());
    }

    @Test
    void anUnwritableSaveTargetIsRefusedBeforeTraining(@TempDir Path tmp) {
        Run r = run("train", "--data", "/nonexistent", "--device", "cpu", "--save", tmp.toString());
        // a usage error, found before the (missing) data is even looked at
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--save: " + tmp + ": is a directory"), r.err());
    }

    @Test
    void earlyStoppingStopsRestoresAndLogsOneRowPerEpoch(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws IOException {
        Path csv = tmp.resolve("h.csv");
        Run r = run("train", "--data", SUBSET, "--epochs", "40", "--layers", "64", "--early-stopping", "val_loss:2",
                "--csv-log", csv.toString(), "--device", "cpu", "--no-save");
        assertEquals(0, r.code(), r.err());
        List<String> epochs = r.out().lines().filter(l -> l.matches("Epoch \\d+/40")).toList();
        assertTrue(epochs.size() < 40, epochs.size() + " epochs");
        String stopped = r.out().lines().filter(l -> l.contains("early stopping")).findFirst().orElseThrow();
        assertTrue(stopped.matches("Epoch " + epochs.size() + ": early stopping; restored the weights of epoch \\d+"
                + " \\(val_loss [0-9.]+\\)"), stopped);
        List<String> rows = java.nio.file.Files.readAllLines(csv);
        assertEquals(epochs.size() + 1, rows.size(), "one row per epoch run");
        // validation here is the test set: the restored weights score what their epoch scored
        int best = Integer.parseInt(stopped.replaceAll(".*epoch (\\d+).*", "$1"));
        double bestValAccuracy = Double.parseDouble(rows.get(best).split(",")[4]);
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "test accuracy: %.4f", bestValAccuracy)),
                r.out());
        Path checkpoints = tmp.resolve("ck");
        Run ck = run("train", "--data", SUBSET, "--epochs", "2", "--layers", "16", "--checkpoint",
                checkpoints.resolve("m-{epoch}.safetensors").toString(), "--reduce-lr-on-plateau", "--device", "cpu",
                "--no-save");
        assertEquals(0, ck.code(), ck.err());
        assertTrue(java.nio.file.Files.isRegularFile(checkpoints.resolve("m-1.safetensors")), ck.out());
        Run bad = run("train", "--data", SUBSET, "--early-stopping", "val_los:3", "--no-save");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--early-stopping must be MONITOR:PATIENCE"), bad.err());
    }

    /** bench end to end on small data: one JSON result per device and batch; data-parallel lines and the threshold line. */
    @Test
    void benchTimesTrainingAndInferenceAndDataParallelRuns() {
        Run json = run("bench", "--device", "cpu:reference", "--data", SUBSET, "--samples", "256", "--epochs", "2",
                "--batch-size", "64", "--json");
        assertEquals(0, json.code(), json.err());
        assertTrue(json.out().matches("(?s)\\[\\{\"batch\":64,\"train_samples_per_s\":[0-9.E]+,\"ms_per_step\":.*"
                + "\"launches_per_step\":[0-9.]+,\"host_waits_per_epoch\":1,.*\"device\":\"cpu:reference\".*\\}\\]\n"),
                json.out());
        Run group = run("bench", "--devices", "cpu:reference,cpu", "--data", SUBSET, "--samples", "256", "--epochs",
                "1", "--per-device-batch", "32,512");
        assertEquals(0, group.code(), group.err());
        assertTrue(group.out().matches("(?s).*per-device batch    32 \\(batch    64\\): 1 device +[0-9,]+ samples/s, 2"
                + " devices +[0-9,]+ samples/s: [0-9.]+x \\([0-9.]+ N\\)\n.*"), group.out());
        assertTrue(group.out().contains("per-device batch   512: skipped, 2 devices need 1024 samples, --samples"
                + " gives 256"), group.out());
        assertTrue(group.out().matches("(?s).*(smallest per-device batch reaching 0.9 N \\(1.80x\\): 32|no per-device"
                + " batch of \\[32, 512\\] reached 0.9 N \\(1.80x\\))\n"), group.out());
        Run both = run("bench", "--devices", "cpu:reference,cpu", "--gemm");
        assertEquals(2, both.code(), both.err());
    }
}
