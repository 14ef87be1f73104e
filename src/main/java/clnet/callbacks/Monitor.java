package clnet.callbacks;

import java.util.Map;

/**
 * The metric a callback watches and its best value so far, with Keras's rules: accuracies
 * improve upward, everything else downward, and only by more than {@code minDelta}.
 */
final class Monitor {
    final String name;
    private final String callback;
    private final double minDelta;
    private final boolean maximize;
    double best;

    Monitor(String callback, String name, double minDelta) {
        this.callback = callback;
        this.name = name;
        this.minDelta = minDelta;
        this.maximize = name.endsWith("acc") || name.endsWith("accuracy");
        reset();
    }

    void reset() {
        best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Refuses, before its first epoch, a run that will not report the watched value to {@code watcher}. */
    void check(clnet.train.Trainer.Run run, clnet.train.Callback watcher) {
        java.util.List<String> keys = run.logKeysBefore(watcher);
        if (keys != null && !keys.contains(name)) {
            throw new IllegalArgumentException(callback + " monitors '" + name + "', which this run does not report"
                    + " (it reports " + keys + (name.startsWith("val_") ? "; validation data or a"
                    + " validation split gives val_ metrics" : "") + ")");
        }
    }

    /** The watched value in an epoch's logs; a run that does not report it is refused by name. */
    double value(Map<String, Double> logs) {
        Double v = logs.get(name);
        if (v == null) {
            throw new IllegalArgumentException(callback + " monitors '" + name + "', which this run does not report"
                    + " (it reports " + logs.keySet() + ")");
        }
        return v;
    }

    /** Whether {@code current} beats the best so far; if so it becomes the best. */
    boolean improvedBy(double current) {
        boolean better = maximize ? current > best + minDelta : current < best - minDelta;
        if (better) {
            best = current;
        }
        return better;
    }
}
