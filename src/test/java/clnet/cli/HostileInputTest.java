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

    @Test
    void outputPathsAreCheckedBeforeTraining() throws Exception {
        Path file = Files.writeString(dir.resolve("somefile"), "mine");
        CliTest.Run plot = CliTest.run("train", "--dataset", "xor", "--epochs", "1", "--no-save", "--device", "cpu",
                "--plot", file.toString());
        oneLine(plot, 2, "--plot: " + file + ": is not a directory");
        assertFalse(plot.out().contains("test loss"), "refused before training: " + plot.out());
        CliTest.Run under = CliTest.run("train", "--dataset", "xor", "--epochs", "1", "--no-save", "--device", "cpu",
                "--plot", file.resolve("plots").toString());
        oneLine(under, 2, "--plot: " + file + ": is not a directory");
        Files.createDirectories(dir.resolve("plots").resolve("history.png")); // a directory where a PNG goes
        oneLine(CliTest.run("train", "--dataset", "xor", "--epochs", "1", "--no-save", "--device", "cpu", "--plot",
                dir.resolve("plots").toString()), 2, "--plot: " + dir.resolve("plots").resolve("history.png")
                + ": is a directory");
        CliTest.Run sweep = CliTest.run("sweep", "--layers", "2", "--seeds", "1", "--epochs", "1", "--device", "cpu",
                "--out", dir.toString());
        oneLine(sweep, 2, "--out: " + dir + ": is a directory");
        assertFalse(sweep.out().contains("layers"), "refused before training: " + sweep.out());
        assertEquals("mine", Files.readString(file));
    }

    @Test
    void optionsThatTheCheckpointDefinesAreRefusedWithResume() {
        for (String[] option : new String[][] {{"--num-words", "50"}, {"--text-mode", "count"}, {"--image-size",
                "8x8"}, {"--color", "rgb"}, {"--target", "a"}, {"--inputs", "a,b"}, {"--task", "regression"}}) {
            oneLine(CliTest.run("train", "--resume", dir.resolve("ck.safetensors").toString(), option[0], option[1]), 2,
                    option[0] + " cannot be combined with --resume");
        }
    }

    /** A copy of model file {@code from} at {@code to}, {@code find} replaced by {@code replace} in its JSON header. */
    static Path forge(Path from, Path to, String find, String replace) throws Exception {
        byte[] b = Files.readAllBytes(from);
        int n = (int) java.nio.ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(b, 8, n, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.contains(find), header);
        StringBuilder h = new StringBuilder(header.replace(find, replace));
        while (h.length() % 8 != 0) {
            h.append(' '); // safetensors pads its header with spaces
        }
        byte[] hb = h.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + hb.length + b.length - 8 - n)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putLong(hb.length).put(hb).put(b, 8 + n, b.length - 8 - n);
        return Files.write(to, out.array());
    }

    /** Two classes of two 8 x 8 grayscale PNGs. */
    static Path tinyImages(Path dir) throws Exception {
        Path images = dir.resolve("images");
        for (String c : List.of("a", "b")) {
            for (int i = 0; i < 2; i++) {
                java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8,
                        java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
                img.getRaster().setSample(i, c.equals("a") ? 1 : 6, 0, 255);
                Files.createDirectories(images.resolve(c));
                javax.imageio.ImageIO.write(img, "png", images.resolve(c).resolve(i + ".png").toFile());
            }
        }
        return images;
    }

    @Test
    void aForgedDataConfigIsRefusedNamingTheFileAndTheField() throws Exception {
        Path images = tinyImages(dir);
        Path model = dir.resolve("img.safetensors");
        CliTest.Run t = CliTest.run("train", "--data", images.toString(), "--image-size", "8x8", "--layers", "4",
                "--epochs", "1", "--test-fraction", "0.5", "--device", "cpu", "--save", model.toString());
        assertEquals(0, t.code(), t.err());
        String[][] forgeries = {
            {"\\\"height\\\":8,", "\\\"height\\\":-5,", "'height' must be an integer from 1 to 4096, got -5"},
            {"\\\"height\\\":8,", "", "'height' must be an integer from 1 to 4096, got null"},
            {"\\\"height\\\":8,", "\\\"height\\\":1e9,", "'height' must be an integer from 1 to 4096"},
            {"\\\"height\\\":8,", "\\\"height\\\":9,", "images data of 72 inputs, but the model takes 64"},
            {"\\\"color\\\":\\\"grayscale\\\"", "\\\"color\\\":7", "'color' must be one of grayscale, rgb, got 7"},
            {"\\\"classes\\\":[\\\"a\\\",\\\"b\\\"]", "\\\"classes\\\":[\\\"a\\\",2]", "'classes' must be a list of strings"},
        };
        for (String[] f : forgeries) {
            Path forged = forge(model, dir.resolve("forged.safetensors"), f[0], f[1]);
            oneLine(CliTest.run("predict", "--model", forged.toString(), "--data", images.toString(), "--device",
                    "cpu"), 1, forged + ": data_config: " + f[2]);
        }
        // a vocabulary of 10^9 words would size every text at 4 GB
        Path text = dir.resolve("text.safetensors");
        assertEquals(0, CliTest.run("train", "--data", "testdata/spam-subset", "--num-words", "50", "--layers", "4",
                "--epochs", "1", "--device", "cpu", "--save", text.toString()).code());
        Path forged = forge(text, dir.resolve("forged-text.safetensors"), "\\\"num_words\\\":50",
                "\\\"num_words\\\":1e9");
        oneLine(CliTest.run("evaluate", "--model", forged.toString(), "--data", "testdata/spam-subset", "--device",
                "cpu"), 1, forged + ": data_config: 'tokenizer.num_words' must be an integer from 1 to 1048576, got 1e9");
        forged = forge(text, dir.resolve("forged-text.safetensors"), "\\\"num_words\\\":50", "\\\"num_words\\\":60");
        oneLine(CliTest.run("evaluate", "--model", forged.toString(), "--data", "testdata/spam-subset", "--device",
                "cpu"), 1, forged + ": data_config: text data of 60 inputs, but the model takes 50");
        // and an image model without --data is not given MNIST
        oneLine(CliTest.run("evaluate", "--model", model.toString(), "--device", "cpu"), 1,
                model + " was trained on images data, not MNIST; name the data it reads with --data");
    }

    @Test
    void sizesAreCheckedBeforeAllocating() throws Exception {
        Path images = tinyImages(dir);
        oneLine(CliTest.run("train", "--data", images.toString(), "--image-size", "1x16777216", "--epochs", "1",
                "--device", "cpu", "--no-save"), 2, "--image-size: '1x16777216': sides from 1 to 4096");
        oneLine(CliTest.run("train", "--data", images.toString(), "--image-size", "4096x4096", "--color", "rgb",
                "--epochs", "1", "--device", "cpu", "--no-save"), 2, "--image-size: 4096x4096 rgb gives 50331648 inputs"
                + " per image; clnet takes at most 16777216 (for " + images + ")");
        oneLine(CliTest.run("train", "--data", "testdata/spam-subset", "--num-words", "2000000", "--epochs", "1",
                "--device", "cpu", "--no-save"), 2, "--num-words must be from 2 to 1048576, got 2000000");
        oneLine(CliTest.run("plot", "boundary", "--model", dir.resolve("absent.safetensors").toString(), "--dataset",
                "xor", "--points", "6000000"), 2, "--points must be from 2 to 5000000, got 6000000");
        oneLine(CliTest.run("plot", "augment", "--data", SUBSET, "--count", "1", "--versions", "101", "--out",
                dir.resolve("a.png").toString()), 2, "--versions must be from 1 to 100");
        // within each bound, a picture of about 1.3 gigapixels (some 5 GiB as drawn): refused as a whole
        oneLine(CliTest.run("plot", "augment", "--data", SUBSET, "--count", "1000", "--versions", "100", "--out",
                dir.resolve("a.png").toString()), 2, "--count and --versions: ");
        assertFalse(Files.exists(dir.resolve("a.png")));
    }
}
