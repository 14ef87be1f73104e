package clnet.callbacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.Tensors;
import clnet.TestBackends;
import clnet.backend.Backend;
import clnet.io.ModelFile;
import clnet.nn.Dense;
import clnet.nn.Dropout;
import clnet.nn.Regularizer;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.optim.SGD;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.train.Callback;
import clnet.train.FitOptions;
import clnet.train.History;
import clnet.train.TrainingState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checkpoints that resume bit for bit, TerminateOnNaN, and regularizers in the reported
 * loss, on every backend (the CPU backend and the OpenCL test device).
 */
@ParameterizedClass
@MethodSource("clnet.TestBackends#deviceNames")
class ResumeTest {
    private static final HostTensor X = Tensors.uniform(new Rng(1), -1f, 1f, 90, 12);
    private static final HostTensor Y = Tensors.oneHot(new Rng(2), 90, 4);
    private static final HostTensor VX = Tensors.uniform(new Rng(3), -1f, 1f, 30, 12);
    private static final HostTensor VY = Tensors.oneHot(new Rng(4), 30, 4);

    private final String device;
    private final Backend backend;

    ResumeTest(String device) {
        this.device = device;
        this.backend = TestBackends.open(device);
    }

    @AfterEach
    void close() {
        backend.close();
    }

    /** Dropout, a regularizer and Adam (whose step count matters): everything a resume must carry. */
    private Sequential model() {
        Sequential m = new Sequential(backend).seed(7);
        m.add(new Dense(16, "relu").inputShape(12).kernelRegularizer(Regularizer.l2(1e-3)));
        m.add(new Dropout(0.25));
        m.add(new Dense(4, "softmax"));
        m.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY);
        return m;
    }

    private static FitOptions options(int epochs, Callback... callbacks) {
        return new FitOptions().epochs(epochs).batchSize(16).verbose(0).validationData(VX, VY).callbacks(callbacks);
    }

    @Test
    void sixEpochsEqualThreeThenThreeResumedBitForBit(@TempDir Path dir) throws Exception {
        List<HostTensor> straight;
        History straightHistory;
        try (Sequential m = model()) {
            straightHistory = m.fit(X, Y, options(6, new ReduceLROnPlateau("val_loss", 0.5, 100, 0, 0, 0f),
                    new EarlyStopping("val_loss", 100, 0, true)));
            straight = m.getWeights();
        }
        Path checkpoint = dir.resolve("ck-{epoch:02d}.safetensors");
        try (Sequential m = model()) {
            // stopped after 3 of 6 epochs; ReduceLROnPlateau and EarlyStopping keep state across the resume
            m.fit(X, Y, options(3, new ReduceLROnPlateau("val_loss", 0.5, 100, 0, 0, 0f),
                    new EarlyStopping("val_loss", 100, 0, true),
                    new ModelCheckpoint(m, checkpoint.toString(), "val_loss", false)));
        }
        Path third = dir.resolve("ck-03.safetensors");
        ModelFile.Checkpoint c = ModelFile.loadCheckpoint(third, backend);
        try (Sequential m = c.model()) {
            TrainingState state = c.state();
            assertNotNull(state, "a checkpoint holds its training state");
            assertEquals(3, state.epoch());
            assertEquals(backend.name(), state.device());
            assertTrue(state.callbacks().containsKey("EarlyStopping"), state.callbacks().toString());
            History resumed = m.fit(X, Y, options(6, new ReduceLROnPlateau("val_loss", 0.5, 100, 0, 0, 0f),
                    new EarlyStopping("val_loss", 100, 0, true)).resumeFrom(state));
            List<HostTensor> w = m.getWeights();
            for (int i = 0; i < w.size(); i++) {
                assertArrayEquals(straight.get(i).data(), w.get(i).data(), device + ": weight " + i);
            }
            assertEquals(straightHistory.history(), resumed.history(), "the history, earlier epochs included");
        }
    }

    /**
     * A checkpoint taken in a model's second fit, under a new optimizer, resumes it bit for
     * bit too: the second fit's batch orders and warps (samples as 3 x 4 images, rotated and
     * shifted) start where the model's steps stood, which the checkpoint keeps (the new
     * optimizer's count does not know them), and differ from the first fit's.
     */
    @Test
    void aCheckpointOfASecondFitResumesItBitForBit(@TempDir Path dir) throws Exception {
        clnet.ops.Augmentation warp = clnet.ops.Augmentation.parse("rotation=20,shift=0.2");
        List<HostTensor> straight;
        History firstFit;
        History secondFit;
        Path checkpoint = dir.resolve("second-{epoch}.safetensors");
        try (Sequential m = model()) {
            firstFit = m.fit(X, Y, options(2).augment(warp, 3, 4, 1));
            m.compile(new Adam(0.005f), Loss.CATEGORICAL_CROSSENTROPY); // fine-tuning: its steps start at 0
            secondFit = m.fit(X, Y, options(4).augment(warp, 3, 4, 1)
                    .callbacks(new ModelCheckpoint(m, checkpoint.toString(), "val_loss", false)));
            straight = m.getWeights();
        }
        assertTrue(!firstFit.get("loss").get(0).equals(secondFit.get("loss").get(0)), "the second fit goes on");
        ModelFile.Checkpoint c = ModelFile.loadCheckpoint(dir.resolve("second-2.safetensors"), backend);
        try (Sequential m = c.model()) {
            assertEquals(2 * 6, c.state().firstStep(), "the model had taken the first fit's 12 steps");
            History resumed = m.fit(X, Y, options(4).augment(warp, 3, 4, 1).resumeFrom(c.state()));
            List<HostTensor> w = m.getWeights();
            for (int i = 0; i < w.size(); i++) {
                assertArrayEquals(straight.get(i).data(), w.get(i).data(), device + ": weight " + i);
            }
            assertEquals(secondFit.history(), resumed.history());
        }
    }

    @Test
    void sameSeedSameDataGivesTheSameRunWithAndWithoutDropout() {
        for (boolean dropout : new boolean[] {false, true}) {
            List<HostTensor> first = null;
            History firstHistory = null;
            for (int run = 0; run < 2; run++) {
                try (Sequential m = new Sequential(backend).seed(11)) {
                    m.add(new Dense(16, "relu").inputShape(12));
                    if (dropout) {
                        m.add(new Dropout(0.5));
                    }
                    m.add(new Dense(4, "softmax"));
                    m.compile(new Adam(0.01f), Loss.CATEGORICAL_CROSSENTROPY);
                    History h = m.fit(X, Y, options(3));
                    if (first == null) {
                        first = m.getWeights();
                        firstHistory = h;
                    } else {
                        assertEquals(firstHistory.history(), h.history(), "dropout " + dropout);
                        List<HostTensor> w = m.getWeights();
                        for (int i = 0; i < w.size(); i++) {
                            assertArrayEquals(first.get(i).data(), w.get(i).data(), "dropout " + dropout);
                        }
                    }
                }
            }
        }
    }

    /** The loss goes bad in the second epoch: the run stops there, naming the batch, with the first epoch's weights. */
    @Test
    void terminateOnNaNNamesTheBatchAndPutsBackTheLastGoodEpoch() {
        List<HostTensor> afterOne;
        try (Sequential m = new Sequential(backend).seed(3)) {
            m.add(new Dense(8, "linear").inputShape(12));
            m.add(new Dense(4, "linear"));
            m.compile(new SGD(0.01f), Loss.MEAN_SQUARED_ERROR);
            m.fit(X, Y, options(1));
            afterOne = m.getWeights();
        }
        try (Sequential m = new Sequential(backend).seed(3)) {
            m.add(new Dense(8, "linear").inputShape(12));
            m.add(new Dense(4, "linear"));
            m.compile(new SGD(0.01f), Loss.MEAN_SQUARED_ERROR);
            TerminateOnNaN stop = new TerminateOnNaN();
            LearningRateScheduler explode = new LearningRateScheduler((epoch, lr) -> epoch == 0 ? lr : 1e12f);
            History h = m.fit(X, Y, options(5, explode, stop));
            assertTrue(stop.terminated());
            assertEquals(2, h.epochs(), "stopped after the epoch that went bad");
            assertTrue(stop.reason().matches("the training loss became (NaN|Infinity) in epoch 2, batch \\d/6"),
                    stop.reason());
            assertEquals(0, stop.lastGoodEpoch());
            List<HostTensor> w = m.getWeights();
            for (int i = 0; i < w.size(); i++) {
                assertArrayEquals(afterOne.get(i).data(), w.get(i).data(), "the first epoch's weights are back");
            }
        }
    }

    /**
     * A first sample that happens to fit well is no baseline for divergence: with batches of
     * one row, the first sample's loss 0.01 and every other's 1, the weights held still (a
     * learning rate of 0), each epoch's loss is the same 0.97 and the run goes on.
     */
    @Test
    void terminateOnNaNDoesNotTakeOneLuckyBatchForTheStartingLoss() {
        HostTensor x = HostTensor.zeros(32, 1);
        HostTensor y = HostTensor.zeros(32, 1);
        for (int i = 0; i < 32; i++) {
            y.set(i, 0, i == 0 ? 0.1f : 1f); // the output is the bias, 0: losses 0.01, then 1
        }
        try (Sequential m = new Sequential(backend).seed(3)) {
            m.add(new Dense(1, "linear").inputShape(1));
            m.compile(new SGD(0f), Loss.MEAN_SQUARED_ERROR);
            TerminateOnNaN stop = new TerminateOnNaN();
            History h = m.fit(x, y, new FitOptions().epochs(3).batchSize(1).shuffle(false).verbose(0)
                    .callbacks(stop));
            assertFalse(stop.terminated(), stop.reason());
            assertEquals(3, h.epochs());
            assertEquals(31 / 32.0 + 0.01 / 32, h.get("loss").get(2), 1e-6);
        }
    }

    /**
     * Keras's reported loss with a regularizer is the data loss plus the penalty: with a
     * learning rate too small to move a weight, the two runs differ by exactly l2 * sum(kernel²).
     */
    @Test
    void theL2PenaltyIsInTheReportedLoss() {
        double[] loss = new double[2];
        double[] val = new double[2];
        double penalty = 0;
        for (int withL2 = 0; withL2 < 2; withL2++) {
            try (Sequential m = new Sequential(backend).seed(5)) {
                Regularizer r = withL2 == 1 ? Regularizer.l2(0.01) : null;
                m.add(new Dense(16, "tanh").inputShape(12).kernelRegularizer(r));
                m.add(new Dense(4, "softmax").kernelRegularizer(r));
                m.compile(new SGD(1e-30f), Loss.CATEGORICAL_CROSSENTROPY); // too small to move a weight
                History h = m.fit(X, Y, options(1));
                loss[withL2] = h.last("loss");
                val[withL2] = h.last("val_loss");
                if (withL2 == 1) {
                    List<HostTensor> w = m.getWeights();
                    for (int k : new int[] {0, 2}) { // the kernels; biases are not regularized
                        for (float v : w.get(k).data()) {
                            penalty += 0.01 * v * v;
                        }
                    }
                    assertEquals(val[1], m.evaluate(VX, VY).loss(), 1e-5, "evaluate includes it too");
                }
            }
        }
        assertTrue(penalty > 0.01, "the penalty is not negligible: " + penalty);
        assertEquals(penalty, loss[1] - loss[0], 1e-5);
        assertEquals(penalty, val[1] - val[0], 1e-5);
    }
}
