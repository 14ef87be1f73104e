package clnet.cli;

import clnet.backend.Backend;
import clnet.backend.Backends;
import java.io.PrintStream;
import picocli.CommandLine.Option;

/** The {@code --device} option, shared by the commands that compute. */
final class DeviceOption {
    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            description = "Where to compute: " + Backends.DEVICES_HELP + " (default: ${DEFAULT-VALUE}).")
    String device;

    /** Opens the device and says which one it is, as every run does. */
    Backend open(PrintStream out) {
        Backend backend = Backends.open(device);
        out.println("device: " + backend.description());
        return backend;
    }
}
