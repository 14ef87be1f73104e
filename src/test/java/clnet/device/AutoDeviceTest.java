package clnet.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.TemporaryCacheDirectory;
import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.backend.opencl.ClDevice;
import clnet.backend.opencl.OpenClTestDevice;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.RMSprop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --device auto: measured once, cached, and a broken cache only costs a measurement. */
class AutoDeviceTest {
    @TempDir
    Path cache;
    private TemporaryCacheDirectory cacheDir;

    @BeforeEach
    void useATemporaryCache() {
        cacheDir = new TemporaryCacheDirectory(cache);
    }

    @AfterEach
    void restore() {
        cacheDir.close();
    }

    @Test
    void theFasterCpuSideDeviceIsMeasuredOnceThenReadFromTheCache() throws Exception {
        OpenClTestDevice.get(); // needs an OpenCL device; CI has PoCL
        boolean anyGpu = ClDevice.all().stream().anyMatch(c -> c.isGpu() || c.isAccelerator());
        int[] net = {20, 16, 3};
        AutoDevice.Choice first = AutoDevice.choose(net, 32);
        if (anyGpu) {
            assertEquals("the first OpenCL GPU or accelerator", first.reason());
            return;
        }
        assertTrue(first.reason().matches("fastest here for this network: cpu [0-9.]+ ms/step, opencl:\\S+ [0-9.]+"
                + " ms/step.* \\(measured now, cached in .*\\)"), first.reason());
        Path file = cache.resolve("auto-device.properties");
        assertTrue(Files.isRegularFile(file));
        AutoDevice.Choice again = AutoDevice.choose(net, 32);
        assertEquals(first.device(), again.device());
        assertTrue(again.reason().endsWith("(measured once, cached in " + file + ")"), again.reason());
        // another network is measured on its own
        assertTrue(AutoDevice.choose(new int[] {20, 8, 3}, 32).reason().contains("measured now"));
        // a cache that is garbage is measured again, not trusted and not fatal
        Files.writeString(file, "\\u12\u0000garbage=");
        assertTrue(AutoDevice.choose(net, 32).reason().contains("measured now"));
    }

    /**
     * The calibration times fit's step: a model's training step plus fit's two batch gathers
     * takes as many launches as the workload's step, on the CPU backend and on OpenCL (where
     * a fused or split op shows as a different count of kernels).
     */
    @Test
    void theCalibratedStepIsAModelsTrainingStep() {
        int[] widths = {6, 8, 8, 3};
        int batch = 5;
        for (java.util.function.Supplier<Backend> open : java.util.List.<java.util.function.Supplier<Backend>>of(
                CpuBackend::withNativeBlas, OpenClTestDevice::open)) {
            long modelStep;
            try (Backend b = open.get();
                 Sequential m = new Sequential(b)) {
                m.add(new Dense(widths[1], "relu").inputShape(widths[0]));
                m.add(new Dense(widths[2], "relu"));
                m.add(new Dense(widths[3], "softmax"));
                m.compile(new RMSprop(), Loss.CATEGORICAL_CROSSENTROPY);
                try (Tensor x = b.alloc(batch, widths[0]);
                     Tensor y = b.alloc(batch, widths[3]);
                     Tensor metrics = b.alloc(1, 8)) {
                    m.trainOnBatch(x, y, metrics, 0); // the first step allocates buffers and slots
                    long before = b.launches();
                    m.trainOnBatch(x, y, metrics, 0);
                    modelStep = b.launches() - before + 2; // and fit gathers x and y
                }
            }
            try (Backend b = open.get();
                 AutoDevice.Workload w = new AutoDevice.Workload(b, widths, batch)) {
                w.steps(1);
                long before = b.launches();
                w.steps(1);
                assertEquals(modelStep, b.launches() - before, b.name());
            }
        }
    }

    @Test
    void aTieWithin5PercentGoesToTheCpuBackend() {
        assertEquals("cpu", AutoDevice.pick(new java.util.LinkedHashMap<>(Map.of("cpu", 4.00, "opencl:0:0", 3.89))));
        Map<String, Double> clear = new java.util.LinkedHashMap<>();
        clear.put("cpu", 5.0);
        clear.put("opencl:0:0", 3.9);
        clear.put("opencl:0:1", 4.2);
        assertEquals("opencl:0:0", AutoDevice.pick(clear));
        assertEquals("opencl:0:0", AutoDevice.pick(Map.of("cpu", Double.POSITIVE_INFINITY, "opencl:0:0", 9.0)));
        assertEquals("cpu", AutoDevice.pick(Map.of("cpu", 3.0, "opencl:0:0", 3.5)));
    }

    @Test
    void aDeviceThatFailsIsNeverChosen() {
        Map<String, Double> ms = AutoDevice.measure(java.util.List.of("cpu", "opencl:99:99"), new int[] {8, 4, 2}, 4);
        assertTrue(Double.isFinite(ms.get("cpu")), ms.toString());
        assertEquals(Double.POSITIVE_INFINITY, ms.get("opencl:99:99"));
    }
}
