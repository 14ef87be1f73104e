package clnet.multidevice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.Backend;
import clnet.backend.cpu.CpuBackend;
import clnet.nn.Dense;
import clnet.nn.Dropout;
import clnet.nn.Regularizer;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.tensor.HostTensor;
import clnet.train.FitOptions;
import clnet.train.History;
import clnet.train.SubsetTraining;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Data-parallel {@code fit}: deterministic mode gives the same weights bit for bit on one,
 * two and four devices; the default mode follows one device's run closely. On CPU backends
 * (always) and on pairs of OpenCL devices ({@link MultiDevice}: two PoCL devices in CI).
 */
class DataParallelTest {
    /** 1003 rows in batches of 100: uneven micro-shards, and a last batch of 3 rows leaves some of them empty. */
    private static final int ROWS = 1003;

    static Stream<String> kinds() {
        return MultiDevice.available() ? Stream.of("cpu", "opencl") : Stream.of("cpu");
    }

    /** {@code count} backends of one kind: CPU reference backends, or the OpenCL devices of {@link MultiDevice}. */
    static List<Backend> open(String kind, int count) {
        List<Backend> bs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            bs.add(kind.equals("cpu") ? new CpuBackend() : MultiDevice.open(i % MultiDevice.count()));
        }
        return bs;
    }

    /** Trains the test network on {@code backends} (the first holds the model); its weights and history. */
    static Result train(List<Backend> backends, boolean deterministic, int epochs) {
        HostTensor x = SubsetTraining.xTrain().rowRange(0, ROWS);
        HostTensor y = SubsetTraining.yTrain().rowRange(0, ROWS);
        try (Sequential m = new Sequential(backends.get(0))) {
            m.add(new Dense(24, "relu").inputShape(784).kernelRegularizer(Regularizer.l2(1e-3)));
            m.add(new Dropout(0.25));
            m.add(new Dense(10, "softmax"));
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY);
            FitOptions o = new FitOptions().epochs(epochs).batchSize(100).verbose(0).deterministic(deterministic)
                    .validationData(SubsetTraining.xTest(), SubsetTraining.yTest());
            if (backends.size() > 1) {
                o.devices(backends);
            }
            History h = m.fit(x, y, o);
            return new Result(m.getWeights(), h, m.snapshot().optimizerSlots().values().stream().toList());
        } finally {
            backends.forEach(Backend::close);
        }
    }

    record Result(List<HostTensor> weights, History history, List<HostTensor> slots) {
    }

    static void assertSameBits(Result a, Result b, String what) {
        for (int i = 0; i < a.weights().size(); i++) {
            assertArrayEquals(a.weights().get(i).data(), b.weights().get(i).data(), what + ": weight " + i);
        }
        for (int i = 0; i < a.slots().size(); i++) {
            assertArrayEquals(a.slots().get(i).data(), b.slots().get(i).data(), what + ": optimizer slot " + i);
        }
        assertEquals(a.history().history(), b.history().history(), what + ": history");
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void deterministicModeGivesTheSameWeightsOnOneTwoAndFourDevices(String kind) {
        Result one = train(open(kind, 1), true, 2);
        Result two = train(open(kind, 2), true, 2);
        assertSameBits(one, two, kind + ", 1 vs 2 devices");
        if (kind.equals("cpu")) {
            assertSameBits(one, train(open(kind, 4), true, 2), "cpu, 1 vs 4 devices");
        }
        assertTrue(one.history().last("val_accuracy") > 0.4, "it learned (chance is 0.1): " + one.history().history());
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void theDefaultModeFollowsOneDeviceWithin1e3AndIsReproducible(String kind) {
        Result plain = train(open(kind, 1), false, 2);
        Result two = train(open(kind, 2), false, 2);
        for (String key : List.of("loss", "val_loss")) {
            List<Double> a = plain.history().history().get(key);
            List<Double> b = two.history().history().get(key);
            for (int e = 0; e < a.size(); e++) {
                assertEquals(a.get(e), b.get(e), 1e-3 * Math.abs(a.get(e)), key + " of epoch " + (e + 1));
            }
        }
        assertSameBits(two, train(open(kind, 2), false, 2), kind + ": two devices twice");
        // not a copy of the one-device run: the gradients were summed in another order
        boolean differs = false;
        for (int i = 0; i < plain.weights().size(); i++) {
            differs |= !java.util.Arrays.equals(plain.weights().get(i).data(), two.weights().get(i).data());
        }
        assertTrue(differs, "two devices computed exactly what one did: was the batch really split?");
    }

    /** The micro-shards are what makes it deterministic: without them, one and two devices differ. */
    @Test
    void withoutMicroShardsOneAndTwoCpuBackendsDiffer() {
        Result one = train(open("cpu", 1), false, 1);
        Result two = train(open("cpu", 2), false, 1);
        boolean same = true;
        for (int i = 0; i < one.weights().size(); i++) {
            same &= java.util.Arrays.equals(one.weights().get(i).data(), two.weights().get(i).data());
        }
        assertFalse(same);
    }

    @Test
    void deterministicModeRefusesThreeDevicesAndTheModelMustHoldTheFirst() {
        Supplier<Sequential> model = () -> {
            Sequential m = new Sequential(new CpuBackend());
            m.add(new Dense(3, "softmax").inputShape(4));
            m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY);
            return m;
        };
        HostTensor x = HostTensor.zeros(8, 4);
        HostTensor y = HostTensor.zeros(8, 3);
        for (int i = 0; i < 8; i++) {
            y.set(i, i % 3, 1f);
        }
        try (Sequential m = model.get(); Backend b1 = new CpuBackend(); Backend b2 = new CpuBackend()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.fit(x, y,
                    new FitOptions().verbose(0).deterministic(true).devices(List.of(m.backend(), b1, b2))));
            assertTrue(e.getMessage().contains("1, 2, 4 or 8 devices, not 3"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.fit(x, y,
                    new FitOptions().verbose(0).devices(List.of(b1, m.backend()))));
            assertTrue(e.getMessage().contains("must be the model's own backend"), e.getMessage());
            // replicas share gradients, not weights: a device whose optimizer step rounds otherwise would drift
            try (Backend other = new CpuBackend() {
                @Override
                public String arithmetic() {
                    return "a driver that fuses multiply-adds";
                }
            }) {
                e = assertThrows(IllegalArgumentException.class, () -> m.fit(x, y,
                        new FitOptions().verbose(0).devices(List.of(m.backend(), other))));
                assertTrue(e.getMessage().contains("must compute the optimizer step bit for bit alike"), e.getMessage());
            }
        }
    }
}
