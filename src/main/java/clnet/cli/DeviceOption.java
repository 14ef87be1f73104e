package clnet.cli;

import clnet.backend.Backend;
import clnet.backend.Backends;
import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code --device} option, shared by the commands that compute. */
final class DeviceOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    String device = "auto";

    /** A malformed name is a usage error, found while parsing, before any work starts. */
    @Option(names = "--device", defaultValue = "auto", paramLabel = "DEVICE",
            description = "Where to compute: " + Backends.DEVICES_HELP + " (default: ${DEFAULT-VALUE}).")
    void setDevice(String name) {
        try {
            Backends.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(command.commandLine(), "--device: " + e.getMessage());
        }
        this.device = name;
    }

    /** Opens the device and says which one it is, as every run does. */
    Backend open(PrintStream out) {
        Backend backend = Backends.open(device);
        out.println("device: " + backend.description());
        return backend;
    }
}
