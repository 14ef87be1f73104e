package clnet.cli;

import clnet.backend.Backend;
import clnet.data.Mnist;
import clnet.io.ModelFile;
import clnet.nn.Sequential;
import clnet.plot.ActivationPlots;
import clnet.plot.TrainingPlots;
import clnet.tensor.HostTensor;
import clnet.train.History;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code clnet plot}: PNG pictures of activations, a training history, and what a saved model does. */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw PNG plots: activations, a saved history, a model's confusion matrix, test samples, or"
                + " its decision boundary on a Playground data set.",
        subcommands = {PlotCommand.Activations.class, PlotCommand.HistoryPlot.class, PlotCommand.Confusion.class,
                PlotCommand.Samples.class, PlotCommand.Boundary.class, PlotCommand.Augment.class})
final class PlotCommand implements Runnable {
    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a plot is required: activations, history, confusion, samples, boundary or augment");
    }

    /** The plots {@code clnet train --plot DIR} writes at the end of a run. */
    static List<Path> afterTraining(Sequential model, History history, TrainingData in, Path dir) throws Exception {
        List<Path> written = new ArrayList<>();
        Path csv = dir.resolve("history.csv");
        history.writeCsv(csv);
        written.add(csv);
        written.add(TrainingPlots.history(history.history(), dir.resolve("history.png")));
        if (in.testLabels() == null) {
            return written; // a regression: no classes to confuse
        }
        int[] predicted = predictedClasses(model.predict(in.xTest(), 256));
        written.add(TrainingPlots.confusion(in.testLabels(), predicted, Math.max(2, model.outputFeatures()),
                dir.resolve("confusion.png")));
        if (in.testImages() != null) {
            written.add(TrainingPlots.samples(in.testImages(), in.testLabels(), predicted, 40,
                    dir.resolve("samples.png")));
        } else if (in.points() != null) {
            written.add(TrainingPlots.boundary(model, in.features(), in.points(), dir.resolve("boundary.png")));
        }
        return written;
    }

    /** The class of each row: the largest output, or output above 0.5 for one sigmoid unit. */
    static int[] predictedClasses(HostTensor p) {
        int[] out = new int[p.rows()];
        for (int i = 0; i < out.length; i++) {
            out[i] = p.cols() == 1 ? (p.get(i, 0) > 0.5f ? 1 : 0) : p.argmaxRow(i);
        }
        return out;
    }

    @Command(name = "activations", mixinStandardHelpOptions = true,
            description = "Each activation with its derivative on [-10, 10], one PNG each and a grid of all.")
    static final class Activations implements Callable<Integer> {
        @ParentCommand
        PlotCommand plot;

        @Option(names = "--out", defaultValue = "plots", paramLabel = "DIR",
                description = "Directory for the PNG files (default: ${DEFAULT-VALUE}).")
        Path out;

        @Override
        public Integer call() throws Exception {
            for (Path p : ActivationPlots.write(out)) {
                plot.main.out.println("wrote " + p);
            }
            return 0;
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "Redraw a history saved by clnet train --plot (history.csv).")
    static final class HistoryPlot implements Callable<Integer> {
        @ParentCommand
        PlotCommand plot;

        @Parameters(paramLabel = "FILE", description = "A history.csv.")
        Path file;

        @Option(names = "--out", paramLabel = "PNG", description = "The PNG to write (default: FILE with .png).")
        Path out;

        @Override
        public Integer call() throws Exception {
            Path target = out != null ? out : file.resolveSibling(file.getFileName().toString()
                    .replaceFirst("\\.csv$", "") + ".png");
            plot.main.out.println("wrote " + TrainingPlots.history(History.readCsv(file).history(), target));
            return 0;
        }
    }

    /** The options of the plots that run a saved model on MNIST's test set. */
    static class OnMnist {
        @ParentCommand
        PlotCommand plot;

        @Option(names = "--model", required = true, paramLabel = "PATH", description = "A model saved by clnet train.")
        Path model;

        @Option(names = "--data", defaultValue = "data/mnist", paramLabel = "PATH",
                description = "What the model was trained on: MNIST directory (its test set), CSV file, or folder of"
                        + " class folders (default: ${DEFAULT-VALUE}).")
        Path data;

        @Mixin
        DeviceOption device;

        /** The samples --data names (read as the model reads them), their labels, and the model's classes for them. */
        Object[] predict() throws Exception {
            PrintStream out = plot.main.out;
            try (Backend backend = device.open(out); Sequential m = ModelFile.load(model, backend)) {
                SavedModelData d = SavedModelData.load(data, m, model);
                if (d.labels() == null) {
                    throw new IllegalArgumentException(model + " is a regression: it has no classes to plot");
                }
                return new Object[] {d.x(), d.labels(), predictedClasses(m.predict(d.x(), 256)),
                        m.outputFeatures(), d};
            }
        }
    }

    @Command(name = "confusion", mixinStandardHelpOptions = true,
            description = "A saved model's confusion matrix on --data: the MNIST test set, or data of the kind the"
                    + " model was trained on.")
    static final class Confusion extends OnMnist implements Callable<Integer> {
        @Option(names = "--out", defaultValue = "confusion.png", paramLabel = "PNG",
                description = "The PNG to write (default: ${DEFAULT-VALUE}).")
        Path out;

        @Override
        public Integer call() throws Exception {
            Object[] r = predict();
            plot.main.out.println("wrote " + TrainingPlots.confusion((int[]) r[1], (int[]) r[2],
                    Math.max(2, (int) r[3]), out));
            return 0;
        }
    }

    @Command(name = "augment", mixinStandardHelpOptions = true,
            description = "MNIST test images (or a folder of images) beside versions augmented as train --augment does.")
    static final class Augment implements Callable<Integer> {
        @ParentCommand
        PlotCommand plot;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--data", defaultValue = "data/mnist", paramLabel = "DIR",
                description = "MNIST directory, or images in class folders (default: ${DEFAULT-VALUE}).")
        Path data;

        @Option(names = "--augment", defaultValue = "rotation=10,shift=0.1,shear=10,zoom=0.1", paramLabel = "SPEC",
                description = "The transforms, as train --augment (default: ${DEFAULT-VALUE}).")
        String augment;

        @Option(names = "--count", defaultValue = "6", description = "Images, one per row, 1 to 1000 (default:"
                + " ${DEFAULT-VALUE}).")
        int count;

        @Option(names = "--versions", defaultValue = "7", description = "Augmented versions of each, 1 to 100"
                + " (default: ${DEFAULT-VALUE}).")
        int versions;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the transforms (default: ${DEFAULT-VALUE}).")
        long seed;

        @CommandLine.Mixin
        ImageOptions image;

        @Option(names = "--out", defaultValue = "augment.png", paramLabel = "PNG",
                description = "The PNG to write (default: ${DEFAULT-VALUE}).")
        Path out;

        @Override
        public Integer call() throws Exception {
            clnet.ops.Augmentation a = Usage.parse(spec.commandLine(), "--augment",
                    () -> clnet.ops.Augmentation.parse(augment));
            // a picture of count x (versions + 1) images: bounded before anything is warped or drawn
            Usage.require(spec.commandLine(), count >= 1 && count <= 1000, "--count must be from 1 to 1000");
            Usage.require(spec.commandLine(), versions >= 1 && versions <= 100, "--versions must be from 1 to 100");
            HostTensor x;
            int[] shape;
            if (clnet.data.ImageFolder.looksLike(data)) {
                clnet.data.ImageFolder f = image.load(data, spec.commandLine());
                x = f.x();
                shape = new int[] {f.height(), f.width(), f.rgb() ? 3 : 1};
            } else {
                x = Mnist.loadSplit(data, Mnist.Split.TEST).images();
                shape = new int[] {28, 28, 1};
            }
            x = x.rowRange(0, Math.min(count, x.rows()));
            long pixels = clnet.plot.AugmentPlot.pixels(x.rows(), versions, shape[0], shape[1]);
            Usage.require(spec.commandLine(), pixels <= clnet.plot.AugmentPlot.MAX_PIXELS, String.format(
                    java.util.Locale.ROOT, "--count and --versions: %d images beside %d versions of %dx%d make a"
                            + " picture of %,d pixels; at most %,d (fewer --count or --versions, or a smaller"
                            + " --image-size)", x.rows(), versions, shape[0], shape[1], pixels,
                    clnet.plot.AugmentPlot.MAX_PIXELS));
            java.util.List<HostTensor> warped = new java.util.ArrayList<>();
            try (Backend cpu = clnet.device.Backends.open("cpu:reference");
                 clnet.backend.Tensor in = cpu.upload(x);
                 clnet.backend.Tensor m = cpu.alloc(x.rows(), clnet.ops.Augmentation.MATRIX);
                 clnet.backend.Tensor o = cpu.alloc(x.rows(), x.cols())) {
                for (int v = 0; v < versions; v++) {
                    cpu.upload(a.matrices(x.rows(), shape[0], shape[1], seed, v), m);
                    cpu.affineWarp(in, m, o, shape[0], shape[1], shape[2], a.constantFill(), a.cval());
                    warped.add(cpu.download(o));
                }
            }
            plot.main.out.println("wrote " + clnet.plot.AugmentPlot.write(x, warped, shape[0], shape[1], shape[2], out));
            return 0;
        }
    }

    @Command(name = "samples", mixinStandardHelpOptions = true,
            description = "MNIST test images with a saved model's predictions, mistakes in red.")
    static final class Samples extends OnMnist implements Callable<Integer> {
        @Option(names = "--out", defaultValue = "samples.png", paramLabel = "PNG",
                description = "The PNG to write (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--count", defaultValue = "40", description = "How many samples (default: ${DEFAULT-VALUE}).")
        int count;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Usage.require(spec.commandLine(), count >= 1, "--count must be at least 1");
            Object[] r = predict();
            if (!"the test set".equals(((SavedModelData) r[4]).what())) {
                throw new IllegalArgumentException("plot samples draws MNIST digits; for other data use plot confusion");
            }
            plot.main.out.println("wrote " + TrainingPlots.samples((HostTensor) r[0], (int[]) r[1], (int[]) r[2],
                    count, out));
            return 0;
        }
    }

    @Command(name = "boundary", mixinStandardHelpOptions = true,
            description = "A saved model's output over the plane, with the Playground points it was trained on"
                    + " (give the same --dataset options as to train).")
    static final class Boundary implements Callable<Integer> {
        @ParentCommand
        PlotCommand plot;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--model", required = true, paramLabel = "PATH", description = "A model saved by clnet train.")
        Path model;

        @Mixin
        PlaygroundOptions playground;

        @Mixin
        DeviceOption device;

        @Option(names = "--out", defaultValue = "boundary.png", paramLabel = "PNG",
                description = "The PNG to write (default: ${DEFAULT-VALUE}).")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (!playground.given()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--dataset is required: the data set the"
                        + " model was trained on (spiral, circle, xor, gaussian)");
            }
            var split = playground.split(spec.commandLine());
            var features = playground.features(spec.commandLine());
            try (Backend backend = device.open(plot.main.out); Sequential m = ModelFile.load(model, backend)) {
                if (m.inputFeatures() != features.size()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--features: the model takes "
                            + m.inputFeatures() + " inputs, " + features.size() + " features given");
                }
                plot.main.out.println("wrote " + TrainingPlots.boundary(m, features, split, out));
            }
            return 0;
        }
    }
}
