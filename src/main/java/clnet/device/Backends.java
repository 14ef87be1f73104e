package clnet.device;

import clnet.backend.Backend;

import clnet.backend.cpu.CpuBackend;
import clnet.backend.opencl.ClDevice;
import clnet.backend.opencl.OpenClBackend;
import clnet.backend.opencl.OpenClException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens a backend from a device name, as the command line's {@code --device} takes it:
 * <ul>
 *   <li>{@code auto}: the first OpenCL GPU or accelerator; otherwise the faster of the CPU
 *       backend and each OpenCL CPU device for the network at hand, measured once per
 *       machine ({@link AutoDevice});</li>
 *   <li>{@code cpu}: the CPU backend, its products through the system's BLAS (OpenBLAS);</li>
 *   <li>{@code cpu:reference}: the CPU backend with EJML's products, the reference every
 *       other backend is checked against;</li>
 *   <li>{@code opencl}: the first OpenCL device of any type;</li>
 *   <li>{@code opencl:P:D}: platform P, device D, as {@code clnet devices} numbers them;</li>
 *   <li>{@code gpu}: the first OpenCL GPU, or an error if there is none.</li>
 * </ul>
 */
public final class Backends {
    private Backends() {
    }

    public static final String DEVICES_HELP = "auto, cpu, cpu:reference, opencl, opencl:P:D, gpu";

    private static final Pattern EXPLICIT = Pattern.compile("opencl:(\\d+):(\\d+)");

    /** Throws IllegalArgumentException unless {@code device} is one of the names above. */
    public static void checkName(String device) {
        String d = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        Matcher m = EXPLICIT.matcher(d);
        if (!m.matches() && !List.of("auto", "cpu", "cpu:reference", "opencl", "gpu").contains(d)) {
            throw new IllegalArgumentException("unknown device '" + device + "' (known: " + DEVICES_HELP + ")");
        }
        if (m.matches() && (m.group(1).length() > 6 || m.group(2).length() > 6)) {
            throw new IllegalArgumentException("device '" + device + "': platform and device indices are small"
                    + " numbers (clnet devices lists them)");
        }
    }

    public static Backend open(String device) {
        checkName(device);
        String d = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        Matcher m = EXPLICIT.matcher(d);
        if (m.matches()) {
            int p = Integer.parseInt(m.group(1));
            int i = Integer.parseInt(m.group(2));
            for (ClDevice c : devices()) {
                if (c.platformIndex() == p && c.deviceIndex() == i) {
                    return new OpenClBackend(c);
                }
            }
            throw new IllegalArgumentException("no OpenCL device " + d + "; clnet devices lists them");
        }
        return switch (d) {
            case "cpu" -> CpuBackend.withNativeBlas();
            case "cpu:reference" -> new CpuBackend();
            case "auto" -> open(AutoDevice.choose(AutoDevice.MNIST_MLP, 128).device());
            case "opencl" -> new OpenClBackend(devices().stream().findFirst()
                    .orElseThrow(() -> new OpenClException(OpenClException.NO_DRIVER)));
            case "gpu" -> new OpenClBackend(devices().stream().filter(ClDevice::isGpu).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no OpenCL GPU found; clnet devices lists the"
                            + " devices there are (--device opencl takes the first of any type)")));
            default -> throw new IllegalArgumentException("unknown device '" + device + "' (known: "
                    + DEVICES_HELP + ")");
        };
    }

    /** True when {@code device} (a valid name) names the CPU backend itself. */
    public static boolean isCpu(String device) {
        String d = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        return d.startsWith("cpu");
    }

    /** The OpenCL devices of this host; empty without a driver. */
    public static List<ClDevice> devices() {
        return ClDevice.all();
    }
}
