package clnet.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.Backend;
import clnet.backend.cpu.CpuBackend;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.RMSprop;
import clnet.train.FitOptions;
import clnet.train.History;
import clnet.train.SubsetTraining;
import java.io.OutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/**
 * Training on OpenCL follows the CPU run: the same seeded weights, shuffle and batch
 * order, so two epochs of the mnist_mlp recipe on the committed MNIST subset give
 * per-epoch losses within 1e-3 relative and accuracies within half a point.
 */
class OpenClTrainingTest {

    private static History twoEpochs(Backend backend, Boolean dataOnDevice) {
        try (Sequential model = new Sequential(backend)) {
            model.add(new Dense(512, "relu").inputShape(784));
            model.add(new Dense(512, "relu"));
            model.add(new Dense(10, "softmax"));
            model.compile(new RMSprop(), Loss.CATEGORICAL_CROSSENTROPY);
            return model.fit(SubsetTraining.xTrain(), SubsetTraining.yTrain(), new FitOptions().epochs(2).batchSize(128)
                    .validationData(SubsetTraining.xTest(), SubsetTraining.yTest()).dataOnDevice(dataOnDevice)
                    .verbose(0).out(new PrintStream(OutputStream.nullOutputStream())));
        }
    }

    @Test
    void twoEpochsMatchTheCpuBackend() {
        History cpu;
        History cl;
        try (CpuBackend b = new CpuBackend()) {
            cpu = twoEpochs(b, null);
        }
        try (OpenClBackend b = OpenClTestDevice.open()) {
            cl = twoEpochs(b, null);
        }
        for (int e = 0; e < 2; e++) {
            for (String loss : new String[] {"loss", "val_loss"}) {
                double a = cpu.get(loss).get(e);
                double b = cl.get(loss).get(e);
                assertEquals(a, b, 1e-3 * Math.abs(a), loss + " epoch " + (e + 1) + ": cpu " + a + ", opencl " + b);
            }
            for (String acc : new String[] {"accuracy", "val_accuracy"}) {
                double a = cpu.get(acc).get(e);
                double b = cl.get(acc).get(e);
                assertEquals(a, b, 0.005, acc + " epoch " + (e + 1) + ": cpu " + a + ", opencl " + b);
            }
        }
        assertTrue(cl.last("val_accuracy") > 0.8, "it learns: " + cl);
    }

    @Test
    void streamingTheDataGivesTheSameRunAsKeepingItOnTheDevice() {
        try (OpenClBackend b = OpenClTestDevice.open()) {
            History resident = twoEpochs(b, true);
            History streamed = twoEpochs(b, false);
            // the same batches in the same order through the same kernels: the same numbers
            assertEquals(resident.history(), streamed.history());
            assertEquals(0, b.liveBuffers(), "every buffer freed");
        }
    }
}
