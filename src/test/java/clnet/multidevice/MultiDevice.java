package clnet.multidevice;

import clnet.backend.Backend;
import clnet.backend.opencl.ClDevice;
import clnet.backend.opencl.OpenClBackend;
import java.util.List;

/**
 * The OpenCL devices of the multi-device tests. CI runs them under
 * {@code POCL_DEVICES="pthread pthread" POCL_MAX_PTHREAD_COUNT=1} with
 * {@code CLNET_MULTI_DEVICE=1}, where fewer than two devices fail the test; elsewhere, with
 * fewer than two, only the CPU backends' runs are made.
 */
final class MultiDevice {
    private MultiDevice() {
    }

    static List<ClDevice> devices() {
        List<ClDevice> all = ClDevice.all();
        if (all.size() < 2 && "1".equals(System.getenv("CLNET_MULTI_DEVICE"))) {
            throw new AssertionError("CLNET_MULTI_DEVICE=1 but " + all.size() + " OpenCL device(s): set POCL_DEVICES=\"pthread pthread\"");
        }
        return all;
    }

    static boolean available() {
        return devices().size() >= 2;
    }

    static int count() {
        return devices().size();
    }

    static Backend open(int index) {
        return new OpenClBackend(devices().get(index));
    }
}
