package clnet.backend;

import clnet.backend.cpu.CpuBackend;
import java.util.Locale;

/**
 * Opens a backend from a device name as the command line's {@code --device} takes it.
 */
public final class Backends {
    private Backends() {
    }

    /** The device names understood by {@link #open}, for help texts. */
    public static final String DEVICES_HELP = "auto, cpu";

    /**
     * Opens {@code cpu} (the EJML backend) or {@code auto} (the best device available; for
     * now the CPU backend).
     */
    public static Backend open(String device) {
        String d = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        return switch (d) {
            case "auto", "cpu" -> new CpuBackend();
            default -> throw new IllegalArgumentException("unknown device '" + device + "' (known: "
                    + DEVICES_HELP + ")");
        };
    }
}
