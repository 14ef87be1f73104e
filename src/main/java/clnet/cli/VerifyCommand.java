package clnet.cli;

import clnet.backend.Backend;
import clnet.backend.cpu.CpuBackend;
import clnet.verify.BackendVerifier;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import clnet.device.Backends;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code clnet verify}: every op of a device against the CPU oracle, and one training step
 * per optimizer, so a new GPU host can be trusted before a long run.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Check a device's results op by op against the CPU backend; exit 1 if any differs"
                + " beyond tolerance.")
final class VerifyCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--device", defaultValue = "opencl", paramLabel = "DEVICE",
            description = "The device to check: opencl, opencl:P:D, gpu, cpu (the BLAS path), auto"
                    + " (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        PrintStream out = main.out;
        DeviceOption.check(spec.commandLine(), device);
        if (device.trim().equalsIgnoreCase("cpu:reference")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--device " + device + " is the reference"
                    + " itself; verify checks another device against it (--device opencl, or cpu for the BLAS path)");
        }
        try (CpuBackend oracle = new CpuBackend(); Backend candidate = DeviceOption.open(device, out)) {
            List<BackendVerifier.Check> checks = new BackendVerifier(oracle, candidate, seed)
                    .onCheck(c -> out.println(c.line()))
                    .runAll();
            long failed = checks.stream().filter(c -> !c.passed()).count();
            out.printf(Locale.ROOT, "%d checks, %d failed%n", checks.size(), failed);
            return failed == 0 ? 0 : 1;
        }
    }
}
