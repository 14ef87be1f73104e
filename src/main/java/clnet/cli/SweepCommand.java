package clnet.cli;

import clnet.backend.Backend;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.optim.Optimizer;
import clnet.plot.SweepPlot;
import clnet.train.FitOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code clnet sweep}: the lesson's "how many layers?" as a command. Trains each
 * architecture on the same Playground data, split and seeds, and prints the held-out
 * accuracy of each (median, min, max over seeds) against its size; a PNG shows every run.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train several architectures on the same Playground data and seeds; print held-out accuracy"
                + " against parameter count and plot it.")
final class SweepCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--layers", required = true, paramLabel = "N,N,...",
            description = "Hidden layer widths of one architecture; repeat for each (e.g. --layers 4,2 --layers 8,8,8).")
    List<String> architectures;

    @Option(names = "--seeds", defaultValue = "5", description = "Runs per architecture, seeds 1..N (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--activation", defaultValue = "relu", description = "Hidden activation (default: ${DEFAULT-VALUE}).")
    String activation;

    @Option(names = "--optimizer", defaultValue = "adam", description = "sgd, nesterov, rmsprop, adam (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "0.01", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--loss", defaultValue = "categorical_crossentropy",
            description = "categorical_crossentropy (two softmax units) or binary_crossentropy (one sigmoid unit)"
                    + " (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--epochs", defaultValue = "1000", description = "Epochs per run (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "10", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--out", defaultValue = "sweep.png", paramLabel = "PNG",
            description = "The plot of accuracy against parameters (default: ${DEFAULT-VALUE}).")
    Path plotFile;

    @Mixin
    PlaygroundOptions playground;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (!playground.given()) {
            playground.dataset = "spiral";
        }
        List<int[]> archs = new ArrayList<>();
        for (String a : architectures) {
            try {
                int[] w = Arrays.stream(a.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
                if (Arrays.stream(w).anyMatch(x -> x < 1)) {
                    throw new NumberFormatException();
                }
                archs.add(w);
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(cl, "--layers: '" + a + "' is not a list of positive widths");
            }
        }
        require(seeds >= 1, "--seeds must be at least 1");
        require(epochs >= 1, "--epochs must be at least 1");
        require(batchSize >= 1, "--batch-size must be at least 1");
        Activation hidden = parse(cl, "--activation", () -> Activation.parse(activation));
        Loss lossFn = parse(cl, "--loss", () -> Loss.parse(loss));
        parse(cl, "--optimizer/--lr", () -> Optimizer.create(optimizer, lr, null));
        TrainingData data = TrainingData.playground(playground, cl, lossFn);
        Usage.requireWritable(cl, "--out", plotFile); // now, not after every run has trained
        PrintStream out = main.out;
        out.printf(Locale.ROOT, "%s: %d training and %d held-out points, features %s; %s, %s lr %s, %d epochs,"
                        + " batch %d, %d seeds each%n", playground.dataset, data.xTrain().rows(), data.xTest().rows(),
                playground.features, activation, optimizer, lr, epochs, batchSize, seeds);
        int[] widest = archs.stream().map(a -> widths(a, data))
                .max(java.util.Comparator.comparingLong(SweepCommand::weights)).orElseThrow();
        List<SweepPlot.Run> runs = new ArrayList<>();
        try (Backend backend = device.openFor(widest, batchSize, out)) {
            out.printf(Locale.ROOT, "%-14s %8s %8s %8s %8s %9s%n", "layers", "params", "median", "min", "max", "time");
            for (int[] arch : archs) {
                String name = Arrays.toString(arch).replaceAll("[\\[\\] ]", "");
                double[] acc = new double[seeds];
                long params = 0;
                long t0 = System.nanoTime();
                for (int s = 1; s <= seeds; s++) {
                    try (Sequential model = new Sequential(backend).seed(s)) {
                        int inputs = data.xTrain().cols();
                        for (int w : arch) {
                            Dense d = new Dense(w, hidden);
                            model.add(model.layers().isEmpty() ? d.inputShape(inputs) : d);
                        }
                        model.add(new Dense(data.outputs(), lossFn == Loss.BINARY_CROSSENTROPY ? "sigmoid" : "softmax"));
                        model.compile(Optimizer.create(optimizer, lr, null), lossFn);
                        model.fit(data.xTrain(), data.yTrain(), new FitOptions().epochs(epochs).batchSize(batchSize)
                                .seed(s).verbose(0));
                        acc[s - 1] = model.evaluate(data.xTest(), data.yTest(), 256, 0, out).accuracy();
                        params = model.paramCount();
                        runs.add(new SweepPlot.Run(name, params, acc[s - 1]));
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                double[] sorted = acc.clone();
                Arrays.sort(sorted);
                double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
                out.printf(Locale.ROOT, "%-14s %8d %8.3f %8.3f %8.3f %8.1fs%n", name, params, median, sorted[0],
                        sorted[sorted.length - 1], seconds);
            }
        }
        out.println("wrote " + SweepPlot.write(runs, "held-out accuracy on " + playground.dataset + " ("
                + seeds + " seeds each)", plotFile));
        return 0;
    }

    private static int[] widths(int[] hidden, TrainingData data) {
        int[] w = new int[hidden.length + 2];
        w[0] = data.xTrain().cols();
        System.arraycopy(hidden, 0, w, 1, hidden.length);
        w[w.length - 1] = data.outputs();
        return w;
    }

    private void require(boolean ok, String message) {
        Usage.require(spec.commandLine(), ok, message);
    }

    private static <T> T parse(CommandLine cl, String option, java.util.function.Supplier<T> f) {
        return Usage.parse(cl, option, f);
    }

    /** The weights of a dense network of these widths (input first). */
    private static long weights(int[] widths) {
        long n = 0;
        for (int i = 1; i < widths.length; i++) {
            n += (long) widths[i - 1] * widths[i] + widths[i];
        }
        return n;
    }
}
