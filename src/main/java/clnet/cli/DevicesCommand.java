package clnet.cli;

import clnet.device.AutoDevice;
import clnet.device.Backends;
import clnet.backend.cpu.CpuBackend;
import clnet.backend.opencl.ClDevice;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code clnet devices}: the devices {@code --device} can name. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the OpenCL platforms and devices, and the CPU backend, as --device names them.")
final class DevicesCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Override
    public Integer call() {
        PrintStream out = main.out;
        List<ClDevice> devices = Backends.devices();
        if (devices.isEmpty()) {
            out.println("no OpenCL devices: no OpenCL driver found (see README)");
        }
        for (ClDevice d : devices) {
            out.println(d.describe());
        }
        try (CpuBackend cpu = CpuBackend.withNativeBlas()) {
            out.println(cpu.description());
        }
        AutoDevice.Choice auto = AutoDevice.choose(AutoDevice.MNIST_MLP, 128);
        out.println("auto selects: " + auto.device() + " for mnist_mlp at batch 128 (" + auto.reason() + ")");
        return 0;
    }
}
