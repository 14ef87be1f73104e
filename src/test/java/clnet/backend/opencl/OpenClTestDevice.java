package clnet.backend.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The OpenCL device the tests run on: the one named by the environment variable
 * {@code CLNET_TEST_DEVICE} (for example {@code opencl:0:1}, with
 * {@code POCL_DEVICES="pthread pthread"}, to catch code that assumes device 0), else the
 * first. Without any OpenCL platform the tests are skipped, loudly; with {@code CI=true}
 * they fail instead, because CI installs PoCL and must run them.
 */
public final class OpenClTestDevice {
    private OpenClTestDevice() {
    }

    public static ClDevice get() {
        List<ClDevice> all = ClDevice.all();
        if (all.isEmpty()) {
            String why = "NO OPENCL PLATFORM FOUND: the OpenCL tests did not run. Install PoCL"
                    + " (apt-get install pocl-opencl-icd ocl-icd-libopencl1 ocl-icd-opencl-dev) to run them.";
            if ("true".equals(System.getenv("CI"))) {
                fail("CI=true and " + why);
            }
            System.err.println("WARNING: " + why);
            Assumptions.abort(why);
        }
        String wanted = System.getenv("CLNET_TEST_DEVICE");
        if (wanted == null || wanted.isBlank()) {
            return all.get(0);
        }
        for (ClDevice d : all) {
            if (d.id().equals(wanted.trim())) {
                return d;
            }
        }
        fail("CLNET_TEST_DEVICE=" + wanted + " but the OpenCL devices are " + all.stream().map(ClDevice::id).toList());
        return null;
    }

    /** A backend on the test device. */
    public static OpenClBackend open() {
        return new OpenClBackend(get());
    }
}
