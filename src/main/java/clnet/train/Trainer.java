package clnet.train;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.data.Datasets;
import clnet.ops.Augmentation;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The loops behind {@code fit}, {@code evaluate} and {@code predict}.
 *
 * <p>The data is uploaded once; each batch is gathered on the device from a shuffled
 * order; loss and accuracy are summed on the device into a metrics tensor of compensated
 * accumulators ({@link Backend#accumulate}: exact counts for any data size), one block of
 * {@value #BLOCK} floats (loss sum, its error, correct count, its error) for validation and
 * one for each training batch of the epoch. The tensor is read back only when a progress
 * line is drawn and at the end of each epoch; the host then sums the blocks in double, and
 * knows which batch's loss first went bad.
 */
public final class Trainer {
    private static final long SHUFFLE_STREAM = 0x5348_5546_464C_45L; // "SHUFFLE"
    private static final long AUGMENT_STREAM = 0x4155_474D_454E_54L; // "AUGMENT"

    /** Floats per metrics block: the loss sum at +0, the correct count at +2, each a (sum, error) pair. */
    public static final int BLOCK = 4;
    /** The block of {@code evaluate}'s metrics, and of validation in {@code fit}'s. */
    private static final int EVALUATION = 0;

    private final Trainable model;

    public Trainer(Trainable model) {
        this.model = model;
    }

    /** The micro-shards of a step in deterministic mode ({@link FitOptions#deterministic}): up to 8 devices. */
    public static final int MICRO_SHARDS = 8;

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

        int n = trainX.rows();
        int batch = Math.min(options.batchSize(), n);
        int steps = (n + batch - 1) / batch;
        long seed = options.seed() != null ? options.seed() : model.seed();
        TrainingState resume = options.resumeFrom();
        History history = resume != null ? resume.history().copy() : new History();
        int firstEpoch = resume != null ? resume.epoch() : 0;
        // The steps the model had taken when this fit (or the one resumed) began: 0 on a fresh
        // model, so that its first fit draws what it always did; a second fit draws new batch
        // orders and warps, as Keras's does, rather than replaying the first's.
        long firstStep = resume != null ? resume.firstStep() : model.stepsTaken();
        Rng shuffleRng = resume != null ? new Rng(resume.shuffleState()) : shuffleStream(seed, firstStep);
        PrintStream out = options.out();
        boolean dynamic = options.verbose() == 1 && Progbar.isTerminal(out);
        List<Callback> callbacks = options.callbacks();
        int[] image = options.imageShape();
        if (image != null && (long) image[0] * image[1] * image[2] != trainX.cols()) {
            throw new IllegalArgumentException("augmentation: images of " + image[0] + " x " + image[1] + " x "
                    + image[2] + " but samples of " + trainX.cols() + " features");
        }
        Augmentation augmentation = options.augmentation();

        // a resumed deterministic run stays deterministic: the micro-shards are part of its arithmetic
        boolean deterministic = options.deterministic() || (resume != null && resume.deterministic());
        try (Replicas replicas = new Replicas(model, options.devices(), deterministic, trainX, trainY,
                batch, options.dataOnDevice(), augmentation != null);
             BatchSource val = valX == null ? null
                     : BatchSource.of(model.backend(), valX, valY, options.dataOnDevice())) {
            String metric = model.metricName();
            List<String> logKeys = val == null ? List.of("loss", metric)
                    : List.of("loss", metric, "val_loss", "val_" + metric);
            Run run = new Run(replicas.models(), out, callbacks, history, options.epochs(), batch, shuffleRng,
                    firstEpoch, deterministic, logKeys, firstStep);
            callbacks.forEach(c -> c.onTrainBegin(run));
            if (resume != null) {
                run.restoreCallbacks(resume.callbacks());
            }
            float[] host = new float[replicas.metricsSize()];
            for (int epoch = firstEpoch; epoch < options.epochs() && !run.stopping(); epoch++) {
                if (options.verbose() > 0) {
                    out.printf(Locale.ROOT, "Epoch %d/%d%n", epoch + 1, options.epochs());
                }
                for (Callback c : callbacks) {
                    c.onEpochBegin(epoch, run);
                }
                replicas.beginEpoch(options.shuffle() ? shuffleRng.permutation(n) : null);
                Progbar bar = new Progbar(out, steps, dynamic, options.verbose() == 1);
                for (int step = 0; step < steps; step++) {
                    int start = step * batch;
                    int rows = Math.min(batch, n - start);
                    // a pure function of (seed, epoch, step, row): a resumed run draws what it would have
                    float[] matrices = augmentation == null ? null : augmentation.matrices(rows, image[0], image[1],
                            seed ^ AUGMENT_STREAM, firstStep + (long) epoch * steps + step);
                    replicas.step(step, start, rows, matrices, image, augmentation);
                    for (Callback c : callbacks) {
                        c.onBatchEnd(epoch, step, run);
                    }
                    final int done = step + 1;
                    final int seen = start + rows;
                    bar.update(done, () -> {
                        replicas.downloadMetrics(host);
                        return trainingValues(host, replicas, done, seen, model.metricName());
                    });
                }
                if (val != null) {
                    runBatches(val, replicas.validationX(), replicas.validationY(), replicas.primaryMetrics(),
                            EVALUATION);
                }
                replicas.downloadMetrics(host);
                Map<String, Double> values = trainingValues(host, replicas, steps, n, model.metricName());
                if (val != null) {
                    values.putAll(metricValues(host, EVALUATION, val.size(), "val_", model.metricName()));
                }
                run.epochDone(epoch, stepLosses(host, replicas, steps, batch, n), n);
                if (options.verbose() > 0) {
                    bar.finish(values);
                }
                for (Callback c : callbacks) {
                    c.onEpochEnd(epoch, values, run);
                }
                history.add(values); // with what callbacks logged (Keras's History is its last callback)
                run.runEpochEndActions();
            }
            for (Callback c : callbacks) {
                c.onTrainEnd(history, run);
            }
        }
        return history;
    }

    /** The batch-order stream of a fit that begins after {@code firstStep} steps of the model. */
    private static Rng shuffleStream(long seed, long firstStep) {
        if (firstStep == 0) {
            return new Rng(seed ^ SHUFFLE_STREAM);
        }
        // a SplitMix64 output as the seed: seeds a multiple of its increment apart would give overlapping streams
        return new Rng(new Rng((seed ^ SHUFFLE_STREAM) + firstStep * 0x9E3779B97F4A7C15L).nextLong());
    }

    /** The mean loss of each step's batch. */
    private static float[] stepLosses(float[] host, Replicas replicas, int steps, int batch, int samples) {
        float[] losses = new float[steps];
        for (int s = 0; s < steps; s++) {
            int rows = Math.min(batch, samples - s * batch);
            losses[s] = (float) (replicas.stepSum(host, s, 0) / rows);
        }
        return losses;
    }

    /** The training loss and accuracy over the first {@code batches} steps' blocks, {@code samples} rows. */
    private static Map<String, Double> trainingValues(float[] host, Replicas replicas, int batches, int samples,
                                                      String metric) {
        double loss = 0;
        double correct = 0;
        for (int s = 0; s < batches; s++) {
            loss += replicas.stepSum(host, s, 0);
            correct += replicas.stepSum(host, s, 2);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss / samples);
        m.put(metric, correct / samples);
        return m;
    }

    /** What a callback may do to the run it is called from (public for callbacks tested on their own). */
    public static final class Run {
        private final Trainable model;
        /** The model and its replicas on other devices, if any: what a callback sets, it sets in all. */
        private final List<Trainable> replicas;
        private final boolean deterministic;
        private final PrintStream out;
        private final List<Callback> callbacks;
        private final List<String> keys;
        private final History history;
        private final int epochs;
        private final int batchSize;
        private final Rng shuffleRng;
        private final int initialEpoch;
        private final List<Runnable> epochEndActions = new ArrayList<>();
        private boolean stop;
        private int epochsDone;
        private float[] batchLosses = new float[0];
        private int epochSamples;
        private final List<String> logKeys;
        private final long firstStep;

        /** A run of {@code model} outside {@code fit}, for callbacks tested on their own. */
        public Run(Trainable model, PrintStream out) {
            this(List.of(model), out, List.of(), new History(), 1, 1, new Rng(0), 0, false, null, 0);
        }

        Run(List<Trainable> replicas, PrintStream out, List<Callback> callbacks, History history, int epochs,
            int batchSize, Rng shuffleRng, int initialEpoch, boolean deterministic, List<String> logKeys,
            long firstStep) {
            this.logKeys = logKeys == null ? null : List.copyOf(logKeys);
            this.firstStep = firstStep;
            this.deterministic = deterministic;
            this.model = replicas.get(0);
            this.replicas = replicas;
            this.out = out;
            this.callbacks = callbacks;
            this.keys = keys(callbacks);
            this.history = history;
            this.epochs = epochs;
            this.batchSize = batchSize;
            this.shuffleRng = shuffleRng;
            this.initialEpoch = initialEpoch;
            this.epochsDone = initialEpoch;
        }

        /**
         * The metrics every epoch's logs will hold once every callback has seen them
         * ({@code loss}, {@code accuracy}, their {@code val_} twins where there is validation
         * data, and what callbacks add, such as {@code learning_rate}), so that a callback can
         * refuse one it cannot use before training rather than after the first epoch; null
         * for a run made outside {@code fit}.
         */
        public List<String> logKeys() {
            return logKeysBefore(null);
        }

        /**
         * The metrics the logs hold when {@code callback}'s {@code onEpochEnd} sees them: the
         * run's own and what the callbacks before it in the list add (Keras's order too).
         */
        public List<String> logKeysBefore(Callback callback) {
            if (logKeys == null) {
                return null;
            }
            List<String> keys = new ArrayList<>(logKeys);
            for (Callback c : callbacks) {
                if (c == callback) {
                    break;
                }
                c.logsAdded().stream().filter(k -> !keys.contains(k)).forEach(keys::add);
            }
            return keys;
        }

        /** Ends training after the current epoch (Keras's {@code model.stop_training = True}). */
        public void stopTraining() {
            stop = true;
        }

        public boolean stopping() {
            return stop;
        }

        /** The epoch this run started at: 0, or the epochs a resumed checkpoint had completed. */
        public int initialEpoch() {
            return initialEpoch;
        }

        /**
         * The metrics of every epoch so far (those before a resume included); an epoch joins
         * it once every callback's {@code onEpochEnd} has run (with what they logged).
         */
        public History history() {
            return history;
        }

        /** The weights, copied to the host. */
        public List<HostTensor> weights() {
            return model.getWeights();
        }

        public void setWeights(List<HostTensor> weights) {
            replicas.forEach(m -> m.setWeights(weights));
        }

        /** The weights and the optimizer's state, to put back with {@link #restore}. */
        public Snapshot snapshot() {
            return model.snapshot();
        }

        public void restore(Snapshot snapshot) {
            replicas.forEach(m -> m.restore(snapshot));
        }

        public float learningRate() {
            return model.learningRate();
        }

        /** Changes the learning rate from the next step on; nothing is rebuilt. */
        public void setLearningRate(float rate) {
            replicas.forEach(m -> m.setLearningRate(rate));
        }

        /** Where the run prints its progress. */
        public PrintStream out() {
            return out;
        }

        /** Rows per batch (the last batch of an epoch may hold fewer). */
        public int batchSize() {
            return batchSize;
        }

        /** Batches per epoch. */
        public int batches() {
            return batchLosses.length;
        }

        /** The rows of batch {@code b} (from 0) of the epoch just ended: the batch size, fewer in the last. */
        public int batchRows(int b) {
            return Math.min(batchSize, epochSamples - b * batchSize);
        }

        /** The mean loss of batch {@code b} (from 0) of the epoch just ended. */
        public float batchLoss(int b) {
            return batchLosses[b];
        }

        /**
         * The first batch (from 0) of the epoch just ended whose mean loss was not finite, or
         * -1 if every batch's was: where a run went bad, though the loss is read only once an
         * epoch (reading it after every batch would wait for the device every time).
         */
        public int firstNonFiniteBatch() {
            for (int b = 0; b < batchLosses.length; b++) {
                if (!Float.isFinite(batchLosses[b])) {
                    return b;
                }
            }
            return -1;
        }

        /**
         * Runs {@code action} once every callback has seen this epoch's end, so that what it
         * records (a checkpoint's {@link #trainingState()}) includes their state for the epoch.
         */
        public void atEpochEnd(Runnable action) {
            epochEndActions.add(action);
        }

        /** Where training stands after the last completed epoch, for a checkpoint. */
        public TrainingState trainingState() {
            Map<String, Map<String, Object>> states = new LinkedHashMap<>();
            for (int i = 0; i < callbacks.size(); i++) {
                Map<String, Object> s = callbacks.get(i).state();
                if (!s.isEmpty()) {
                    states.put(keys.get(i), s);
                }
            }
            return new TrainingState(epochsDone, epochs, batchSize, shuffleRng.state(), history.copy(), states,
                    String.join(",", replicas.stream().map(m -> m.backend().name()).toList()), deterministic, firstStep);
        }

        void epochDone(int epoch, float[] stepLosses, int samples) {
            epochsDone = epoch + 1;
            batchLosses = stepLosses;
            epochSamples = samples;
        }

        /**
         * Runs what callbacks queued with {@link #atEpochEnd}: {@code fit} calls it after every
         * callback has seen an epoch's end (a callback tested on its own calls it itself).
         */
        public void runEpochEndActions() {
            try {
                epochEndActions.forEach(Runnable::run);
            } finally {
                epochEndActions.clear();
            }
        }

        void restoreCallbacks(Map<String, Map<String, Object>> states) {
            for (int i = 0; i < callbacks.size(); i++) {
                Map<String, Object> s = states.get(keys.get(i));
                if (s != null) {
                    callbacks.get(i).restoreState(s);
                }
            }
        }

        /** Each callback's key in a checkpoint: its class's simple name, _1, _2, ... for repeats. */
        private static List<String> keys(List<Callback> callbacks) {
            Map<String, Integer> seen = new HashMap<>();
            List<String> keys = new ArrayList<>();
            for (Callback c : callbacks) {
                String base = c.getClass().getSimpleName();
                int k = seen.merge(base, 1, Integer::sum) - 1;
                keys.add(k == 0 ? base : base + "_" + k);
            }
            return keys;
        }
    }

    public EvaluationResult evaluate(HostTensor x, HostTensor y, int batchSize, int verbose, PrintStream out) {
        requireCompiled();
        checkBatchSize("evaluate", batchSize);
        checkSamples("x", x, "y", y);
        model.build(x.cols()); // refuses a width other than the model's
        checkTargets("y", y);
        Backend backend = model.backend();
        int batch = Math.min(batchSize, x.rows());
        // one pass in order: batches go straight from the host arrays, nothing is copied whole
        try (BatchSource data = BatchSource.of(backend, x, y, false);
             Tensor xb = backend.alloc(batch, x.cols());
             Tensor yb = backend.alloc(batch, y.cols());
             Tensor metrics = backend.alloc(1, BLOCK)) {
            Progbar bar = verbose > 0
                    ? new Progbar(out, (x.rows() + batch - 1) / batch, verbose == 1 && Progbar.isTerminal(out),
                    verbose == 1)
                    : null;
            runBatches(data, xb, yb, metrics, EVALUATION);
            float[] host = new float[BLOCK];
            backend.download(metrics, host);
            Map<String, Double> values = metricValues(host, EVALUATION, x.rows(), "", model.metricName());
            if (bar != null) {
                bar.finish(values);
            }
            return new EvaluationResult(values.get("loss"), values.get(model.metricName()), x.rows());
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
        checkBatchSize("predict", batchSize);
        model.build(x.cols());
        Backend backend = model.backend();
        int batch = Math.min(batchSize, x.rows());
        int outputs = model.outputFeatures();
        float[] result = new float[x.rows() * outputs];
        float[] chunk = new float[batch * outputs];
        // one pass in order: batches go straight from the host arrays, nothing is copied whole
        try (BatchSource data = BatchSource.of(backend, x, null, false);
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
    private static Map<String, Double> metricValues(float[] host, int slot, int samples, String prefix,
                                                    String metric) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(prefix + "loss", Backend.accumulated(host, slot) / samples);
        m.put(prefix + metric, Backend.accumulated(host, slot + 2) / samples);
        return m;
    }

    // ---------------------------------------------------------------- input checks

    private void requireCompiled() {
        if (model.loss() == null) {
            throw new IllegalStateException("model " + model.name() + " is not compiled: call compile(optimizer, loss)");
        }
    }

    private static void checkBatchSize(String what, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException(what + ": batch size must be positive, got " + batchSize);
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
