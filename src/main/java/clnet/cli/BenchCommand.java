package clnet.cli;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.opencl.GemmConfig;
import clnet.backend.opencl.OpenClBackend;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code clnet bench}: the speed of gemm on a device, for the products of an MNIST MLP's
 * training step (batch 128) and one square product. Each call is timed on its own, from
 * the enqueue to {@link Backend#finish()}, so launch overhead counts as it does in training.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time gemm on a device: the forward and backward products of the 784->512 and 512->512"
                + " dense layers at batch 128, and 1024x1024x1024.")
final class BenchCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    DeviceOption device;

    @Option(names = "--repeat", defaultValue = "20", paramLabel = "N",
            description = "Timed calls per shape; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N",
            description = "Untimed calls per shape first, for kernel compilation and caches (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--gemm-kernel", defaultValue = "auto", paramLabel = "KIND",
            description = "On an OpenCL device, which gemm kernel: auto (by device type), gpu (local-memory tiles),"
                    + " cpu (register blocks, no barriers) (default: ${DEFAULT-VALUE}).")
    String kernel;

    /** One product: op(A) is m x k, op(B) is k x n. */
    record Shape(String what, boolean transA, boolean transB, int m, int n, int k) {
        String op() {
            return (transA ? "T" : "N") + (transB ? "T" : "N");
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("784->512 forward  Z = X W", false, false, 128, 512, 784),
            new Shape("784->512 backward dW = X^T dZ", true, false, 784, 512, 128),
            new Shape("784->512 backward dX = dZ W^T", false, true, 128, 784, 512),
            new Shape("512->512 forward  Z = X W", false, false, 128, 512, 512),
            new Shape("512->512 backward dW = X^T dZ", true, false, 512, 512, 128),
            new Shape("512->512 backward dX = dZ W^T", false, true, 128, 512, 512),
            new Shape("square", false, false, 1024, 1024, 1024));

    @Override
    public Integer call() {
        if (repeat < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--repeat must be at least 1");
        }
        if (warmup < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--warmup must not be negative");
        }
        String kind = kernel.trim().toLowerCase(Locale.ROOT);
        if (!List.of("auto", "gpu", "cpu").contains(kind)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--gemm-kernel must be auto, gpu or cpu");
        }
        PrintStream out = main.out;
        Backend backend = device.open(out);
        try {
            if (backend instanceof OpenClBackend cl) {
                if (!kind.equals("auto")) {
                    GemmConfig config = kind.equals("gpu") ? GemmConfig.gpu(cl.device()) : GemmConfig.cpu(cl.device());
                    cl.close();
                    backend = new OpenClBackend(cl.device(), config);
                }
                out.println("gemm kernel: " + ((OpenClBackend) backend).gemmConfig());
            } else if (!kind.equals("auto")) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--gemm-kernel applies to OpenCL devices only");
            }
            out.printf(Locale.ROOT, "%-3s %-15s %10s %10s   %s%n", "op", "MxNxK", "ms/call", "GFLOP/s", "what");
            for (Shape s : SHAPES) {
                double ms = medianMillis(backend, s);
                double gflops = 2.0 * s.m * s.n * s.k / (ms * 1e6);
                out.printf(Locale.ROOT, "%-3s %-15s %10.3f %10.1f   %s%n", s.op(), s.m + "x" + s.n + "x" + s.k, ms,
                        gflops, s.what);
            }
        } finally {
            backend.close();
        }
        return 0;
    }

    /** The median time of one call, in milliseconds, over {@code repeat} calls after the warm-up. */
    private double medianMillis(Backend backend, Shape s) {
        Random r = new Random(1);
        try (Tensor a = backend.alloc(s.transA ? s.k : s.m, s.transA ? s.m : s.k);
             Tensor b = backend.alloc(s.transB ? s.n : s.k, s.transB ? s.k : s.n);
             Tensor c = backend.alloc(s.m, s.n)) {
            backend.upload(random(r, a.size()), a);
            backend.upload(random(r, b.size()), b);
            for (int i = 0; i < warmup; i++) {
                backend.gemm(s.transA, s.transB, 1f, a, b, 0f, c);
            }
            backend.finish();
            double[] ms = new double[repeat];
            for (int i = 0; i < repeat; i++) {
                long t0 = System.nanoTime();
                backend.gemm(s.transA, s.transB, 1f, a, b, 0f, c);
                backend.finish();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            return repeat % 2 == 1 ? ms[repeat / 2] : (ms[repeat / 2 - 1] + ms[repeat / 2]) / 2;
        }
    }

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextFloat() * 2 - 1;
        }
        return x;
    }
}
