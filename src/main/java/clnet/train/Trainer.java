package clnet.train;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.data.Datasets;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The loops behind {@code fit}, {@code evaluate} and {@code predict}.
 *
 * <p>The data is uploaded once; each batch is gathered on the device from a shuffled
 * order; loss and accuracy are summed on the device into a 1 x 8 metrics tensor of four
 * compensated accumulators ({@link Backend#accumulate}: exact counts for any data size),
 * at slots {@value #TRAIN} (train
 * loss, train correct, validation loss, validation correct) that is read back only when
 * a progress line is drawn, and at the end of each epoch.
 */
public final class Trainer {
    private static final long SHUFFLE_STREAM = 0x5348_5546_464C_45L; // "SHUFFLE"

    /**
     * The metrics tensor: at {@link #TRAIN} the training (or evaluation) loss sum and, two
     * floats on, the correct count; at {@link #VALIDATION} the same for validation. Each is
     * a (sum, carried error) pair.
     */
    public static final int TRAIN = 0;
    public static final int VALIDATION = 4;
    static final int METRIC_FLOATS = 8;

    private final Trainable model;

    public Trainer(Trainable model) {
        this.model = model;
    }

    public History fit(HostTensor x, HostTensor y, FitOptions options) {
        requireCompiled();
        if (!model.hasOptimizer()) {
            throw new IllegalStateException("model " + model.name() + " has no optimizer: compile it with one to fit");
        }
        checkSamples("x", x, "y", y);
        model.build(x.cols());
        checkTargets("y", y);

        HostTensor trainX = x;
        HostTensor trainY = y;
        HostTensor valX = options.validationX();
        HostTensor valY = options.validationY();
        if (valX != null) {
            checkSamples("validation x", valX, "validation y", valY);
            model.build(valX.cols()); // refuses a width other than the model's
            checkTargets("validation y", valY);
        } else if (options.validationSplit() > 0) {
            Datasets.Split split = Datasets.splitLast(x, y, options.validationSplit());
            trainX = split.xTrain();
            trainY = split.yTrain();
            valX = split.xVal();
            valY = split.yVal();
        }

        Backend backend = model.backend();
        History history = new History();
        int n = trainX.rows();
        int batch = Math.min(options.batchSize(), n);
        int steps = (n + batch - 1) / batch;
        long seed = options.seed() != null ? options.seed() : model.seed();
        Rng shuffleRng = new Rng(seed ^ SHUFFLE_STREAM);
        PrintStream out = options.out();
        boolean dynamic = options.verbose() == 1 && Progbar.isTerminal(out);
        Run run = new Run(model, out);
        List<Callback> callbacks = options.callbacks();
        callbacks.forEach(c -> c.onTrainBegin(run));

        try (BatchSource train = BatchSource.of(backend, trainX, trainY, options.dataOnDevice());
             BatchSource val = valX == null ? null : BatchSource.of(backend, valX, valY, options.dataOnDevice());
             Tensor xb = backend.alloc(batch, trainX.cols());
             Tensor yb = backend.alloc(batch, trainY.cols());
             Tensor metrics = backend.alloc(1, METRIC_FLOATS)) {
            float[] host = new float[METRIC_FLOATS];
            for (int epoch = 0; epoch < options.epochs() && !run.stopping(); epoch++) {
                if (options.verbose() > 0) {
                    out.printf(Locale.ROOT, "Epoch %d/%d%n", epoch + 1, options.epochs());
                }
                for (Callback c : callbacks) {
                    c.onEpochBegin(epoch, run);
                }
                if (options.shuffle()) {
                    train.setOrder(shuffleRng.permutation(n));
                }
                backend.fill(metrics, 0f);
                Progbar bar = new Progbar(out, steps, dynamic, options.verbose() == 1);
                for (int step = 0; step < steps; step++) {
                    int start = step * batch;
                    int rows = Math.min(batch, n - start);
                    Tensor xv = xb.firstRows(rows);
                    Tensor yv = yb.firstRows(rows);
                    train.batch(start, xv, yv);
                    model.trainOnBatch(xv, yv, metrics, TRAIN);
                    for (Callback c : callbacks) {
                        c.onBatchEnd(epoch, step, run);
                    }
                    final int seen = start + rows;
                    bar.update(step + 1, () -> {
                        backend.download(metrics, host);
                        return metricValues(host, TRAIN, seen, "");
                    });
                }
                if (val != null) {
                    runBatches(val, xb, yb, metrics, VALIDATION);
                }
                backend.download(metrics, host);
                Map<String, Double> values = metricValues(host, TRAIN, n, "");
                if (val != null) {
                    values.putAll(metricValues(host, VALIDATION, val.size(), "val_"));
                }
                checkFinite(values.get("loss"), epoch + 1, options.epochs());
                history.add(values);
                if (options.verbose() > 0) {
                    bar.finish(values);
                }
                for (Callback c : callbacks) {
                    c.onEpochEnd(epoch, values, run);
                }
            }
        }
        for (Callback c : callbacks) {
            c.onTrainEnd(history, run);
        }
        return history;
    }

    /** What a callback may do to the run it is called from (public for callbacks tested on their own). */
    public static final class Run {
        private final Trainable model;
        private final PrintStream out;
        private boolean stop;

        public Run(Trainable model, PrintStream out) {
            this.model = model;
            this.out = out;
        }

        /** Ends training after the current epoch (Keras's {@code model.stop_training = True}). */
        public void stopTraining() {
            stop = true;
        }

        public boolean stopping() {
            return stop;
        }

        /** The weights, copied to the host. */
        public List<HostTensor> weights() {
            return model.getWeights();
        }

        public void setWeights(List<HostTensor> weights) {
            model.setWeights(weights);
        }

        public float learningRate() {
            return model.learningRate();
        }

        /** Changes the learning rate from the next step on; nothing is rebuilt. */
        public void setLearningRate(float rate) {
            model.setLearningRate(rate);
        }

        /** Where the run prints its progress. */
        public PrintStream out() {
            return out;
        }
    }

    public EvaluationResult evaluate(HostTensor x, HostTensor y, int batchSize, int verbose, PrintStream out) {
        requireCompiled();
        checkSamples("x", x, "y", y);
        model.build(x.cols()); // refuses a width other than the model's
        checkTargets("y", y);
        Backend backend = model.backend();
        int batch = Math.min(batchSize, x.rows());
        try (BatchSource data = BatchSource.of(backend, x, y, null);
             Tensor xb = backend.alloc(batch, x.cols());
             Tensor yb = backend.alloc(batch, y.cols());
             Tensor metrics = backend.alloc(1, METRIC_FLOATS)) {
            Progbar bar = verbose > 0
                    ? new Progbar(out, (x.rows() + batch - 1) / batch, verbose == 1 && Progbar.isTerminal(out),
                    verbose == 1)
                    : null;
            runBatches(data, xb, yb, metrics, TRAIN);
            float[] host = new float[METRIC_FLOATS];
            backend.download(metrics, host);
            Map<String, Double> values = metricValues(host, TRAIN, x.rows(), "");
            if (bar != null) {
                bar.finish(values);
            }
            return new EvaluationResult(values.get("loss"), values.get("accuracy"), x.rows());
        }
    }

    /** Forward passes over all of {@code data} in order, summing into the metric accumulators at {@code slot}. */
    private void runBatches(BatchSource data, Tensor xb, Tensor yb, Tensor metrics, int slot) {
        int batch = xb.rows();
        for (int start = 0; start < data.size(); start += batch) {
            int rows = Math.min(batch, data.size() - start);
            Tensor xv = xb.firstRows(rows);
            Tensor yv = yb.firstRows(rows);
            data.batch(start, xv, yv);
            model.testOnBatch(xv, yv, metrics, slot);
        }
    }

    public HostTensor predict(HostTensor x, int batchSize) {
        if (x.rows() == 0) {
            throw new IllegalArgumentException("predict: no samples");
        }
        model.build(x.cols());
        Backend backend = model.backend();
        int batch = Math.min(batchSize, x.rows());
        int outputs = model.outputFeatures();
        float[] result = new float[x.rows() * outputs];
        float[] chunk = new float[batch * outputs];
        try (BatchSource data = BatchSource.of(backend, x, null, null);
             Tensor xb = backend.alloc(batch, x.cols())) {
            for (int start = 0; start < x.rows(); start += batch) {
                int rows = Math.min(batch, x.rows() - start);
                Tensor xv = xb.firstRows(rows);
                data.batch(start, xv, null);
                Tensor p = model.predictOnBatch(xv);
                backend.download(p, chunk);
                System.arraycopy(chunk, 0, result, start * outputs, rows * outputs);
            }
        }
        return new HostTensor(clnet.tensor.Shape.of(x.rows(), outputs), result);
    }

    /** Loss and accuracy from the accumulators at {@code slot} (loss) and {@code slot + 2} (correct count). */
    private static Map<String, Double> metricValues(float[] host, int slot, int samples, String prefix) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(prefix + "loss", Backend.accumulated(host, slot) / samples);
        m.put(prefix + "accuracy", Backend.accumulated(host, slot + 2) / samples);
        return m;
    }

    private static void checkFinite(double loss, int epoch, int epochs) {
        if (!Double.isFinite(loss)) {
            throw new NonFiniteLossException(String.format(Locale.ROOT,
                    "the training loss became %s in epoch %d/%d; training stopped. Lower the learning rate"
                            + " (--lr) or check the data for extreme values", loss, epoch, epochs));
        }
    }

    // ---------------------------------------------------------------- input checks

    private void requireCompiled() {
        if (model.loss() == null) {
            throw new IllegalStateException("model " + model.name() + " is not compiled: call compile(optimizer, loss)");
        }
    }

    private static void checkSamples(String xName, HostTensor x, String yName, HostTensor y) {
        if (y == null) {
            throw new IllegalArgumentException(xName + " given without " + yName);
        }
        if (x.rows() == 0) {
            throw new IllegalArgumentException(xName + " holds no samples");
        }
        if (x.rows() != y.rows()) {
            throw new IllegalArgumentException(xName + " holds " + x.rows() + " samples but " + yName + " holds "
                    + y.rows());
        }
        checkFiniteValues(xName, x);
        checkFiniteValues(yName, y);
    }

    private static void checkFiniteValues(String name, HostTensor t) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw new IllegalArgumentException(name + " holds " + d[i] + " at sample " + i / Math.max(1, t.cols())
                        + ", feature " + i % Math.max(1, t.cols()));
            }
        }
    }

    private void checkTargets(String name, HostTensor y) {
        Loss loss = model.loss();
        int outputs = model.outputFeatures();
        int want = loss.targetColumns(outputs);
        if (y.cols() != want) {
            String hint = loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY
                    ? " (class indices, one column)"
                    : loss == Loss.CATEGORICAL_CROSSENTROPY && y.cols() == 1
                    ? " (one-hot rows; use sparse_categorical_crossentropy for class indices)" : "";
            throw new IllegalArgumentException(name + " has " + y.cols() + " columns; " + loss.id() + " with "
                    + outputs + " outputs needs " + want + hint);
        }
        if (loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY) {
            float[] d = y.data();
            for (int i = 0; i < d.length; i++) {
                if (d[i] != Math.rint(d[i]) || d[i] < 0 || d[i] >= outputs) {
                    throw new IllegalArgumentException(name + " sample " + i + " has class " + d[i]
                            + ", not an integer in [0, " + outputs + ")");
                }
            }
        }
    }
}
