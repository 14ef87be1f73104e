package clnet.callbacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.Tensors;
import clnet.backend.cpu.CpuBackend;
import clnet.io.ModelFile;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.RMSprop;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.train.FitOptions;
import clnet.train.History;
import clnet.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ReduceLROnPlateau, LearningRateScheduler and ModelCheckpoint, as Keras defines them. */
class CallbacksTest {
    private static final HostTensor X = Tensors.uniform(new Rng(1), -1f, 1f, 40, 5);
    private static final HostTensor Y = Tensors.oneHot(new Rng(2), 40, 3);

    private static Sequential model(CpuBackend b) {
        Sequential m = new Sequential(b).seed(4);
        m.add(new Dense(6, "tanh").inputShape(5));
        m.add(new Dense(3, "softmax"));
        m.compile(new RMSprop(0.01f), Loss.CATEGORICAL_CROSSENTROPY);
        return m;
    }

    @Test
    void reduceLrOnPlateauCutsTheRateAfterPatienceThenCoolsDown() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            Trainer.Run run = new Trainer.Run(m, new PrintStream(log, true));
            ReduceLROnPlateau cb = new ReduceLROnPlateau("val_loss", 0.5, 2, 1e-4, 1, 0.002f);
            cb.onTrainBegin(run);
            double[] valLoss = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
            // Keras's rule: a cut after `patience` epochs without improvement, the count restarting
            // after the cooldown epoch, never below min_lr
            float[] expected = {0.01f, 0.01f, 0.005f, 0.005f, 0.0025f, 0.0025f, 0.002f, 0.002f};
            for (int e = 0; e < valLoss.length; e++) {
                Map<String, Double> logs = new java.util.HashMap<>(Map.of("val_loss", valLoss[e]));
                float during = m.learningRate();
                cb.onEpochEnd(e, logs, run);
                assertEquals(expected[e], m.learningRate(), "epoch " + e);
                assertEquals((double) during, logs.get("learning_rate"), "the rate the epoch trained at, logged");
            }
            assertTrue(log.toString().contains("Epoch 3: ReduceLROnPlateau reducing learning rate to 0.005."),
                    log.toString());
        }
    }

    @Test
    void theSchedulerSetsTheRateBeforeEachEpoch() {
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            m.fit(X, Y, new FitOptions().epochs(3).batchSize(10).verbose(0)
                    .callbacks(new LearningRateScheduler((epoch, lr) -> 0.03f / (epoch + 1))));
            assertEquals(0.01f, m.learningRate());
        }
    }

    @Test
    void checkpointsEveryEpochOrOnlyTheBest(@TempDir Path dir) throws Exception {
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            ModelCheckpoint every = new ModelCheckpoint(m, dir.resolve("m-{epoch}.safetensors").toString(), "loss",
                    false);
            m.fit(X, Y, new FitOptions().epochs(3).batchSize(10).verbose(0).callbacks(every));
            for (int e = 0; e < 3; e++) {
                assertTrue(Files.isRegularFile(every.path(e)), every.path(e).toString());
            }
            assertEquals("m-3.safetensors", every.path(2).getFileName().toString());
            try (Sequential last = ModelFile.load(every.path(2), b)) {
                assertArrayEquals(m.predict(X).data(), last.predict(X).data(), "the last checkpoint is the model");
                assertEquals(m.optimizer().iterations(), last.optimizer().iterations());
            }
        }
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            ModelCheckpoint best = new ModelCheckpoint(m, dir.resolve("best-{epoch}.safetensors").toString(),
                    "val_loss", true);
            Trainer.Run run = new Trainer.Run(m, System.out);
            best.onTrainBegin(run);
            double[] valLoss = {0.9, 0.7, 0.8, 0.6};
            for (int e = 0; e < valLoss.length; e++) {
                best.onEpochEnd(e, Map.of("val_loss", valLoss[e]), run);
                run.runEpochEndActions();
            }
            assertTrue(Files.exists(best.path(0)) && Files.exists(best.path(1)) && Files.exists(best.path(3)));
            assertFalse(Files.exists(best.path(2)), "epoch 3 did not improve");
            // as Keras's, the best value outlives the fit: a worse first epoch of the next is no checkpoint
            best.onTrainBegin(run);
            best.onEpochEnd(4, Map.of("val_loss", 0.65), run);
            run.runEpochEndActions();
            assertFalse(Files.exists(best.path(4)), "0.65 is no better than the 0.6 of the fit before");
        }
    }

    /** Keras's file names: the epoch and the epoch's logs, formatted as Python formats them. */
    @Test
    void checkpointNamesTakeTheEpochsLogs(@TempDir Path dir) {
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            ModelCheckpoint named = new ModelCheckpoint(m,
                    dir.resolve("w.{epoch:02d}-{loss:.3f}.safetensors").toString(), "loss", false);
            History h = m.fit(X, Y, new FitOptions().epochs(2).batchSize(10).verbose(0).callbacks(named));
            for (int e = 0; e < 2; e++) {
                // Java's own %.3f, rounding half up the shortest digits: Python's but at such a tie (0.1235)
                String name = String.format(java.util.Locale.ROOT, "w.%02d-%.3f.safetensors", e + 1,
                        h.get("loss").get(e));
                assertTrue(Files.isRegularFile(dir.resolve(name)), name);
            }
        }
        // a field the run will not log is refused before the first step; one a callback logs is taken
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b)) {
            ModelCheckpoint wrong = new ModelCheckpoint(m, dir.resolve("w-{val_acc:.2f}.st").toString(), "loss", false);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.fit(X, Y, new FitOptions().epochs(2).batchSize(10).verbose(0).callbacks(wrong)));
            assertEquals("checkpoint path " + dir.resolve("w-{val_acc:.2f}.st") + ": no 'val_acc' to put in it;"
                    + " this run reports epoch, loss, accuracy", e.getMessage());
            assertEquals(0, m.optimizer().iterations(), "no step was taken");
            ModelCheckpoint rate = new ModelCheckpoint(m, dir.resolve("r-{learning_rate:.0e}.st").toString(), "loss",
                    false);
            m.fit(X, Y, new FitOptions().epochs(1).batchSize(10).verbose(0)
                    .callbacks(rate, new LearningRateScheduler((epoch, lr) -> 0.001f))); // named after it logged
            assertTrue(Files.isRegularFile(dir.resolve("r-1e-03.st")), "named by the rate the epoch trained at");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelCheckpoint(null, "ck-{epoch:2x}.st", "loss", false));
        assertTrue(e.getMessage().startsWith("checkpoint path ck-{epoch:2x}.st: "), e.getMessage());
    }
}
