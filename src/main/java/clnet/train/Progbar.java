package clnet.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Keras's progress bar, in its tf.keras 2 form:
 *
 * <pre>
 * 469/469 [==============================] - 9s 19ms/step - loss: 0.2193 - accuracy: 0.9325
 * </pre>
 *
 * On a terminal the line is redrawn in place as batches finish, at most every 100 ms;
 * otherwise (a log file, a pipe) only the finished line is printed, once. The metric
 * values are read through a supplier called only when a line is drawn, because on a
 * GPU each read waits for the device.
 */
final class Progbar {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final int target;
    private final boolean dynamic;
    private final boolean showBar;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int lastLength;

    /**
     * @param dynamic redraw in place (a terminal)
     * @param showBar draw the [=====] bar (verbose 1); verbose 2 prints the line without it
     */
    Progbar(PrintStream out, int target, boolean dynamic, boolean showBar) {
        this.out = out;
        this.target = target;
        this.dynamic = dynamic;
        this.showBar = showBar;
    }

    /** True when standard output is a terminal, where a line can be redrawn in place. */
    static boolean isTerminal(PrintStream out) {
        return out == System.out && System.console() != null;
    }

    /** Batch {@code current} of {@code target} is done; redraws if on a terminal and due. */
    void update(int current, Supplier<Map<String, Double>> values) {
        if (!dynamic || current >= target) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        double elapsed = (now - start) / 1e9;
        double eta = elapsed / current * (target - current);
        draw(bar(current) + " - ETA: " + formatEta(eta) + formatValues(values.get()), false);
    }

    /** Prints the finished line: elapsed time, time per step and the final values. */
    void finish(Map<String, Double> values) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        String timing = " - " + Math.round(elapsed) + "s" + (showBar ? " " : " - ")
                + formatPerStep(elapsed / Math.max(1, target));
        String head = showBar ? bar(target) : counter(target);
        draw(head + timing + formatValues(values), true);
    }

    private void draw(String line, boolean last) {
        if (dynamic) {
            int pad = Math.max(0, lastLength - line.length());
            out.print("\r" + line + " ".repeat(pad));
            lastLength = line.length();
            if (last) {
                out.println();
            }
        } else if (last) {
            out.println(line);
        }
        out.flush();
    }

    private String counter(int current) {
        int digits = String.valueOf(target).length();
        return String.format(Locale.ROOT, "%" + digits + "d/%d", current, target);
    }

    String bar(int current) {
        StringBuilder sb = new StringBuilder(counter(current)).append(" [");
        int filled = (int) (WIDTH * (double) current / target);
        if (filled > 0) {
            sb.append("=".repeat(filled - 1)).append(current < target ? '>' : '=');
        }
        sb.append(".".repeat(WIDTH - filled)).append(']');
        return sb.toString();
    }

    static String formatEta(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60);
        }
        if (s >= 60) {
            return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
        return s + "s";
    }

    static String formatPerStep(double seconds) {
        if (seconds >= 1 || seconds == 0) {
            return Math.round(seconds) + "s/step";
        }
        if (seconds >= 1e-3) {
            return Math.round(seconds * 1e3) + "ms/step";
        }
        return Math.round(seconds * 1e6) + "us/step";
    }

    /** " - loss: 0.2193 - accuracy: 0.9325", small values in scientific form as Keras. */
    static String formatValues(Map<String, Double> values) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Double> e : values.entrySet()) {
            double v = e.getValue();
            String num = Double.isNaN(v) ? "nan"
                    : Math.abs(v) > 1e-3 ? String.format(Locale.ROOT, "%.4f", v)
                    : String.format(Locale.ROOT, "%.4e", v);
            sb.append(" - ").append(e.getKey()).append(": ").append(num);
        }
        return sb.toString();
    }
}
