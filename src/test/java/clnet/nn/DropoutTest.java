package clnet.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.TestBackends;
import clnet.Tensors;
import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.io.ModelFile;
import clnet.ops.Loss;
import clnet.optim.RMSprop;
import clnet.tensor.HostTensor;
import clnet.tensor.Philox;
import clnet.tensor.Rng;
import clnet.train.FitOptions;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Dropout: Philox masks, inverted scaling, nothing dropped at inference, the same run from the same seed. */
class DropoutTest {

    @Test
    void philoxGivesRandom123sKnownAnswers() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                Philox.philox4x32_10(new int[] {0, 0, 0, 0}, new int[] {0, 0}));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.philox4x32_10(new int[] {-1, -1, -1, -1}, new int[] {-1, -1}));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.philox4x32_10(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                        new int[] {0xa4093822, 0x299f31d0}));
    }

    @Test
    void theOpDropsAboutRateAndScalesTheRest() {
        try (CpuBackend b = new CpuBackend(); Tensor x = b.alloc(100, 100); Tensor y = b.alloc(100, 100)) {
            b.fill(x, 2f);
            b.dropout(x, y, 0.25f, 9, 3, 0);
            float[] v = b.download(y).data();
            int dropped = 0;
            for (float f : v) {
                assertTrue(f == 0f || f == 2f / 0.75f, "value " + f);
                dropped += f == 0f ? 1 : 0;
            }
            assertTrue(Math.abs(dropped - 2500) < 200, dropped + " of 10000 dropped");
            float[] again = new float[v.length];
            b.dropout(x, y, 0.25f, 9, 3, 0);
            b.download(y, again);
            assertArrayEquals(v, again, "the same (seed, stream): the same mask");
            b.dropout(x, y, 0.25f, 9, 4, 0);
            assertNotEquals(java.util.Arrays.toString(v), java.util.Arrays.toString(b.download(y).data()));
            b.fill(x, Float.NaN);
            b.dropout(x, y, 0.25f, 9, 3, 0);
            float[] nan = b.download(y).data();
            for (int i = 0; i < nan.length; i++) {
                assertTrue(v[i] == 0f ? nan[i] == 0f : Float.isNaN(nan[i]), "a dropped NaN is 0, a kept one NaN");
            }
            assertThrows(IllegalArgumentException.class, () -> b.dropout(x, y, 1f, 0, 0, 0));
        }
    }

    @Test
    void inferencePassesTheInputThroughAndTrainingRedrawsTheMaskForBackward() {
        try (CpuBackend b = new CpuBackend(); Sequential m = new Sequential(b)) {
            m.add(new Dense(6, "linear").inputShape(4));
            m.add(new Dropout(0.5));
            m.compile(new RMSprop(), Loss.MEAN_SQUARED_ERROR);
            Dropout d = (Dropout) m.layers().get(1);
            try (Tensor x = b.alloc(8, 6); Tensor g = b.alloc(8, 6)) {
                b.fill(x, 1f);
                assertSame(x, d.forward(x, false));
                assertEquals(0, d.step());
                float[] y = b.download(d.forward(x, true)).data();
                assertEquals(0, d.step(), "the stream advances with the step, not the pass");
                b.fill(g, 3f);
                float[] dx = b.download(d.backward(g, true)).data();
                for (int i = 0; i < y.length; i++) {
                    assertEquals(y[i] == 0f ? 0f : 6f, dx[i], "element " + i); // 3 / (1 - 0.5) where kept
                }
                d.stepDone();
                assertEquals(1, d.step());
                float[] next = b.download(d.forward(x, true)).data();
                assertFalse(java.util.Arrays.equals(y, next), "the next step draws another mask");
            }
        }
    }

    /** A row block draws the whole batch's mask for its rows, and its backward pass the same mask. */
    @Test
    void aRowBlockDrawsTheWholeBatchsMaskForItsRows() {
        try (CpuBackend b = new CpuBackend(); Sequential m = new Sequential(b)) {
            m.add(new Dense(7, "linear").inputShape(4));
            m.add(new Dropout(0.5));
            m.compile(new RMSprop(), Loss.MEAN_SQUARED_ERROR);
            Dropout d = (Dropout) m.layers().get(1);
            try (Tensor whole = b.alloc(10, 7); Tensor block = b.alloc(4, 7); Tensor g = b.alloc(4, 7)) {
                b.fill(whole, 1f);
                b.fill(block, 1f);
                float[] all = b.download(d.forward(whole, true)).data();
                d.batchRowOffset(3); // rows 3..6 of the same step's batch
                float[] rows = b.download(d.forward(block, true)).data();
                assertArrayEquals(java.util.Arrays.copyOfRange(all, 3 * 7, 7 * 7), rows);
                d.batchRowOffset(0); // a later change does not alter the pass already made
                b.fill(g, 1f);
                float[] dx = b.download(d.backward(g, true)).data();
                assertArrayEquals(rows, dx, "the backward pass redraws the forward pass's mask");
            }
        }
    }

    static java.util.stream.Stream<String> devices() {
        return TestBackends.deviceNames();
    }

    /** Same seed, same backend, same data: the same weights bit for bit, dropout included; and a model file keeps the layer. */
    @ParameterizedTest
    @MethodSource("devices")
    void aRunWithDropoutIsReproducibleAndSurvivesAModelFile(String device, @TempDir Path dir) throws Exception {
        HostTensor x = Tensors.uniform(new Rng(1), -1f, 1f, 64, 10);
        HostTensor y = Tensors.oneHot(new Rng(2), 64, 3);
        List<HostTensor> first = null;
        for (int run = 0; run < 2; run++) {
            try (Backend b = TestBackends.open(device); Sequential m = new Sequential(b).seed(5)) {
                m.add(new Dense(16, "relu").inputShape(10));
                m.add(new Dropout(0.3));
                m.add(new Dense(3, "softmax"));
                m.compile(new RMSprop(), Loss.CATEGORICAL_CROSSENTROPY);
                m.fit(x, y, new FitOptions().epochs(3).batchSize(16).verbose(0));
                List<HostTensor> w = m.getWeights();
                if (first == null) {
                    first = w;
                    ModelFile.save(m, dir.resolve("d.safetensors"));
                    try (Sequential loaded = ModelFile.load(dir.resolve("d.safetensors"), b)) {
                        assertEquals("Dropout", loaded.layers().get(1).type());
                        assertEquals(0.3f, ((Dropout) loaded.layers().get(1)).rate());
                        assertArrayEquals(m.predict(x).data(), loaded.predict(x).data());
                    }
                } else {
                    for (int i = 0; i < w.size(); i++) {
                        assertArrayEquals(first.get(i).data(), w.get(i).data(), device + " weight " + i);
                    }
                }
            }
        }
    }
}
