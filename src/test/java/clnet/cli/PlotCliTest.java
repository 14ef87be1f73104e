package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** clnet plot, sweep and train --plot / --dataset from the command line. */
class PlotCliTest {
    @TempDir
    Path dir;

    private static void isPng(Path p) throws IOException {
        assertTrue(Files.isRegularFile(p), p.toString());
        assertTrue(ImageIO.read(p.toFile()).getWidth() > 100, p.toString());
    }

    @Test
    void trainOnThePlaygroundWithPlotsThenBoundaryAndHistoryAgain() throws Exception {
        Path model = dir.resolve("xor.safetensors");
        Path plots = dir.resolve("plots");
        CliTest.Run r = CliTest.run("train", "--dataset", "xor", "--features", "x,y,xy", "--layers", "4",
                "--optimizer", "adam", "--lr", "0.03", "--epochs", "40", "--batch-size", "10", "--device", "cpu",
                "--save", model.toString(), "--plot", plots.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("250 train samples"), r.out());
        for (String f : new String[] {"history.png", "confusion.png", "boundary.png"}) {
            isPng(plots.resolve(f));
        }
        assertTrue(Files.readString(plots.resolve("history.csv")).startsWith("epoch,loss,accuracy,val_loss,"
                + "val_accuracy\n0,"));
        CliTest.Run again = CliTest.run("plot", "history", plots.resolve("history.csv").toString(), "--out",
                dir.resolve("h.png").toString());
        assertEquals(0, again.code(), again.err());
        isPng(dir.resolve("h.png"));
        CliTest.Run boundary = CliTest.run("plot", "boundary", "--model", model.toString(), "--dataset", "xor",
                "--features", "x,y,xy", "--device", "cpu", "--out", dir.resolve("b.png").toString());
        assertEquals(0, boundary.code(), boundary.err());
        isPng(dir.resolve("b.png"));
        // evaluate reads MNIST by default: a Playground model is told so, not sent to fetch MNIST
        CliTest.Run evaluate = CliTest.run("evaluate", "--model", model.toString(), "--device", "cpu");
        assertEquals(1, evaluate.code(), evaluate.out());
        assertTrue(evaluate.err().contains(model + " takes 3 inputs to 2 outputs, not MNIST's 784 to 10"),
                evaluate.err());
        CliTest.Run wrongFeatures = CliTest.run("plot", "boundary", "--model", model.toString(), "--dataset", "xor",
                "--device", "cpu");
        assertEquals(2, wrongFeatures.code());
        assertTrue(wrongFeatures.err().contains("--features: the model takes 3 inputs, 2 features given"),
                wrongFeatures.err());
    }

    @Test
    void mnistPlotsAndTheSavedModelsConfusionAndSamples() throws Exception {
        Path model = dir.resolve("m.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", "testdata/mnist-subset", "--epochs", "1", "--layers", "16",
                "--device", "cpu", "--save", model.toString(), "--plot", dir.resolve("p").toString());
        assertEquals(0, r.code(), r.err());
        for (String f : new String[] {"history.png", "confusion.png", "samples.png"}) {
            isPng(dir.resolve("p").resolve(f));
        }
        for (String plot : new String[] {"confusion", "samples"}) {
            Path out = dir.resolve(plot + ".png");
            CliTest.Run p = CliTest.run("plot", plot, "--model", model.toString(), "--data", "testdata/mnist-subset",
                    "--device", "cpu", "--out", out.toString());
            assertEquals(0, p.code(), p.err());
            isPng(out);
        }
    }

    @Test
    void aSmallSweepPrintsItsTableAndPlot() throws Exception {
        Path png = dir.resolve("sweep.png");
        CliTest.Run r = CliTest.run("sweep", "--dataset", "circle", "--layers", "2", "--layers", "6,6", "--seeds",
                "2", "--epochs", "20", "--device", "cpu", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*\n2 +12 +[01]\\.\\d{3} .*"), r.out());
        assertTrue(r.out().matches("(?s).*\n6,6 +74 +[01]\\.\\d{3} .*"), r.out());
        isPng(png);
    }

    @Test
    void badPlaygroundOptionsAreUsageErrors() {
        String[][] cases = {{"--dataset", "moon"}, {"--dataset", "xor", "--features", "z"},
                {"--dataset", "xor", "--noise", "2"}, {"--dataset", "xor", "--train-fraction", "1"}};
        String[] names = {"--dataset", "--features", "--points/--noise", "--train-fraction"};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("train", "--epochs", "1", "--no-save", "--device", "cpu"));
            args.addAll(List.of(cases[i]));
            CliTest.Run r = CliTest.run(args.toArray(new String[0]));
            assertEquals(2, r.code(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.err().contains(names[i] + ": "), r.err());
        }
    }

    /** Plotting adds nothing to the training path: without --plot, train never loads XChart. */
    @Test
    void trainWithoutPlotLoadsNoPlottingLibrary() throws Exception {
        assertFalse(loadsXChart(false), "train without --plot loaded XChart classes");
        assertTrue(loadsXChart(true), "the check sees XChart when --plot is given");
    }

    private boolean loadsXChart(boolean plot) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-verbose:class", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train",
                "--data", "testdata/mnist-subset", "--epochs", "1", "--layers", "8", "--device", "cpu", "--no-save"));
        if (plot) {
            cmd.addAll(List.of("--plot", dir.resolve("v").toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("CLNET_RELAUNCHED", "1"); // this JVM is the one that runs
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out.substring(Math.max(0, out.length() - 2000)));
        return out.contains("org.knowm.xchart");
    }

    @org.junit.jupiter.api.Test
    void augmentShowsOriginalsBesideTheirVersions(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("augment.png");
        CliTest.Run r = CliTest.run("plot", "augment", "--data", "testdata/mnist-subset", "--count", "3", "--versions",
                "4", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(5 * (28 * 4 + 2), img.getWidth(), "an original and 4 versions per row");
        assertEquals(3 * (28 * 4 + 2), img.getHeight());
    }
}
