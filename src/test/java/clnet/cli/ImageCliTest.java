package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.data.Mnist;
import clnet.data.MnistData;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images in class folders: PNG digits written from the MNIST subset, one folder per digit,
 * train, evaluate and predict from the command line; and an MNIST model reads a digit drawn
 * dark on white (as in a paint program) the way MNIST draws it, light on dark.
 */
class ImageCliTest {
    @TempDir
    Path dir;

    /** Image {@code i} of {@code images} as a PNG, its pixels inverted when {@code darkOnLight}. */
    private static void png(MnistData mnist, int i, boolean darkOnLight, Path file) throws Exception {
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int r = 0; r < 28; r++) {
            for (int c = 0; c < 28; c++) {
                int v = Math.round(mnist.trainImages().get(i, r * 28 + c) * 255);
                img.getRaster().setSample(c, r, 0, darkOnLight ? 255 - v : v);
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void pngDigitsInClassFoldersTrainEvaluateAndPredict() throws Exception {
        MnistData mnist = Mnist.load(Path.of("testdata/mnist-subset"));
        Path digits = dir.resolve("digits");
        for (int i = 0; i < 1500; i++) {
            int label = mnist.trainLabels()[i];
            png(mnist, i, false, digits.resolve("digit-" + label).resolve(i + ".png"));
        }
        Files.writeString(digits.resolve(".DS_Store"), "finder metadata"); // hidden files are no data
        Files.writeString(digits.resolve("digit-0").resolve(".DS_Store"), "finder metadata");
        Path model = dir.resolve("digits.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", digits.toString(), "--layers", "128", "--epochs", "8",
                "--device", "cpu", "--save", model.toString());
        assertEquals(0, r.code(), r.err());
        double accuracy = Double.parseDouble(r.out().lines().filter(l -> l.startsWith("test accuracy: ")).findFirst()
                .orElseThrow().substring("test accuracy: ".length()));
        assertTrue(accuracy >= 0.8, r.out()); // about 0.9 on 300 held-out digits
        CliTest.Run e = CliTest.run("evaluate", "--model", model.toString(), "--data", digits.toString(),
                "--device", "cpu");
        assertEquals(0, e.code(), e.err());
        Path one = digits.resolve("digit-" + mnist.trainLabels()[0]).resolve("0.png");
        CliTest.Run p = CliTest.run("predict", "--model", model.toString(), "--data", one.toString(), "--device", "cpu");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().matches("(?s).*0\\.png  digit-\\d  [01]\\.\\d{4}\\n"), p.out());
    }

    @Test
    void anMnistModelReadsADarkOnLightDrawingAsMnist() throws Exception {
        Path model = dir.resolve("mnist.safetensors");
        assertEquals(0, CliTest.run("train", "--data", "testdata/mnist-subset", "--epochs", "3", "--layers", "128",
                "--device", "cpu", "--save", model.toString()).code());
        MnistData mnist = Mnist.load(Path.of("testdata/mnist-subset"));
        Path folder = dir.resolve("folder");
        png(mnist, 0, false, folder.resolve("a").resolve("0.png"));
        png(mnist, 1, false, folder.resolve("b").resolve("1.png"));
        CliTest.Run notImages = CliTest.run("predict", "--model", model.toString(), "--data", folder.toString(),
                "--device", "cpu");
        assertEquals(1, notImages.code());
        assertTrue(notImages.err().contains("was trained on MNIST data, not images"), notImages.err());
        int right = 0;
        for (int i = 0; i < 10; i++) {
            Path drawn = dir.resolve("drawn-" + i + ".png");
            png(mnist, i, true, drawn);
            CliTest.Run p = CliTest.run("predict", "--model", model.toString(), "--data", drawn.toString(),
                    "--device", "cpu");
            assertEquals(0, p.code(), p.err());
            String line = p.out().lines().filter(l -> l.startsWith(drawn.toString())).findFirst().orElseThrow();
            right += line.split("\\s+")[1].equals(Integer.toString(mnist.trainLabels()[i])) ? 1 : 0;
        }
        assertTrue(right >= 8, right + " of 10 inverted drawings read right"); // 0 of 10 without the inversion
    }
}
