package clnet.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.Tensors;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.optim.Optimizer;
import clnet.optim.RMSprop;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The optimizer's state in model files: training resumed from a file ends where training without a stop does. */
class OptimizerStateFileTest {
    @TempDir
    Path dir;

    private static final HostTensor X = Tensors.uniform(new Rng(3), -1f, 1f, 24, 6);
    private static final HostTensor Y = Tensors.oneHot(new Rng(4), 24, 3);

    private static Sequential model(CpuBackend backend, Optimizer optimizer) {
        Sequential m = new Sequential(backend).seed(11);
        m.add(new Dense(8, "tanh").inputShape(6));
        m.add(new Dense(3, "softmax"));
        m.compile(optimizer, Loss.CATEGORICAL_CROSSENTROPY);
        return m;
    }

    /** {@code steps} training steps on fixed batches of 8 (the step index picks the batch). */
    private static void train(Sequential m, CpuBackend backend, int from, int steps) {
        try (Tensor acc = backend.alloc(1, 4)) {
            for (int s = from; s < from + steps; s++) {
                int start = (s % 3) * 8;
                try (Tensor x = backend.upload(X.rowRange(start, start + 8));
                     Tensor y = backend.upload(Y.rowRange(start, start + 8))) {
                    m.trainOnBatch(x, y, acc, 0);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rmsprop", "adam"})
    void resumedTrainingEqualsUninterruptedTrainingBitForBit(String name) throws Exception {
        Supplier<Optimizer> optimizer = () -> name.equals("adam") ? new Adam(0.01f) : new RMSprop(0.01f);
        List<HostTensor> straight;
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b, optimizer.get())) {
            train(m, b, 0, 7);
            straight = m.getWeights();
        }
        Path file = dir.resolve("half.safetensors");
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b, optimizer.get())) {
            train(m, b, 0, 4);
            m.optimizer().setLearningRate(m.optimizer().learningRate()); // a no-op change is still state
            ModelFile.save(m, file);
        }
        try (CpuBackend b = new CpuBackend(); Sequential m = ModelFile.load(file, b)) {
            assertEquals(4, m.optimizer().iterations());
            train(m, b, 4, 3);
            List<HostTensor> resumed = m.getWeights();
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i).data(), resumed.get(i).data(), "weight " + i);
            }
        }
        // and the file says what it holds
        String header = new String(Files.readAllBytes(file), 8, 2000, java.nio.charset.StandardCharsets.UTF_8);
        String slot = name.equals("adam") ? "optimizer/dense/kernel/momentum" : "optimizer/dense/kernel/velocity";
        assertTrue(header.contains("\"" + slot + "\""), header);
        assertTrue(header.contains("optimizer_state"), header);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fresh", "restored"})
    void aModelOnlyEvaluatedNeverAllocatesOptimizerSlots(String kind) throws Exception {
        Path file = dir.resolve("m.safetensors");
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b, new RMSprop())) {
            if (kind.equals("restored")) {
                train(m, b, 0, 2);
            }
            ModelFile.save(m, file);
        }
        try (CountingBackend b = new CountingBackend(Integer.MAX_VALUE); Sequential m = ModelFile.load(file, b)) {
            long afterLoad = b.allocated;
            m.evaluate(X, Y);
            m.predict(X);
            // evaluate and predict allocate their batch buffers, never 4 slot tensors
            assertTrue(b.allocated - afterLoad < 20, "allocated " + (b.allocated - afterLoad));
            assertEquals(kind.equals("restored") ? 2 : 0, m.optimizer().iterations());
            assertEquals(kind.equals("restored") ? 4 : 0, m.optimizer().slotValues().size());
        }
    }

    /** Adam keeps two slots per parameter; the failAt-th of the four allocations fails. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void aSlotAllocationThatFailsFreesTheSlotsAlreadyMade(int failAt) {
        try (CountingBackend b = new CountingBackend(Long.MAX_VALUE);
             Tensor w1 = b.alloc(2, 3); Tensor g1 = b.alloc(2, 3); Tensor w2 = b.alloc(1, 3); Tensor g2 = b.alloc(1, 3)) {
            Adam adam = new Adam();
            adam.attach(b, List.of(new clnet.backend.Parameter("w1", w1, g1), new clnet.backend.Parameter("w2", w2, g2)));
            long open = b.open();
            b.failAfter = b.allocated + failAt - 1;
            assertThrows(IllegalStateException.class, adam::step);
            assertEquals(open, b.open(), "slots left allocated after the failure");
            assertEquals(0, adam.iterations());
            b.failAfter = Long.MAX_VALUE;
            adam.step(); // works once memory is there, from fresh slots
            assertEquals(1, adam.iterations());
            assertEquals(open + 4, b.open());
            adam.close();
            assertEquals(open, b.open());
        }
    }

    @org.junit.jupiter.api.Test
    void fitRefusesAModelWithoutAnOptimizerWhileEvaluateWorks() {
        try (CpuBackend b = new CpuBackend(); Sequential m = new Sequential(b)) {
            m.add(new Dense(3, "softmax").inputShape(6));
            m.compile(Loss.CATEGORICAL_CROSSENTROPY);
            assertTrue(Double.isFinite(m.evaluate(X, Y).loss()));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.fit(X, Y, new clnet.train.FitOptions().verbose(0)));
            assertTrue(e.getMessage().contains("has no optimizer"), e.getMessage());
        }
    }

    @org.junit.jupiter.api.Test
    void theLearningRateChangesBetweenSteps() {
        List<HostTensor> a;
        List<HostTensor> b2;
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b, new RMSprop(0.01f))) {
            train(m, b, 0, 2);
            m.optimizer().setLearningRate(0.001f);
            train(m, b, 2, 2);
            a = m.getWeights();
        }
        try (CpuBackend b = new CpuBackend(); Sequential m = model(b, new RMSprop(0.01f))) {
            train(m, b, 0, 4);
            b2 = m.getWeights();
        }
        assertNotEquals(a.get(0).data()[0], b2.get(0).data()[0]);
        assertThrows(IllegalArgumentException.class, () -> new RMSprop().setLearningRate(Float.NaN));
    }

    /** The CPU reference backend, counting allocations and failing the one after {@code failAfter}. */
    static final class CountingBackend extends CpuBackend {
        long allocated;
        long released;
        long failAfter;

        CountingBackend(long failAfter) {
            this.failAfter = failAfter;
        }

        long open() {
            return allocated - released;
        }

        @Override
        protected Tensor doAlloc(clnet.tensor.Shape shape, clnet.backend.DType dtype) {
            if (allocated >= failAfter) {
                throw new IllegalStateException("out of memory (a test's)");
            }
            allocated++;
            return super.doAlloc(shape, dtype);
        }

        @Override
        protected void doRelease(Tensor t) {
            released++;
            super.doRelease(t);
        }
    }
}
