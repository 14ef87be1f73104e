package clnet.cli;

import clnet.data.Playground;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options that name a TensorFlow Playground data set, shared by train, sweep and plot boundary. */
final class PlaygroundOptions {
    @Option(names = "--dataset", paramLabel = "NAME",
            description = "A TensorFlow Playground data set instead of MNIST: spiral, circle, xor, gaussian.")
    String dataset;

    @Option(names = "--features", split = ",", defaultValue = "x,y", paramLabel = "F",
            description = "Playground input features: x, y, xx (x²), yy (y²), xy (x·y), sinx, siny (default: ${DEFAULT-VALUE}).")
    List<String> features;

    @Option(names = "--points", defaultValue = "500", paramLabel = "N",
            description = "Playground points, both classes together (default: ${DEFAULT-VALUE}, as the Playground).")
    int points;

    @Option(names = "--noise", defaultValue = "0", paramLabel = "X",
            description = "Playground noise in [0, 0.5] (its slider's 0-50 %%; default: ${DEFAULT-VALUE}).")
    double noise;

    @Option(names = "--train-fraction", defaultValue = "0.5", paramLabel = "X",
            description = "Share of the points for training; the rest is held out (default: ${DEFAULT-VALUE}).")
    double trainFraction;

    @Option(names = "--data-seed", defaultValue = "1", paramLabel = "N",
            description = "Seed of the Playground points and their split (default: ${DEFAULT-VALUE}).")
    long dataSeed;

    /** The most Playground points: ten thousand times the Playground's own 500 (checked before generating). */
    static final int MAX_POINTS = 5_000_000;

    boolean given() {
        return dataset != null;
    }

    /** The points, split; a bad option value is a usage error naming the option. */
    Playground.Split split(CommandLine cl) {
        Usage.require(cl, points >= 2 && points <= MAX_POINTS, "--points must be from 2 to " + MAX_POINTS + ", got "
                + points);
        Playground.Kind kind = usage(cl, "--dataset", () -> Playground.Kind.parse(dataset));
        Playground.Points p = usage(cl, "--points/--noise", () -> Playground.generate(kind, points, noise, dataSeed));
        return usage(cl, "--train-fraction", () -> Playground.split(p, trainFraction, dataSeed));
    }

    List<Playground.Feature> features(CommandLine cl) {
        return usage(cl, "--features", () -> Playground.Feature.parseList(features));
    }

    private static <T> T usage(CommandLine cl, String option, java.util.function.Supplier<T> f) {
        return Usage.parse(cl, option, f);
    }
}
