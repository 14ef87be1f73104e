package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.cpu.CpuBackend;
import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.tensor.HostTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the command line says to special files, absurd values and numbers that went bad: one line, the right exit code. */
class HostileInputTest {
    private static final String SUBSET = "testdata/mnist-subset";

    @TempDir
    Path dir;

    /** Exit {@code code}, and the first line of standard error says it (a failure says nothing more; usage follows a usage error). */
    private static void oneLine(CliTest.Run r, int code, String contains) {
        assertEquals(code, r.code(), r.out() + r.err());
        assertTrue(r.err().lines().findFirst().orElse("").contains(contains), r.err());
        if (code == 1) {
            assertEquals(1, r.err().lines().count(), r.err());
        }
    }

    @Test
    @Timeout(60) // a FIFO must not block: a hang guard, not a timing
    void specialFilesAreRefusedNotReadForever() throws Exception {
        oneLine(CliTest.run("evaluate", "--model", "/dev/zero", "--data", SUBSET, "--device", "cpu"), 1,
                "/dev/zero: is not a regular file");
        Path fifo = dir.resolve("model.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        oneLine(CliTest.run("summary", "--model", fifo.toString()), 1, fifo + ": is not a regular file");

        // a directory where an IDX file belongs is a directory, not "missing"
        Path data = dir.resolve("mnist");
        Files.createDirectories(data.resolve("t10k-images-idx3-ubyte"));
        for (String f : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte")) {
            Files.copy(Path.of(SUBSET, f + ".gz"), data.resolve(f + ".gz"));
        }
        oneLine(CliTest.run("train", "--data", data.toString(), "--epochs", "1"), 1,
                "t10k-images-idx3-ubyte: is a directory, not an IDX file");
    }

    @Test
    void writesReplaceOnlyRegularFiles() throws Exception {
        Path target = Files.writeString(dir.resolve("keep.txt"), "mine");
        Path link = Files.createSymbolicLink(dir.resolve("m.safetensors"), target);
        oneLine(CliTest.run("train", "--data", SUBSET, "--epochs", "1", "--layers", "8", "--save", link.toString()), 2,
                "--save: " + link + ": is a symbolic link");
        oneLine(CliTest.run("train", "--data", SUBSET, "--epochs", "1", "--layers", "8", "--save", "/dev/null"), 2,
                "--save: /dev/null: is not a regular file");
        assertEquals("mine", Files.readString(target));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void absurdValuesAreUsageErrors() {
        oneLine(CliTest.run("train", "--device", "opencl:99999999999:0"), 2, "--device");
        oneLine(CliTest.run("evaluate", "--model", "m", "--batch-size", "0"), 2, "--batch-size must be at least 1");
        oneLine(CliTest.run("evaluate", "--model", "m", "--loss", "hinge"), 2, "--loss");
        oneLine(CliTest.run("predict", "--model", "m", "--limit", "0"), 2, "--limit must be at least 1");
    }

    /** Weights near float's limit make every output infinite: evaluate and predict fail, naming the sample. */
    @Test
    void outputsThatOverflowAreErrorsNotResults() throws Exception {
        Path good = dir.resolve("good.safetensors");
        assertEquals(0, CliTest.run("train", "--data", SUBSET, "--epochs", "1", "--layers", "8", "--device", "cpu",
                "--save", good.toString()).code());
        Path huge = dir.resolve("huge.safetensors");
        try (CpuBackend b = new CpuBackend(); Sequential m = ModelFile.load(good, b)) {
            List<HostTensor> w = m.getWeights();
            java.util.Arrays.fill(w.get(0).data(), 3e38f);
            m.setWeights(w);
            ModelFile.save(m, huge);
        }
        oneLine(CliTest.run("evaluate", "--model", huge.toString(), "--data", SUBSET, "--device", "cpu"), 1,
                huge + " gives NaN for the test set sample 0");
        oneLine(CliTest.run("predict", "--model", huge.toString(), "--data", SUBSET, "--device", "cpu"), 1,
                huge + " gives NaN for test sample 0");
    }

    /** RMSprop at lr 1e6 never reaches NaN (the cross-entropy is clipped) but diverges: the run says so. */
    @Test
    void aDivergingRunIsStoppedAndSaysSo() {
        Path model = dir.resolve("d.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", SUBSET, "--epochs", "3", "--layers", "32", "--lr", "1e6",
                "--device", "cpu", "--save", model.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().matches("clnet: error: the training loss grew from \\S+ to \\S+ \\(\\d+ times\\) by epoch 1:"
                + " training diverged; training stopped, nothing saved: no epoch ended well before it\\..*\n"), r.err());
        assertFalse(Files.exists(model));
    }

    /** The folder loaders (images, texts) refuse what they cannot use with one line naming the file or folder. */
    @Test
    void folderLoadersNameWhatIsWrong() throws Exception {
        Path one = dir.resolve("one-class");
        Files.createDirectories(one.resolve("only"));
        Files.writeString(one.resolve("only").resolve("a.txt"), "hello");
        Files.createDirectories(one.resolve("empty"));
        oneLine(CliTest.run("train", "--data", one.toString(), "--epochs", "1", "--device", "cpu"), 1,
                one.resolve("empty") + ": an empty class folder");
        Path pictures = dir.resolve("pictures");
        Files.createDirectories(pictures.resolve("a"));
        Files.createDirectories(pictures.resolve("b"));
        Files.writeString(pictures.resolve("a").resolve("broken.png"), "not a picture at all");
        Files.writeString(pictures.resolve("b").resolve("broken.png"), "not a picture either");
        oneLine(CliTest.run("train", "--data", pictures.toString(), "--epochs", "1", "--device", "cpu"), 1,
                pictures.resolve("a").resolve("broken.png") + ": not a PNG or JPEG image");
        oneLine(CliTest.run("train", "--data", SUBSET, "--epochs", "1", "--augment", "spin=3"), 2,
                "--augment: unknown transform 'spin'");
        oneLine(CliTest.run("train", "--data", "testdata/sklearn/iris.csv", "--epochs", "1", "--augment", "zoom=0.1"), 2,
                "--augment needs images");
    }
}
