package clnet.plot;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.ops.Activation;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Each element-wise activation and its derivative on [-10, 10], as the lesson draws them:
 * the function and its derivative in two colours, axes through the origin, a legend. The
 * curves are the backend's own ops ({@code activationForward}, and {@code activationBackward}
 * with dA = 1), not a second copy of the formulas. Softmax is left out: it maps a row to a
 * row, and its derivative is a matrix (the Jacobian), not a curve.
 */
public final class ActivationPlots {
    private ActivationPlots() {
    }

    public static final Color FUNCTION = new Color(31, 119, 180);
    public static final Color DERIVATIVE = new Color(255, 127, 14);
    public static final int WIDTH = 640;
    public static final int HEIGHT = 480;

    /** The activations plotted: every element-wise one clnet has. */
    public static List<Activation> plotted() {
        return List.of(Activation.LINEAR, Activation.SIGMOID, Activation.TANH, Activation.RELU, Activation.LEAKY_RELU,
                Activation.ARCTAN);
    }

    /** Writes {@code <name>.png} per activation and {@code activations.png}, a grid of all; returns the files. */
    public static List<Path> write(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        List<BufferedImage> images = new ArrayList<>();
        try (CpuBackend backend = new CpuBackend()) {
            for (Activation f : plotted()) {
                double[][] c = curves(backend, f, 401);
                BufferedImage image = Png.render(chart(f.id(), c[0], c[1], c[2]));
                images.add(image);
                files.add(Png.write(image, dir.resolve(f.id() + ".png")));
            }
        }
        files.add(Png.write(Png.grid(images, 3), dir.resolve("activations.png")));
        return files;
    }

    /** z on [-10, 10], f(z) and f'(z), computed by {@code backend}'s activation ops. */
    static double[][] curves(Backend backend, Activation f, int points) {
        float[] z = new float[points];
        float[] ones = new float[points];
        for (int i = 0; i < points; i++) {
            z[i] = -10f + 20f * i / (points - 1);
            ones[i] = 1f;
        }
        try (Tensor zt = backend.alloc(1, points); Tensor at = backend.alloc(1, points);
             Tensor da = backend.alloc(1, points); Tensor dz = backend.alloc(1, points)) {
            backend.upload(z, zt);
            backend.upload(ones, da);
            backend.activationForward(f, zt, at);
            backend.activationBackward(f, zt, at, da, dz);
            return new double[][] {toDouble(z), toDouble(backend.download(at).data()),
                    toDouble(backend.download(dz).data())};
        }
    }

    private static XYChart chart(String name, double[] z, double[] a, double[] d) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(name + " and its derivative")
                .xAxisTitle("z").yAxisTitle("").build();
        Styler.LegendPosition legend = Styler.LegendPosition.InsideNW;
        chart.getStyler().setLegendPosition(legend);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        double lo = Math.min(min(a), min(d));
        double hi = Math.max(max(a), max(d));
        double pad = Math.max(0.1, (hi - lo) * 0.08);
        chart.getStyler().setYAxisMin(Math.min(-pad, lo - pad));
        chart.getStyler().setYAxisMax(Math.max(pad, hi + pad));
        chart.getStyler().setXAxisMin(-10.0);
        chart.getStyler().setXAxisMax(10.0);
        // the axes through the origin, as the lesson draws them
        axis(chart, "y = 0", new double[] {-10, 10}, new double[] {0, 0});
        axis(chart, "z = 0", new double[] {0, 0}, new double[] {Math.min(-pad, lo - pad), Math.max(pad, hi + pad)});
        curve(chart, name + "(z)", z, a, FUNCTION);
        curve(chart, name + "'(z)", z, d, DERIVATIVE);
        return chart;
    }

    private static void curve(XYChart chart, String label, double[] x, double[] y, Color color) {
        XYSeries s = chart.addSeries(label, x, y);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
        s.setLineStyle(new BasicStroke(3f));
    }

    private static void axis(XYChart chart, String label, double[] x, double[] y) {
        XYSeries s = chart.addSeries(label, x, y);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(Color.BLACK);
        s.setLineStyle(new BasicStroke(1f));
        s.setShowInLegend(false);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) {
            m = Math.min(m, x);
        }
        return m;
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            m = Math.max(m, x);
        }
        return m;
    }
}
