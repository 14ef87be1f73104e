package clnet.cli;

import clnet.backend.Backend;
import clnet.device.AutoDevice;
import clnet.device.Backends;
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
        check(command.commandLine(), name);
        this.device = name;
    }

    /** Refuses a malformed device name as a usage error of {@code cl}. */
    static void check(CommandLine cl, String name) {
        try {
            Backends.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--device: " + e.getMessage());
        }
    }

    /** Opens the device and says which one it is, as every run does. */
    Backend open(PrintStream out) {
        return open(device, out);
    }

    /**
     * Opens the device for training a dense network of {@code widths} (input first) in
     * batches of {@code batch}: {@code auto} then measures, once per machine, which device is
     * fastest for that network, and the line printed says what it chose and why.
     */
    Backend openFor(int[] widths, int batch, PrintStream out) {
        if (!device.trim().equalsIgnoreCase("auto")) {
            return open(out);
        }
        AutoDevice.Choice choice = AutoDevice.choose(widths, batch);
        Backend backend = Backends.open(choice.device());
        out.println("device: " + backend.description() + " [auto: " + choice.reason() + "]");
        return backend;
    }

    static Backend open(String name, PrintStream out) {
        Backend backend = Backends.open(name);
        out.println("device: " + backend.description());
        return backend;
    }
}
