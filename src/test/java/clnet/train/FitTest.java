package clnet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.Tensors;
import clnet.TestBackends;
import clnet.backend.Backend;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.optim.Optimizer;
import clnet.optim.SGD;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * fit, evaluate and predict on small synthetic data: Keras's semantics, determinism,
 * errors; on every backend (the CPU backend and the OpenCL test device).
 */
@ParameterizedClass
@MethodSource("clnet.TestBackends#deviceNames")
class FitTest {
    private final Backend backend;

    FitTest(String device) {
        backend = TestBackends.open(device);
    }
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @AfterEach
    void close() {
        backend.close();
    }

    /** Three Gaussian blobs in 6 dimensions, one-hot labels. */
    static HostTensor[] blobs(int n, long seed) {
        Rng rng = new Rng(seed);
        HostTensor x = HostTensor.zeros(n, 6);
        HostTensor y = HostTensor.zeros(n, 3);
        for (int i = 0; i < n; i++) {
            int c = rng.nextInt(3);
            y.set(i, c, 1f);
            for (int j = 0; j < 6; j++) {
                x.set(i, j, (float) (rng.nextGaussian() * 0.5 + (j % 3 == c ? 1.5 : 0)));
            }
        }
        return new HostTensor[] {x, y};
    }

    private Sequential model(Optimizer opt, Loss loss, long seed) {
        Sequential m = new Sequential(backend).seed(seed);
        m.add(new Dense(8, "tanh").inputShape(6));
        m.add(new Dense(3, loss == Loss.BINARY_CROSSENTROPY ? "sigmoid" : "softmax"));
        m.compile(opt, loss);
        return m;
    }

    private FitOptions quiet() {
        return new FitOptions().verbose(0).out(new PrintStream(log, true));
    }

    @Test
    void sameSeedsGiveTheSameRunAndOtherShufflesDiffer() {
        HostTensor[] d = blobs(200, 1);
        History a;
        History b;
        History c;
        List<HostTensor> wa;
        List<HostTensor> wb;
        try (Sequential m = model(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, 3)) {
            a = m.fit(d[0], d[1], quiet().epochs(3).batchSize(16));
            wa = m.getWeights();
        }
        try (Sequential m = model(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, 3)) {
            b = m.fit(d[0], d[1], quiet().epochs(3).batchSize(16));
            wb = m.getWeights();
        }
        try (Sequential m = model(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, 3)) {
            c = m.fit(d[0], d[1], quiet().epochs(3).batchSize(16).seed(99));
        }
        assertEquals(a.history(), b.history());
        for (int i = 0; i < wa.size(); i++) {
            assertArrayEquals(wa.get(i).data(), wb.get(i).data());
        }
        assertNotEquals(a.get("loss"), c.get("loss"), "another shuffle seed gives another batch order");
    }

    /**
     * A second fit of the same model draws new batch orders, as Keras's does, rather than
     * replaying the first's; a fresh model's first fit is unchanged. With a learning rate of
     * 0 (Keras takes it: a warm-up may start there) the weights stay put, so each batch's
     * loss says which samples it held.
     */
    @Test
    void aSecondFitDrawsNewBatchOrders() {
        HostTensor[] d = blobs(64, 4);
        float[][] first = new float[5][];
        Callback record = new Callback() {
            int fits;

            @Override
            public void onEpochEnd(int epoch, java.util.Map<String, Double> logs, Trainer.Run run) {
                float[] losses = new float[run.batches()];
                for (int b = 0; b < losses.length; b++) {
                    losses[b] = run.batchLoss(b);
                }
                first[fits++] = losses;
            }
        };
        try (Sequential m = model(new SGD(0f), Loss.CATEGORICAL_CROSSENTROPY, 5)) {
            m.fit(d[0], d[1], quiet().batchSize(8).callbacks(record));
            m.fit(d[0], d[1], quiet().batchSize(8).callbacks(record));
        }
        try (Sequential m = model(new SGD(0f), Loss.CATEGORICAL_CROSSENTROPY, 5)) {
            m.fit(d[0], d[1], quiet().batchSize(8).callbacks(record));
        }
        try (Sequential m = model(new SGD(0f), Loss.CATEGORICAL_CROSSENTROPY, 5)) { // fine-tuning: a new optimizer
            m.fit(d[0], d[1], quiet().batchSize(8).callbacks(record));
            m.compile(new SGD(0f), Loss.CATEGORICAL_CROSSENTROPY);
            m.fit(d[0], d[1], quiet().batchSize(8).callbacks(record));
        }
        assertNotEquals(java.util.Arrays.toString(first[3]), java.util.Arrays.toString(first[4]),
                "a new optimizer does not make the model's next fit replay its first");
        assertArrayEquals(first[0], first[2], "a fresh model's first fit draws what it always did");
        assertNotEquals(java.util.Arrays.toString(first[0]), java.util.Arrays.toString(first[1]),
                "the second fit of a model shuffles anew");
    }

    /** compile with the optimizer the model has keeps its state, as Keras's does; another optimizer starts anew. */
    @Test
    void compilingAgainWithTheSameOptimizerKeepsItsState() {
        HostTensor[] d = blobs(48, 6);
        try (Sequential m = model(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, 2)) {
            m.fit(d[0], d[1], quiet().batchSize(16));
            Optimizer adam = m.optimizer();
            java.util.Map<String, HostTensor> slots = adam.slotValues();
            assertEquals(3, adam.iterations());
            m.compile(adam, Loss.MEAN_SQUARED_ERROR);
            assertEquals(3, adam.iterations(), "Adam's bias correction goes on");
            java.util.Map<String, HostTensor> kept = adam.slotValues();
            assertEquals(slots.keySet(), kept.keySet());
            for (String k : slots.keySet()) {
                assertArrayEquals(slots.get(k).data(), kept.get(k).data(), k);
            }
            m.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY);
            assertEquals(0, m.optimizer().iterations());
        }
    }

    /**
     * A sigmoid output saturated on the wrong side (p = sigmoid(-20), below the loss's 1e-7
     * clip) still learns, as Keras on TensorFlow does: binary cross-entropy's gradient is taken
     * through the sigmoid, p - y, rather than through the clipped loss, whose slope is 0 there.
     */
    @Test
    void aSaturatedWrongSigmoidStillLearns() {
        try (Sequential m = new Sequential(backend).seed(1)) {
            m.add(new Dense(1, "sigmoid").inputShape(1));
            m.compile(new SGD(0.1f), Loss.BINARY_CROSSENTROPY);
            m.setWeights(List.of(HostTensor.of(clnet.tensor.Shape.of(1, 1), 0f),
                    HostTensor.of(clnet.tensor.Shape.of(1, 1), -20f)));
            m.fit(HostTensor.zeros(1, 1), HostTensor.of(clnet.tensor.Shape.of(1, 1), 1f), quiet().batchSize(1));
            float bias = m.getWeights().get(1).data()[0];
            assertEquals(-20f + 0.1f, bias, 1e-5f, "one step of lr * (1 - p)");
        }
    }

    @Test
    void evaluateAndPredictRefuseABatchSizeBelowOne() {
        HostTensor[] d = blobs(10, 8);
        try (Sequential m = model(new SGD(), Loss.CATEGORICAL_CROSSENTROPY, 1)) {
            m.predict(d[0], 4); // built: a zero batch would otherwise loop for ever
            IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> m.predict(d[0], 0));
            assertEquals("predict: batch size must be positive, got 0", p.getMessage());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.evaluate(d[0], d[1], -3, 0, System.out));
            assertEquals("evaluate: batch size must be positive, got -3", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new SGD(-0.1f));
        assertThrows(IllegalArgumentException.class, () -> new SGD(Float.NaN));
    }

    /**
     * A training step never waits for the device (issue 7): an epoch of 4 steps and one of
     * 25 read back the same once (the epoch's metrics), so every step is queued without a
     * download or finish; validation adds no read (its sums share the epoch's).
     */
    @Test
    void trainingStepsNeverWaitForTheDevice() {
        HostTensor[] d = blobs(200, 4);
        long[] waits = new long[3];
        int[] batches = {50, 8, 8};
        for (int i = 0; i < waits.length; i++) {
            try (Sequential m = model(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, 5)) {
                FitOptions o = quiet().epochs(3).batchSize(batches[i]);
                long before = backend.hostWaits();
                m.fit(d[0], d[1], i == 2 ? o.validationSplit(0.2) : o);
                waits[i] = backend.hostWaits() - before;
            }
        }
        assertEquals(3, waits[0], "4 steps per epoch");
        assertEquals(3, waits[1], "25 steps per epoch");
        assertEquals(3, waits[2], "with validation (its sums share the epoch's read)");
    }

    @Test
    void learnsTheBlobs() {
        HostTensor[] d = blobs(300, 2);
        HostTensor[] t = blobs(100, 3);
        try (Sequential m = model(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY, 1)) {
            m.fit(d[0], d[1], quiet().epochs(10).batchSize(32));
            assertTrue(m.evaluate(t[0], t[1]).accuracy() > 0.9);
        }
    }

    @Test
    void validationSplitHoldsOutTheLastSamples() {
        HostTensor[] d = blobs(100, 4);
        try (Sequential m = model(new SGD(0.1f), Loss.CATEGORICAL_CROSSENTROPY, 1)) {
            History h = m.fit(d[0], d[1], quiet().epochs(2).batchSize(10).validationSplit(0.2));
            EvaluationResult last20 = m.evaluate(d[0].rowRange(80, 100), d[1].rowRange(80, 100));
            assertEquals(last20.loss(), h.last("val_loss"), 1e-5);
            assertEquals(last20.accuracy(), h.last("val_accuracy"), 1e-9);
        }
    }

    @Test
    void partialLastBatchAndProgressLine() {
        HostTensor[] d = blobs(37, 5);
        try (Sequential m = model(new SGD(0.1f), Loss.CATEGORICAL_CROSSENTROPY, 1)) {
            m.fit(d[0], d[1], new FitOptions().epochs(2).batchSize(10).out(new PrintStream(log, true)));
        }
        String out = log.toString();
        assertTrue(out.startsWith("Epoch 1/2\n4/4 [==============================] - "), out);
        assertTrue(out.contains("\nEpoch 2/2\n4/4 ["), out);
        assertTrue(out.matches("(?s).*/step - loss: \\d\\.\\d{4} - accuracy: \\d\\.\\d{4}\n"), out);
    }

    @Test
    void verboseZeroPrintsNothingAndTwoHasNoBar() {
        HostTensor[] d = blobs(20, 6);
        try (Sequential m = model(new SGD(0.1f), Loss.CATEGORICAL_CROSSENTROPY, 1)) {
            m.fit(d[0], d[1], quiet().epochs(1));
            assertEquals("", log.toString());
            m.fit(d[0], d[1], new FitOptions().verbose(2).out(new PrintStream(log, true)));
        }
        assertTrue(log.toString().matches("Epoch 1/1\n1/1 - \\d+s - \\d+(s|ms|us)/step - loss: .*\n"), log.toString());
    }

    /** As Keras's fit: a run whose loss goes bad trains on (TerminateOnNaN stops it), and the history says so. */
    @Test
    void aDivergingRunReportsItsNonFiniteLoss() {
        HostTensor[] d = blobs(50, 7);
        for (int i = 0; i < d[0].data().length; i++) {
            d[0].data()[i] *= 1e3f;
        }
        try (Sequential m = new Sequential(backend)) {
            m.add(new Dense(4, "linear").inputShape(6));
            m.add(new Dense(3, "linear"));
            m.compile(new SGD(1e3f), Loss.MEAN_SQUARED_ERROR);
            History h = m.fit(d[0], d[1], quiet().epochs(2));
            assertEquals(2, h.epochs());
            assertTrue(!Double.isFinite(h.last("loss")), h.toString());
        }
    }

    @Test
    void mismatchedInputsAreRefusedWithTheReason() {
        HostTensor[] d = blobs(10, 8);
        try (Sequential m = model(new SGD(), Loss.CATEGORICAL_CROSSENTROPY, 1)) {
            IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(d[0], d[1].rowRange(0, 9), quiet()));
            assertTrue(rows.getMessage().contains("10 samples but y holds 9"), rows.getMessage());
            IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(HostTensor.zeros(10, 5), d[1], quiet()));
            assertTrue(width.getMessage().contains("takes 6 features, got 5"), width.getMessage());
            IllegalArgumentException targets = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(d[0], HostTensor.zeros(10, 1), quiet()));
            assertTrue(targets.getMessage().contains("sparse_categorical_crossentropy"), targets.getMessage());
            HostTensor nan = blobs(10, 8)[0];
            nan.set(3, 2, Float.NaN);
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> m.fit(nan, d[1], quiet()));
            assertTrue(bad.getMessage().contains("NaN at sample 3, feature 2"), bad.getMessage());
        }
        try (Sequential m = model(new SGD(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, 1)) {
            HostTensor labels = HostTensor.zeros(10, 1);
            labels.set(4, 0, 3f);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(d[0], labels, quiet()));
            assertTrue(e.getMessage().contains("sample 4 has class 3.0"), e.getMessage());
        }
    }

    @Test
    void sparseAndOneHotTargetsTrainAlike() {
        HostTensor[] d = blobs(64, 9);
        HostTensor sparse = HostTensor.zeros(64, 1);
        for (int i = 0; i < 64; i++) {
            sparse.set(i, 0, d[1].argmaxRow(i));
        }
        History a;
        History b;
        try (Sequential m = model(new SGD(0.1f), Loss.CATEGORICAL_CROSSENTROPY, 1)) {
            a = m.fit(d[0], d[1], quiet().epochs(2).batchSize(8));
        }
        try (Sequential m = model(new SGD(0.1f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, 1)) {
            b = m.fit(d[0], sparse, quiet().epochs(2).batchSize(8));
        }
        for (String k : List.of("loss", "accuracy")) {
            for (int e = 0; e < 2; e++) {
                assertEquals(a.get(k).get(e), b.get(k).get(e), 1e-5, k);
            }
        }
    }

    @Test
    void predictIsIndependentOfTheBatchSize() {
        HostTensor[] d = blobs(45, 10);
        try (Sequential m = model(new SGD(0.1f), Loss.CATEGORICAL_CROSSENTROPY, 1)) {
            HostTensor p7 = m.predict(d[0], 7);
            HostTensor p64 = m.predict(d[0], 64);
            assertEquals(45, p7.rows());
            assertEquals(3, p7.cols());
            Tensors.assertClose("predict by 7 vs 64", p64.data(), p7.data(), 1e-6, 1e-5);
            for (int r = 0; r < 45; r++) {
                assertEquals(1.0, p7.get(r, 0) + p7.get(r, 1) + p7.get(r, 2), 1e-5);
            }
        }
    }
}
