package clnet.plot;

import clnet.data.Playground;
import clnet.nn.Sequential;
import clnet.tensor.HostTensor;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What a run learned, as PNG files: the history (loss and accuracy per epoch, training and
 * validation), the confusion matrix, a grid of test images with true and predicted labels,
 * and for the Playground's data the model's output over the plane (its decision boundary).
 */
public final class TrainingPlots {
    private TrainingPlots() {
    }

    /** The Playground's colours: orange for class 0 (its -1), blue for class 1. */
    static final Color CLASS_0 = new Color(245, 147, 34);
    static final Color CLASS_1 = new Color(8, 119, 189);

    /** Loss and each metric per epoch, training and validation, side by side; the learning rate where logged. */
    public static Path history(Map<String, List<Double>> history, Path file) throws IOException {
        // loss, then each metric the run reported (accuracy, or mae for a regression), each with
        // its validation twin; the learning rate, where a callback logged it, on a chart of its own
        List<String> panels = new ArrayList<>(List.of("loss"));
        for (String name : history.keySet()) {
            if (!name.startsWith("val_") && !name.equals("loss") && !name.equals(LEARNING_RATE)) {
                panels.add(name);
            }
        }
        if (history.containsKey(LEARNING_RATE)) {
            panels.add(LEARNING_RATE);
        }
        List<BufferedImage> charts = new ArrayList<>();
        for (String metric : panels) {
            boolean rate = metric.equals(LEARNING_RATE);
            XYChart chart = new XYChartBuilder().width(640).height(480).title(rate ? "learning rate" : metric)
                    .xAxisTitle("epoch").yAxisTitle(rate ? "learning rate" : metric).build();
            chart.getStyler().setChartBackgroundColor(Color.WHITE);
            chart.getStyler().setXAxisTickMarkSpacingHint(90); // readable epoch labels on long runs
            chart.getStyler().setYAxisDecimalPattern(rate ? "0.##E0" : "0.0##");
            boolean upward = metric.endsWith("acc") || metric.endsWith("accuracy");
            chart.getStyler().setLegendPosition(upward ? Styler.LegendPosition.InsideSE
                    : Styler.LegendPosition.InsideNE);
            if (rate && spansADecade(history.get(LEARNING_RATE))) {
                chart.getStyler().setYAxisLogarithmic(true); // ReduceLROnPlateau's cuts are factors
            }
            for (String name : rate ? List.of(metric) : List.of(metric, "val_" + metric)) {
                List<Double> values = history.get(name);
                if (values == null || values.isEmpty()) {
                    continue;
                }
                double[] x = new double[values.size()];
                double[] y = new double[values.size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = i + 1;
                    y[i] = values.get(i);
                }
                XYSeries s = chart.addSeries(rate ? "learning rate" : name.startsWith("val_") ? "validation"
                        : "training", x, y);
                s.setMarker(x.length > 50 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
                s.setLineColor(name.startsWith("val_") ? CLASS_0 : CLASS_1);
                s.setMarkerColor(name.startsWith("val_") ? CLASS_0 : CLASS_1);
            }
            charts.add(Png.render(chart));
        }
        return Png.write(Png.grid(charts, 2), file);
    }

    /** Whether the values are all positive and a tenfold apart or more: a log axis labels only powers of ten. */
    private static boolean spansADecade(List<Double> values) {
        double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        return min > 0 && max >= 10 * min;
    }

    /** The history's key of the learning rate, as the learning-rate callbacks log it (Keras 3's). */
    private static final String LEARNING_RATE = "learning_rate";

    /** The confusion matrix: rows true classes, columns predicted, shaded by the share of the row. */
    public static Path confusion(int[] truth, int[] predicted, int classes, Path file) throws IOException {
        int[][] counts = new int[classes][classes];
        for (int i = 0; i < truth.length; i++) {
            counts[truth[i]][predicted[i]]++;
        }
        int cell = classes <= 10 ? 56 : Math.max(12, 560 / classes);
        int left = 90;
        int top = 70;
        // wide enough for the title even with two classes
        BufferedImage img = new BufferedImage(Math.max(left + cell * classes + 20, 360), top + cell * classes + 40,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("confusion matrix (" + truth.length + " samples)", 10, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("predicted", left + cell * classes / 2 - 30, 50);
        g.drawString("true", 10, top + cell * classes / 2);
        for (int t = 0; t < classes; t++) {
            int rowTotal = 0;
            for (int p = 0; p < classes; p++) {
                rowTotal += counts[t][p];
            }
            g.setColor(Color.BLACK);
            g.drawString(String.valueOf(t), left - 22, top + t * cell + cell / 2 + 5);
            g.drawString(String.valueOf(t), left + t * cell + cell / 2 - 4, top - 6);
            for (int p = 0; p < classes; p++) {
                double share = rowTotal == 0 ? 0 : (double) counts[t][p] / rowTotal;
                Color base = t == p ? CLASS_1 : new Color(214, 39, 40);
                g.setColor(blend(Color.WHITE, base, Math.sqrt(share)));
                g.fillRect(left + p * cell, top + t * cell, cell, cell);
                g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                String n = String.valueOf(counts[t][p]);
                g.drawString(n, left + p * cell + cell / 2 - g.getFontMetrics().stringWidth(n) / 2,
                        top + t * cell + cell / 2 + 5);
            }
        }
        g.setColor(Color.GRAY);
        g.drawRect(left, top, cell * classes, cell * classes);
        g.dispose();
        return Png.write(img, file);
    }

    /**
     * A grid of square grayscale images (rows of {@code images}, values in [0, 1]) with
     * their true and predicted labels; misclassified ones framed and labelled in red. Up to
     * half of the cells show mistakes (the first ones), so that a good model's grid still
     * shows what it gets wrong; the rest are the first samples, all in the data's order.
     */
    public static Path samples(HostTensor images, int[] truth, int[] predicted, int count, Path file)
            throws IOException {
        int side = (int) Math.round(Math.sqrt(images.cols()));
        if (side * side != images.cols()) {
            throw new IllegalArgumentException("samples need square images; rows have " + images.cols() + " values");
        }
        int n = Math.min(count, images.rows());
        int[] shown = chooseSamples(truth, predicted, n);
        int columns = 8;
        int scale = Math.max(1, 84 / side);
        int cw = side * scale + 16;
        int ch = side * scale + 30;
        BufferedImage img = new BufferedImage(columns * cw + 8, ((n + columns - 1) / columns) * ch + 36,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        int wrong = 0;
        for (int t = 0; t < truth.length; t++) {
            wrong += truth[t] != predicted[t] ? 1 : 0;
        }
        g.drawString(String.format(Locale.ROOT, "test samples: true / predicted (mistakes in red: %d of all %d)", wrong,
                truth.length), 8, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int k = 0; k < n; k++) {
            int i = shown[k];
            int x0 = 8 + (k % columns) * cw;
            int y0 = 32 + (k / columns) * ch;
            for (int r = 0; r < side; r++) {
                for (int c = 0; c < side; c++) {
                    float v = Math.min(1f, Math.max(0f, images.get(i, r * side + c)));
                    g.setColor(new Color(1 - v, 1 - v, 1 - v)); // ink dark on paper, as a digit is written
                    g.fillRect(x0 + c * scale, y0 + r * scale, scale, scale);
                }
            }
            boolean ok = truth[i] == predicted[i];
            g.setColor(ok ? new Color(60, 60, 60) : new Color(214, 39, 40));
            if (!ok) {
                g.setStroke(new BasicStroke(3f));
                g.drawRect(x0 - 2, y0 - 2, side * scale + 3, side * scale + 3);
            }
            g.drawString(truth[i] + " / " + predicted[i], x0 + 2, y0 + side * scale + 16);
        }
        g.dispose();
        return Png.write(img, file);
    }

    /** Up to n / 2 misclassified samples, the first samples for the rest, in index order. */
    static int[] chooseSamples(int[] truth, int[] predicted, int n) {
        java.util.TreeSet<Integer> pick = new java.util.TreeSet<>();
        for (int i = 0; i < truth.length && pick.size() < n / 2; i++) {
            if (truth[i] != predicted[i]) {
                pick.add(i);
            }
        }
        for (int i = 0; i < truth.length && pick.size() < n; i++) {
            pick.add(i);
        }
        return pick.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The model's probability of class 1 over the plane [-6, 6]², orange to blue as in the
     * TensorFlow Playground, with the training points (filled) and test points (ringed) on top.
     */
    public static Path boundary(Sequential model, List<Playground.Feature> features, Playground.Split data, Path file)
            throws IOException {
        int size = 600;
        int grid = 120;
        double lo = -6;
        double hi = 6;
        double[] gx = new double[grid * grid];
        double[] gy = new double[grid * grid];
        int[] none = new int[grid * grid];
        for (int r = 0; r < grid; r++) {
            for (int c = 0; c < grid; c++) {
                gx[r * grid + c] = lo + (hi - lo) * (c + 0.5) / grid;
                gy[r * grid + c] = hi - (hi - lo) * (r + 0.5) / grid;
            }
        }
        HostTensor out = model.predict(new Playground.Points(gx, gy, none).features(features), 256);
        BufferedImage img = new BufferedImage(size, size + 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        int px = size / grid;
        for (int i = 0; i < grid * grid; i++) {
            double p1 = out.cols() == 1 ? out.get(i, 0) : out.get(i, 1);
            Color c = blend(blend(CLASS_0, Color.WHITE, 0.35), blend(CLASS_1, Color.WHITE, 0.35),
                    Math.min(1, Math.max(0, p1)));
            g.setColor(c);
            g.fillRect((i % grid) * px, (i / grid) * px, px, px);
        }
        g.setColor(new Color(0, 0, 0, 60));
        g.drawLine(size / 2, 0, size / 2, size);
        g.drawLine(0, size / 2, size, size / 2);
        points(g, data.train(), size, lo, hi, true);
        points(g, data.test(), size, lo, hi, false);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("P(class 1): orange 0 .. blue 1; training points filled, test points ringed", 8, size + 20);
        g.dispose();
        return Png.write(img, file);
    }

    private static void points(Graphics2D g, Playground.Points p, int size, double lo, double hi, boolean filled) {
        for (int i = 0; i < p.size(); i++) {
            int x = (int) Math.round((p.x()[i] - lo) / (hi - lo) * size);
            int y = (int) Math.round((hi - p.y()[i]) / (hi - lo) * size);
            Color c = p.label()[i] == 1 ? CLASS_1 : CLASS_0;
            if (filled) {
                g.setColor(c);
                g.fillOval(x - 4, y - 4, 9, 9);
                g.setColor(Color.WHITE);
                g.drawOval(x - 4, y - 4, 9, 9);
            } else {
                g.setColor(Color.WHITE);
                g.fillOval(x - 4, y - 4, 9, 9);
                g.setColor(c);
                g.setStroke(new BasicStroke(2.5f));
                g.drawOval(x - 4, y - 4, 9, 9);
                g.setStroke(new BasicStroke(1f));
            }
        }
    }

    static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        return g;
    }

    static Color blend(Color a, Color b, double t) {
        return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t),
                (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
    }
}
