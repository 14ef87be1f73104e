package clnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.opencl.ClDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --devices}: CI runs this under {@code POCL_DEVICES="pthread pthread"
 * POCL_MAX_PTHREAD_COUNT=1} with {@code CLNET_MULTI_DEVICE=1} (then fewer than two OpenCL
 * devices fail it); elsewhere it needs two devices and is skipped without them.
 */
class MultiDeviceCliTest {
    @BeforeAll
    static void twoDevices() {
        int n = ClDevice.all().size();
        if ("1".equals(System.getenv("CLNET_MULTI_DEVICE"))) {
            assertTrue(n >= 2, "CLNET_MULTI_DEVICE=1 but " + n + " OpenCL device(s)");
        }
        Assumptions.assumeTrue(n >= 2, "needs two OpenCL devices");
    }

    private static CliTest.Run train(String... args) {
        String[] all = new String[args.length + 6];
        System.arraycopy(new String[] {"train", "--data", "testdata/mnist-subset", "--layers", "32,32", "--epochs"},
                0, all, 0, 6);
        System.arraycopy(args, 0, all, 6, args.length);
        CliTest.Run r = CliTest.run(all);
        assertEquals(0, r.code(), r.out() + r.err());
        return r;
    }

    /** The acceptance check: two devices and one of them save the same bytes. */
    @Test
    void deterministicTrainingOnAllDevicesAndOnOneSavesByteIdenticalModels(@TempDir Path tmp) throws Exception {
        Path all = tmp.resolve("all.safetensors");
        Path one = tmp.resolve("one.safetensors");
        CliTest.Run a = train("2", "--devices", "all", "--deterministic", "--save", all.toString());
        assertTrue(a.out().startsWith("devices: " + ClDevice.all().size() + ", deterministic\n"), a.out());
        train("2", "--device", ClDevice.all().get(1).id(), "--deterministic", "--save", one.toString());
        assertEquals(-1, Files.mismatch(all, one), "the model files differ");
    }

    /**
     * A checkpoint written on two devices resumes on one (and one written on one resumes on
     * two): in deterministic mode, ending on the bytes of a straight run on one device.
     */
    @Test
    void aCheckpointFromTwoDevicesResumesOnOneAndBack(@TempDir Path tmp) throws Exception {
        Path straight = tmp.resolve("straight.safetensors");
        Path ck2 = tmp.resolve("ck2.safetensors");
        Path on1 = tmp.resolve("on1.safetensors");
        Path ck1 = tmp.resolve("ck1.safetensors");
        Path on2 = tmp.resolve("on2.safetensors");
        String first = ClDevice.all().get(0).id();
        train("4", "--device", first, "--deterministic", "--save", straight.toString());

        train("2", "--devices", "all", "--deterministic", "--checkpoint", ck2.toString(), "--no-save");
        CliTest.Run r = CliTest.run("train", "--resume", ck2.toString(), "--data", "testdata/mnist-subset",
                "--epochs", "4", "--device", first, "--deterministic", "--save", on1.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(-1, Files.mismatch(straight, on1), "2 devices, then resumed on 1");

        train("2", "--device", first, "--deterministic", "--checkpoint", ck1.toString(), "--no-save");
        r = CliTest.run("train", "--resume", ck1.toString(), "--data", "testdata/mnist-subset", "--epochs", "4",
                "--devices", "all", "--deterministic", "--save", on2.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(-1, Files.mismatch(straight, on2), "1 device, then resumed on 2");

        // without --device, a run resumes on the devices its checkpoint names, and as deterministic as it was
        r = CliTest.run("train", "--resume", ck2.toString(), "--data", "testdata/mnist-subset", "--epochs", "3",
                "--no-save");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("devices: 2, deterministic\n"), r.out());
    }

    @Test
    void badDeviceListsAreUsageErrors() {
        for (String[] bad : new String[][] {
                {"--devices", "opencl:0:0,opencl:0:0"}, {"--devices", "opencl:0:0,nonsense"}, {"--devices", ""},
                {"--devices", "all", "--device", "cpu"}, {"--devices", "all", "--validate"}}) {
            String[] args = new String[bad.length + 5];
            System.arraycopy(new String[] {"train", "--data", "testdata/mnist-subset", "--epochs", "1"}, 0, args, 0, 5);
            System.arraycopy(bad, 0, args, 5, bad.length);
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertTrue(r.err().lines().count() <= 3 && r.err().contains("--devic") || r.err().contains("--validate"),
                    r.err());
        }
    }
}
