package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.opencl.ClDevice;
import clnet.backend.opencl.OpenClTestDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands that involve OpenCL: devices, verify, and training on an OpenCL device. */
class OpenClCliTest {

    @Test
    void devicesListsThePlatformsDevicesAndTheirLimits() {
        ClDevice d = OpenClTestDevice.get();
        CliTest.Run r = CliTest.run("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(d.id() + "  " + d.platformName() + " / " + d.name()), r.out());
        for (String field : new String[] {"type " + d.type(), d.computeUnits() + " compute units", "global memory",
                "local memory", "max allocation", "max work-group " + d.maxWorkGroupSize(), d.openclCVersion()}) {
            assertTrue(r.out().contains(field), field + " in " + r.out());
        }
        assertTrue(r.out().contains("auto selects: "), r.out());
    }

    @Test
    void verifyPassesOnTheTestDevice() {
        ClDevice d = OpenClTestDevice.get();
        CliTest.Run r = CliTest.run("verify", "--device", d.id());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("device: " + d.id()), r.out());
        assertTrue(r.out().matches("(?s).*\ngemm_nn +128x512x784 +max abs \\S+ +max rel \\S+ +ok\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\n\\d{3} checks, 0 failed\n"), r.out());
    }

    @Test
    void trainsOnAnOpenClDeviceAndTheModelLoadsAnywhere(@TempDir Path tmp) throws Exception {
        ClDevice d = OpenClTestDevice.get();
        Path model = tmp.resolve("m.safetensors");
        CliTest.Run r = CliTest.run("train", "--data", "testdata/mnist-subset", "--epochs", "1", "--layers", "64",
                "--device", d.id(), "--save", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("device: " + d.id() + " " + d.name()), r.out());
        String accuracy = r.out().lines().filter(l -> l.startsWith("test accuracy: ")).findFirst().orElseThrow();
        assertTrue(Files.exists(model));
        CliTest.Run cpu = CliTest.run("evaluate", "--model", model.toString(), "--data", "testdata/mnist-subset",
                "--device", "cpu");
        assertEquals(0, cpu.code(), cpu.err());
        assertTrue(cpu.out().contains(accuracy), "trained on " + d.id() + ": " + accuracy + "; on cpu: " + cpu.out());
    }

    @Test
    void verifyRefusesTheCpuBackendAndUnknownNames() {
        CliTest.Run cpu = CliTest.run("verify", "--device", "cpu:reference");
        assertEquals(2, cpu.code(), cpu.err());
        assertTrue(cpu.err().contains("is the reference itself"), cpu.err());
        CliTest.Run bogus = CliTest.run("verify", "--device", "tpu");
        assertEquals(2, bogus.code(), bogus.err());
        assertTrue(bogus.err().contains("unknown device 'tpu'"), bogus.err());
    }

    @Test
    void validateTrainsOnACorrectDevice() {
        ClDevice d = OpenClTestDevice.get();
        CliTest.Run r = CliTest.run("train", "--data", "testdata/mnist-subset", "--epochs", "1", "--layers", "16",
                "--device", d.id(), "--validate", "--no-save");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("validate: every op is checked against the CPU reference"), r.out());
        assertTrue(r.out().contains("test accuracy: "), r.out());
    }

    /** A relu kernel 0.1 % off: --validate stops at its first launch and names it. */
    @Test
    void validateNamesAWrongKernelAtItsFirstLaunch(@TempDir Path tmp) throws Exception {
        for (String file : clnet.backend.opencl.OpenClBackend.KERNEL_SOURCES) {
            Files.copy(Path.of("kernels-cl", file), tmp.resolve(file));
        }
        // relu's derivative (the forward pass's relu is in the product's epilogue, which a CPU
        // runtime computes on whole vectors, apart from activate.h)
        Path activations = tmp.resolve("activations.cl");
        String correct = Files.readString(activations);
        String wrong = correct.replace("case RELU: r = z[i] > 0.0f ? d : 0.0f; break;",
                "case RELU: r = z[i] > 0.0f ? d * 1.001f : 0.0f; break;");
        assertTrue(!wrong.equals(correct), "the relu line to break was not found");
        Files.writeString(activations, wrong);
        String before = System.getProperty(clnet.backend.opencl.OpenClBackend.KERNEL_DIR_PROPERTY);
        System.setProperty(clnet.backend.opencl.OpenClBackend.KERNEL_DIR_PROPERTY, tmp.toString());
        try {
            ClDevice d = OpenClTestDevice.get();
            CliTest.Run r = CliTest.run("train", "--data", "testdata/mnist-subset", "--epochs", "1", "--layers",
                    "16", "--device", d.id(), "--validate", "--no-save");
            assertEquals(1, r.code(), r.out() + r.err());
            assertTrue(r.err().startsWith("clnet: error: --validate: activationBackward relu on " + d.id()
                    + " differs from the CPU reference at launch 1 of that op (tensors (128, 16), (128, 16),"
                    + " (128, 16))"), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        } finally {
            if (before == null) {
                System.clearProperty(clnet.backend.opencl.OpenClBackend.KERNEL_DIR_PROPERTY);
            } else {
                System.setProperty(clnet.backend.opencl.OpenClBackend.KERNEL_DIR_PROPERTY, before);
            }
        }
    }
}
