package clnet.train;

import clnet.files.SafeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code fit} returns, as Keras's {@code History}: for each metric name
 * ({@code loss}, {@code accuracy}, {@code val_loss}, {@code val_accuracy}) its value after
 * each epoch.
 */
public final class History {
    /** A history of a million epochs is about 80 MB; anything beyond is no history file. */
    private static final long MAX_CSV_BYTES = 100L << 20;

    private final Map<String, List<Double>> history = new LinkedHashMap<>();
    private int epochs;

    /** Records one epoch's metrics, in the order given. */
    public void add(Map<String, Double> epochMetrics) {
        for (Map.Entry<String, Double> e : epochMetrics.entrySet()) {
            List<Double> values = history.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
            while (values.size() < epochs) {
                values.add(Double.NaN); // a metric that appears late (never, in practice)
            }
            values.add(e.getValue());
        }
        epochs++;
    }

    public int epochs() {
        return epochs;
    }

    /** A history holding these per-epoch values (the inverse of {@link #history()}). */
    public static History of(Map<String, List<Double>> values) {
        History h = new History();
        int n = values.values().stream().mapToInt(List::size).max().orElse(0);
        for (int e = 0; e < n; e++) {
            Map<String, Double> row = new LinkedHashMap<>();
            for (Map.Entry<String, List<Double>> m : values.entrySet()) {
                row.put(m.getKey(), e < m.getValue().size() ? m.getValue().get(e) : Double.NaN);
            }
            h.add(row);
        }
        return h;
    }

    public History copy() {
        return of(history);
    }

    /** Metric name to per-epoch values, as Keras's {@code history.history}. */
    public Map<String, List<Double>> history() {
        Map<String, List<Double>> copy = new LinkedHashMap<>();
        history.forEach((k, v) -> copy.put(k, Collections.unmodifiableList(new ArrayList<>(v))));
        return Collections.unmodifiableMap(copy);
    }

    public List<Double> get(String metric) {
        List<Double> v = history.get(metric);
        if (v == null) {
            throw new IllegalArgumentException("no metric '" + metric + "' in history " + history.keySet());
        }
        return Collections.unmodifiableList(v);
    }

    public double last(String metric) {
        List<Double> v = get(metric);
        return v.get(v.size() - 1);
    }

    public boolean has(String metric) {
        return history.containsKey(metric);
    }

    /**
     * Writes the history as CSV, one row per epoch as Keras's {@code CSVLogger} does:
     * {@code epoch,loss,accuracy,val_loss,val_accuracy} (epochs counted from 0). Atomic.
     */
    public void writeCsv(Path file) throws IOException {
        StringBuilder b = new StringBuilder("epoch");
        for (String k : history.keySet()) {
            b.append(',').append(k);
        }
        b.append('\n');
        for (int e = 0; e < epochs; e++) {
            b.append(e);
            for (List<Double> v : history.values()) {
                b.append(',').append(e < v.size() ? v.get(e) : Double.NaN);
            }
            b.append('\n');
        }
        SafeFiles.writeString(file, b);
    }

    /** Reads a history {@link #writeCsv} wrote; a malformed file is refused naming the line. */
    public static History readCsv(Path file) throws IOException {
        String problem = SafeFiles.unreadable(file, "a history");
        if (problem != null) {
            throw new IOException(file + ": " + problem);
        }
        if (Files.size(file) > MAX_CSV_BYTES) {
            throw new IOException(file + ": " + Files.size(file) + " bytes; a history file holds a few lines per epoch");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not a history file (not UTF-8 text)");
        }
        if (lines.isEmpty() || !lines.get(0).startsWith("epoch,")) {
            throw new IOException(file + ": not a history file (the first line must be epoch,<metric>,...)");
        }
        String[] names = lines.get(0).split(",");
        History h = new History();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String[] cells = lines.get(i).split(",");
            if (cells.length != names.length) {
                throw new IOException(file + ": line " + (i + 1) + " has " + cells.length + " values, the header "
                        + names.length);
            }
            Map<String, Double> row = new LinkedHashMap<>();
            for (int j = 1; j < cells.length; j++) {
                try {
                    row.put(names[j], Double.parseDouble(cells[j].trim()));
                } catch (NumberFormatException e) {
                    throw new IOException(file + ": line " + (i + 1) + ": '" + cells[j] + "' is not a number");
                }
            }
            h.add(row);
        }
        return h;
    }

    @Override
    public String toString() {
        return history.toString();
    }
}
