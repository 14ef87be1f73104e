package clnet.data;

import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The TensorFlow Playground's four classification data sets, with its generators (points
 * in the plane, about [-6, 6]², half of each class), its noise, and its extra input
 * features. Labels are the Playground's +1 / -1 as 1 / 0. The same seed gives the same
 * points; the Playground shuffles them and keeps a fraction for training (half by
 * default), as {@link #split} does.
 */
public final class Playground {
    private Playground() {
    }

    /** The Playground's defaults: 500 points, no noise, half of them for training. */
    public static final int DEFAULT_POINTS = 500;
    public static final double DEFAULT_TRAIN_FRACTION = 0.5;

    /** The data sets, by the Playground's names. */
    public enum Kind {
        SPIRAL, CIRCLE, XOR, GAUSSIAN;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.id().equals(name.trim().toLowerCase(Locale.ROOT))) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown data set '" + name + "' (known: spiral, circle, xor, gaussian)");
        }
    }

    /** The Playground's input features: x, y, x², y², x·y, sin x, sin y. */
    public enum Feature {
        X("x"), Y("y"), X_SQUARED("xx"), Y_SQUARED("yy"), X_TIMES_Y("xy"), SIN_X("sinx"), SIN_Y("siny");

        private final String id;

        Feature(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public double of(double x, double y) {
            return switch (this) {
                case X -> x;
                case Y -> y;
                case X_SQUARED -> x * x;
                case Y_SQUARED -> y * y;
                case X_TIMES_Y -> x * y;
                case SIN_X -> Math.sin(x);
                case SIN_Y -> Math.sin(y);
            };
        }

        public static List<Feature> parseList(List<String> names) {
            List<Feature> out = new ArrayList<>();
            for (String n : names) {
                Feature f = null;
                for (Feature c : values()) {
                    if (c.id.equals(n.trim().toLowerCase(Locale.ROOT))) {
                        f = c;
                    }
                }
                if (f == null) {
                    throw new IllegalArgumentException("unknown feature '" + n + "' (known: x, y, xx, yy, xy, sinx, siny)");
                }
                if (out.contains(f)) {
                    throw new IllegalArgumentException("feature '" + n + "' given twice");
                }
                out.add(f);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("no features");
            }
            return out;
        }
    }

    /** Points in the plane with a class each (0 or 1). */
    public record Points(double[] x, double[] y, int[] label) {
        public int size() {
            return label.length;
        }

        /** The feature matrix: one row per point, one column per feature. */
        public HostTensor features(List<Feature> features) {
            float[] d = new float[size() * features.size()];
            for (int i = 0; i < size(); i++) {
                for (int j = 0; j < features.size(); j++) {
                    d[i * features.size() + j] = (float) features.get(j).of(x[i], y[i]);
                }
            }
            return new HostTensor(Shape.of(size(), features.size()), d);
        }

        Points subset(int[] order, int from, int to) {
            double[] xs = new double[to - from];
            double[] ys = new double[to - from];
            int[] ls = new int[to - from];
            for (int i = from; i < to; i++) {
                xs[i - from] = x[order[i]];
                ys[i - from] = y[order[i]];
                ls[i - from] = label[order[i]];
            }
            return new Points(xs, ys, ls);
        }
    }

    /** Training and test points. */
    public record Split(Points train, Points test) {
    }

    /**
     * {@code n} points of {@code kind} with the Playground's {@code noise} (its slider's
     * 0-50 divided by 100, so 0 to 0.5), from {@code seed}.
     */
    public static Points generate(Kind kind, int n, double noise, long seed) {
        if (n < 2) {
            throw new IllegalArgumentException("a data set needs at least 2 points, got " + n);
        }
        if (!(noise >= 0 && noise <= 0.5)) {
            throw new IllegalArgumentException("noise must be in [0, 0.5] (the Playground's 0-50 %), got " + noise);
        }
        Rng rng = new Rng(seed ^ 0x504C4159L); // "PLAY": a stream of its own
        List<double[]> points = new ArrayList<>(); // x, y, label (+1 / -1)
        // exactly n points: the first class takes the odd one (the Playground's JavaScript
        // loops `i < n / 2` would make n + 1)
        int[] perClass = {n - n / 2, n / 2};
        switch (kind) {
            case SPIRAL -> {
                double half = n / 2.0; // a real number in the formula, as in the Playground
                double[][] arms = {{0, 1}, {Math.PI, -1}};
                for (int a = 0; a < 2; a++) {
                    double[] arm = arms[a];
                    for (int i = 0; i < perClass[a]; i++) {
                        double r = (double) i / half * 5;
                        double t = 1.75 * i / half * 2 * Math.PI + arm[0];
                        points.add(new double[] {r * Math.sin(t) + uniform(rng, -1, 1) * noise,
                                r * Math.cos(t) + uniform(rng, -1, 1) * noise, arm[1]});
                    }
                }
            }
            case CIRCLE -> {
                double radius = 5;
                for (int inside = 1; inside >= 0; inside--) {
                    for (int i = 0; i < perClass[1 - inside]; i++) {
                        double r = inside == 1 ? uniform(rng, 0, radius * 0.5) : uniform(rng, radius * 0.7, radius);
                        double angle = uniform(rng, 0, 2 * Math.PI);
                        double x = r * Math.sin(angle);
                        double y = r * Math.cos(angle);
                        double nx = x + uniform(rng, -radius, radius) * noise;
                        double ny = y + uniform(rng, -radius, radius) * noise;
                        points.add(new double[] {x, y, Math.hypot(nx, ny) < radius * 0.5 ? 1 : -1});
                    }
                }
            }
            case XOR -> {
                for (int i = 0; i < n; i++) {
                    double x = uniform(rng, -5, 5);
                    x += x > 0 ? 0.3 : -0.3; // the Playground's padding away from the axes
                    double y = uniform(rng, -5, 5);
                    y += y > 0 ? 0.3 : -0.3;
                    double nx = x + uniform(rng, -5, 5) * noise;
                    double ny = y + uniform(rng, -5, 5) * noise;
                    points.add(new double[] {x, y, nx * ny >= 0 ? 1 : -1});
                }
            }
            case GAUSSIAN -> {
                double variance = 0.5 + noise / 0.5 * 3.5; // the Playground's scale: noise 0..0.5 -> 0.5..4
                double[][] centres = {{2, 2, 1}, {-2, -2, -1}};
                for (int k = 0; k < 2; k++) {
                    double[] c = centres[k];
                    for (int i = 0; i < perClass[k]; i++) {
                        points.add(new double[] {normal(rng, c[0], variance), normal(rng, c[1], variance), c[2]});
                    }
                }
            }
        }
        double[] xs = new double[points.size()];
        double[] ys = new double[points.size()];
        int[] ls = new int[points.size()];
        for (int i = 0; i < points.size(); i++) {
            xs[i] = points.get(i)[0];
            ys[i] = points.get(i)[1];
            ls[i] = points.get(i)[2] > 0 ? 1 : 0;
        }
        return new Points(xs, ys, ls);
    }

    /** Shuffles the points (from {@code seed}) and keeps the first {@code trainFraction} for training, as the Playground does. */
    public static Split split(Points points, double trainFraction, long seed) {
        if (!(trainFraction > 0 && trainFraction < 1)) {
            throw new IllegalArgumentException("the training fraction must be in (0, 1), got " + trainFraction);
        }
        int[] order = new Rng(seed ^ 0x53504C4954L).permutation(points.size()); // "SPLIT"
        int at = (int) Math.floor(points.size() * trainFraction);
        if (at == 0 || at == points.size()) {
            throw new IllegalArgumentException(points.size() + " points are too few to keep " + trainFraction
                    + " for training");
        }
        return new Split(points.subset(order, 0, at), points.subset(order, at, points.size()));
    }

    private static double uniform(Rng rng, double a, double b) {
        return rng.nextDouble() * (b - a) + a;
    }

    /** The Playground's polar Box-Muller: mean and variance (not standard deviation). */
    private static double normal(Rng rng, double mean, double variance) {
        double v1;
        double v2;
        double s;
        do {
            v1 = 2 * rng.nextDouble() - 1;
            v2 = 2 * rng.nextDouble() - 1;
            s = v1 * v1 + v2 * v2;
        } while (s > 1 || s == 0);
        return mean + Math.sqrt(variance) * Math.sqrt(-2 * Math.log(s) / s) * v1;
    }
}
