package clnet.train;

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

    @Override
    public String toString() {
        return history.toString();
    }
}
