package clnet.train;

import clnet.callbacks.CsvLogger;
import clnet.callbacks.EarlyStopping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.cpu.CpuBackend;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.RMSprop;
import clnet.tensor.HostTensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Callbacks: the hooks in order, early stopping with the best weights restored, the CSV log. */
class CallbackTest {
    private static Sequential model(CpuBackend b) {
        Sequential m = new Sequential(b).seed(3);
        m.add(new Dense(8, "tanh").inputShape(6));
        m.add(new Dense(3, "softmax"));
        m.compile(new RMSprop(0.05f), Loss.CATEGORICAL_CROSSENTROPY);
        return m;
    }

    @Test
    void hooksRunInOrderAndEarlyStoppingRestoresTheBestEpoch(@TempDir Path dir) throws Exception {
        HostTensor[] data = FitTest.blobs(120, 4);
        HostTensor[] val = FitTest.blobs(60, 5);
        List<String> calls = new ArrayList<>();
        List<List<HostTensor>> weightsAfter = new ArrayList<>();
        Callback recorder = new Callback() {
            @Override
            public void onTrainBegin(Trainer.Run run) {
                calls.add("train begin");
            }

            @Override
            public void onEpochBegin(int epoch, Trainer.Run run) {
                calls.add("epoch " + epoch);
            }

            @Override
            public void onBatchEnd(int epoch, int batch, Trainer.Run run) {
                calls.add("batch");
            }

            @Override
            public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
                weightsAfter.add(run.weights());
            }

            @Override
            public void onTrainEnd(History history, Trainer.Run run) {
                calls.add("train end");
            }
        };
        // val_accuracy of these blobs saturates quickly: patience 1 on it stops a 50-epoch run early
        EarlyStopping stop = new EarlyStopping("val_accuracy", 1, 0, true);
        Path csv = dir.resolve("log.csv");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            History h = m.fit(data[0], data[1], new FitOptions().epochs(50).batchSize(40).verbose(0)
                    .validationData(val[0], val[1]).out(new PrintStream(out, true))
                    .callbacks(recorder, stop, new CsvLogger(csv)));
            int epochs = h.epochs();
            assertTrue(epochs < 50 && stop.stoppedEpoch() == epochs - 1, "stopped after " + epochs);
            assertEquals(List.of("train begin", "epoch 0", "batch", "batch", "batch", "epoch 1"), calls.subList(0, 6));
            assertEquals("train end", calls.get(calls.size() - 1));
            // the best epoch's weights are back
            List<HostTensor> now = m.getWeights();
            List<HostTensor> best = weightsAfter.get(stop.bestEpoch());
            for (int i = 0; i < now.size(); i++) {
                assertArrayEquals(best.get(i).data(), now.get(i).data(), "weight " + i);
            }
            assertTrue(out.toString().contains("Epoch " + epochs + ": early stopping; restored the weights of epoch "
                    + (stop.bestEpoch() + 1)), out.toString());
            // one CSV row per epoch run, the history's values
            List<String> rows = Files.readAllLines(csv);
            assertEquals(epochs + 1, rows.size());
            assertEquals("epoch,loss,accuracy,val_loss,val_accuracy", rows.get(0));
            assertEquals(h.get("val_loss").get(epochs - 1),
                    Double.parseDouble(rows.get(epochs).split(",")[3]));
        }
    }

    /** A callback watching a metric the run will not report is refused before the first step, not after an epoch. */
    @Test
    void aMonitorTheRunDoesNotReportIsRefusedBeforeTraining() {
        HostTensor[] data = FitTest.blobs(40, 2);
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            m.build(6);
            List<HostTensor> before = m.getWeights();
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.fit(data[0], data[1], new FitOptions().epochs(3).verbose(0)
                            .callbacks(new EarlyStopping("val_loss", 2, 0, true))));
            assertEquals("EarlyStopping monitors 'val_loss', which this run does not report (it reports [loss,"
                    + " accuracy]; validation data or a validation split gives val_ metrics)", e.getMessage());
            assertArrayEquals(before.get(0).data(), m.getWeights().get(0).data(), "no step was taken");
            assertEquals(0, m.optimizer().iterations());
        }
    }

    /** As Keras 3's: the best weights come back at the end even when patience never ran out. */
    @Test
    void earlyStoppingRestoresTheBestWeightsWhenTrainingEndsWithoutAStop() {
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            m.build(6);
            EarlyStopping stop = new EarlyStopping("val_loss", 10, 0, true);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Trainer.Run run = new Trainer.Run(m, new PrintStream(out, true));
            History h = new History();
            List<List<HostTensor>> weights = new ArrayList<>();
            stop.onTrainBegin(run);
            double[] valLoss = {0.5, 0.3, 0.4};
            for (int e = 0; e < valLoss.length; e++) {
                List<HostTensor> w = m.getWeights();
                w.get(0).data()[0] = e; // each epoch's weights told apart
                m.setWeights(w);
                weights.add(m.getWeights());
                h.add(Map.of("val_loss", valLoss[e]));
                stop.onEpochEnd(e, Map.of("val_loss", valLoss[e]), run);
                assertEquals(e, m.getWeights().get(0).data()[0], "nothing is put back before the end");
            }
            stop.onTrainEnd(h, run);
            assertEquals(-1, stop.stoppedEpoch());
            assertArrayEquals(weights.get(1).get(0).data(), m.getWeights().get(0).data(), "epoch 2's weights");
            assertEquals("EarlyStopping: restored the weights of epoch 2 (val_loss 0.3000), the best\n", out.toString());
        }
    }

    @Test
    void aCallbackChangesTheLearningRateBetweenEpochs() {
        HostTensor[] data = FitTest.blobs(80, 6);
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            Callback halve = new Callback() {
                @Override
                public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
                    run.setLearningRate(run.learningRate() / 2);
                }
            };
            m.fit(data[0], data[1], new FitOptions().epochs(3).batchSize(40).verbose(0).callbacks(halve));
            assertEquals(0.05f / 8, m.optimizer().learningRate());
        }
    }
}
