package clnet;

import clnet.backend.Backend;
import clnet.backend.cpu.CpuBackend;
import clnet.backend.opencl.ClDevice;
import clnet.backend.opencl.OpenClTestDevice;
import java.util.stream.Stream;

/**
 * The backends that model-level tests run on: the CPU backend and the OpenCL test device
 * ({@link OpenClTestDevice}). Without an OpenCL platform only the CPU backend is given,
 * with a warning; with {@code CI=true} that fails instead, as CI must run both.
 */
public final class TestBackends {
    private TestBackends() {
    }

    /** Device names as {@code --device} takes them: {@code cpu} and, where there is one, the OpenCL test device. */
    public static Stream<String> deviceNames() {
        if (ClDevice.all().isEmpty() && !"true".equals(System.getenv("CI"))) {
            System.err.println("WARNING: no OpenCL platform: model-level tests run on the CPU backend only");
            return Stream.of("cpu");
        }
        return Stream.of("cpu", OpenClTestDevice.get().id());
    }

    /** Opens the backend {@link #deviceNames()} named. */
    public static Backend open(String deviceName) {
        return deviceName.equals("cpu") ? new CpuBackend() : OpenClTestDevice.open();
    }
}
