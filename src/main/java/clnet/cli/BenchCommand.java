package clnet.cli;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.opencl.ClDevice;
import clnet.backend.opencl.GemmConfig;
import clnet.backend.opencl.OpenClBackend;
import clnet.data.Datasets;
import clnet.data.Mnist;
import clnet.data.MnistData;
import clnet.device.Backends;
import clnet.device.DeviceGroup;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.RMSprop;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.train.Callback;
import clnet.train.FitOptions;
import clnet.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code clnet bench}: end to end, Keras's {@code mnist_mlp} (784-512-512-10, relu, softmax,
 * RMSprop) trained by {@code fit} and run by {@code predict} on each device and batch size:
 * samples per second, milliseconds and launches per step, and the peak resident memory
 * while that row ran (on top of what earlier rows left resident), each the median of several timed epochs (or passes) after a warm-up. With
 * {@code --gemm}, the speed of gemm alone for the products of that network's training step
 * and one square product, each call timed from the enqueue to {@link Backend#finish()}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time mnist_mlp's training (fit) and inference (predict) on each device and batch size,"
                + " or with --gemm the products of its training step.")
final class BenchCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--device", split = ",", paramLabel = "DEVICE",
            description = "Devices to time (default: every one here: cpu and each OpenCL device; "
                    + Backends.DEVICES_HELP + ").")
    List<String> devices;

    @Option(names = "--batch-size", split = ",", defaultValue = "128,512", paramLabel = "N",
            description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(names = "--data", defaultValue = "data/mnist", paramLabel = "DIR",
            description = "MNIST, for realistic data; random data of its shape where missing (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N",
            description = "Timed training epochs per device and batch size, after one warm-up epoch; the median is"
                    + " reported (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--samples", defaultValue = "60000", paramLabel = "N",
            description = "Training samples per epoch (at most MNIST's 60000; default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--devices", paramLabel = "all|LIST",
            description = "Time data-parallel training instead: the first of these devices alone against all of"
                    + " them (train --devices), at the same batch, for each --per-device-batch.")
    String group;

    @Option(names = "--per-device-batch", split = ",", defaultValue = "64,128,256,512,1024", paramLabel = "N",
            description = "With --devices: rows per device and step; the batch is N times the device count"
                    + " (default: ${DEFAULT-VALUE}).")
    List<Integer> perDeviceBatches;

    @Option(names = "--json", description = "Print the results as one JSON array instead of lines.")
    boolean json;

    @Option(names = "--gemm", description = "Time gemm alone instead, at the products of a training step.")
    boolean gemmOnly;

    @Option(names = "--repeat", defaultValue = "20", paramLabel = "N",
            description = "With --gemm: timed calls per shape; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N",
            description = "With --gemm: untimed calls per shape first (default: ${DEFAULT-VALUE}).")
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
    public Integer call() throws java.io.IOException {
        List<String> names = devices == null || devices.isEmpty() ? defaultDevices() : devices;
        for (String d : names) {
            DeviceOption.check(spec.commandLine(), d);
        }
        require(group == null || !gemmOnly, "--gemm times one device: not with --devices");
        if (gemmOnly) {
            for (String d : names) {
                gemm(d);
            }
            return 0;
        }
        require(epochs >= 1, "--epochs must be at least 1");
        require(samples >= 1, "--samples must be at least 1");
        require(repeat >= 1, "--repeat must be at least 1");
        require(warmup >= 0, "--warmup must not be negative");
        for (int b : batchSizes) {
            require(b >= 1, "--batch-size must be positive");
        }
        if (group != null) {
            require(devices == null, "--device and --devices: give one");
            for (int b : perDeviceBatches) {
                require(b >= 1, "--per-device-batch must be positive");
            }
            List<String> groupNames = List.of();
            try {
                groupNames = DeviceGroup.names(group);
            } catch (IllegalArgumentException e) {
                require(false, "--devices: " + e.getMessage());
            }
            HostTensor[] train = trainingData();
            dataParallel(groupNames, train[0], train[1]);
            return 0;
        }
        PrintStream out = main.out;
        if (!json) {
            out.println("mnist_mlp (784-512-512-10, relu, softmax, RMSprop): fit " + epochs + " timed epochs after one"
                    + " warm-up, predict 5 timed passes; medians");
        }
        HostTensor[] train = trainingData();
        HostTensor test = train[2];
        List<Map<String, Object>> results = new ArrayList<>();
        for (String d : names) {
            try (Backend backend = Backends.open(d)) {
                if (!json) {
                    out.println("device: " + backend.description());
                }
                for (int batch : batchSizes) {
                    Map<String, Object> r = endToEnd(backend, batch, train[0], train[1], test);
                    r.put("device", d);
                    r.put("resolved", backend.name());
                    results.add(r);
                    if (!json) {
                        out.printf(Locale.ROOT, "  batch %4d: train %,9.0f samples/s (%.3f ms/step, %.1f launches/step,"
                                        + " %d host waits/epoch), inference %,9.0f samples/s, peak RSS %d MiB%n", batch,
                                r.get("train_samples_per_s"), r.get("ms_per_step"), r.get("launches_per_step"),
                                r.get("host_waits_per_epoch"), r.get("inference_samples_per_s"), r.get("peak_rss_mib"));
                    }
                }
            }
        }
        if (json) {
            out.println(new com.google.gson.GsonBuilder().create().toJson(results));
        }
        return 0;
    }

    /** cpu and every OpenCL device of this host. */
    private static List<String> defaultDevices() {
        List<String> all = new ArrayList<>();
        all.add("cpu");
        for (ClDevice d : Backends.devices()) {
            all.add(d.id());
        }
        return all;
    }

    /** x and one-hot y for training, and x for inference: MNIST where it is, else random data of its shape. */
    private HostTensor[] trainingData() {
        HostTensor x;
        HostTensor y;
        HostTensor test;
        if (Files.isDirectory(data)) {
            try {
                MnistData mnist = Mnist.load(data);
                x = mnist.trainImages();
                y = Datasets.toCategorical(mnist.trainLabels(), 10);
                test = mnist.testImages();
            } catch (java.io.IOException | RuntimeException e) {
                throw new IllegalArgumentException("--data " + data + ": " + Main.message(e));
            }
        } else {
            Rng rng = new Rng(1);
            x = HostTensor.zeros(60000, 784);
            y = HostTensor.zeros(60000, 10);
            for (int i = 0; i < 60000; i++) {
                for (int j = 0; j < 784; j++) {
                    x.set(i, j, rng.nextFloat());
                }
                y.set(i, rng.nextInt(10), 1f);
            }
            test = x.rowRange(50000, 60000);
        }
        int n = Math.min(samples, x.rows());
        if (n < x.rows()) {
            x = x.rowRange(0, n);
            y = y.rowRange(0, n);
        }
        return new HostTensor[] {x, y, test};
    }

    /** Trains and runs mnist_mlp at one batch size; the figures of the result line. */
    private Map<String, Object> endToEnd(Backend backend, int batch, HostTensor x, HostTensor y, HostTensor test) {
        double[] trainSeconds;
        long launchesPerEpoch;
        long waitsPerEpoch;
        resetPeakResident();
        try (Sequential model = mnistMlp(backend)) {
            EpochTimer timer = new EpochTimer(backend, epochs);
            model.fit(x, y, new FitOptions().epochs(1 + epochs).batchSize(batch).verbose(0).callbacks(timer));
            trainSeconds = timer.seconds;
            launchesPerEpoch = timer.launches / epochs;
            waitsPerEpoch = timer.hostWaits / epochs;
            model.predict(test, batch);
            double[] inferSeconds = new double[5];
            for (int i = 0; i < inferSeconds.length; i++) {
                long t0 = System.nanoTime();
                model.predict(test, batch);
                inferSeconds[i] = (System.nanoTime() - t0) / 1e9;
            }
            int steps = (x.rows() + batch - 1) / batch;
            double train = median(trainSeconds);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("batch", batch);
            r.put("train_samples_per_s", x.rows() / train);
            r.put("ms_per_step", train / steps * 1e3);
            r.put("launches_per_step", (double) launchesPerEpoch / steps);
            r.put("host_waits_per_epoch", waitsPerEpoch);
            r.put("inference_samples_per_s", test.rows() / median(inferSeconds));
            r.put("peak_rss_mib", peakResidentMiB());
            r.put("epochs_timed", epochs);
            r.put("samples", x.rows());
            return r;
        }
    }

    /**
     * Training throughput of the group's first device alone and of the whole group at the
     * same batch (so the same training: N x the per-device batch), each the median of the
     * timed epochs after a warm-up; then the smallest per-device batch at which the group
     * reaches 0.9 N times one device.
     */
    private void dataParallel(List<String> groupNames, HostTensor x, HostTensor y) {
        PrintStream out = main.out;
        List<Map<String, Object>> results = new ArrayList<>();
        try (DeviceGroup devs = DeviceGroup.open(groupNames)) {
            int n = devs.size();
            if (!json) {
                out.println("mnist_mlp data-parallel training, " + x.rows() + " samples, median of " + epochs
                        + " epochs after a warm-up; one device against " + n + ":");
                devs.backends().forEach(b -> out.println("device: " + b.description()));
                if (devs.backends().stream().allMatch(b -> b.description().contains(" pthread-")
                        && b.description().contains("Portable Computing Language"))) {
                    out.println("note: PoCL's pthread devices share one pool of POCL_MAX_PTHREAD_COUNT worker threads,"
                            + " so they never compute at once; POCL_DEVICES=\"basic basic\" gives two one-core devices"
                            + " that do");
                }
            }
            Integer smallest = null;
            for (int perDevice : perDeviceBatches) {
                int batch = perDevice * n;
                if (batch > x.rows()) {
                    results.add(new LinkedHashMap<>(Map.of("devices", n, "per_device_batch", perDevice,
                            "skipped", "batch " + batch + " > samples " + x.rows())));
                    if (!json) {
                        out.printf(Locale.ROOT, "  per-device batch %5d: skipped, %d devices need %d samples, --samples"
                                + " gives %d%n", perDevice, n, batch, x.rows());
                    }
                    continue;
                }
                double one = x.rows() / fitSeconds(List.of(devs.primary()), batch, x, y);
                double all = x.rows() / fitSeconds(devs.backends(), batch, x, y);
                double speedup = all / one;
                if (smallest == null && speedup >= 0.9 * n) {
                    smallest = perDevice;
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("devices", n);
                r.put("per_device_batch", perDevice);
                r.put("batch", batch);
                r.put("one_device_samples_per_s", one);
                r.put("all_devices_samples_per_s", all);
                r.put("speedup", speedup);
                results.add(r);
                if (!json) {
                    out.printf(Locale.ROOT, "  per-device batch %5d (batch %5d): 1 device %,9.0f samples/s, %d devices"
                            + " %,9.0f samples/s: %.2fx (%.2f N)%n", perDevice, batch, one, n, all, speedup,
                            speedup / n);
                }
            }
            if (json) {
                out.println(new com.google.gson.GsonBuilder().create().toJson(results));
            } else {
                out.println(smallest == null
                        ? String.format(Locale.ROOT, "no per-device batch of %s reached 0.9 N (%.2fx)",
                        perDeviceBatches, 0.9 * n)
                        : String.format(Locale.ROOT, "smallest per-device batch reaching 0.9 N (%.2fx): %d", 0.9 * n,
                        smallest));
            }
        }
    }

    /** Keras's mnist_mlp without dropout (784-512-512-10, relu, softmax, RMSprop), compiled in {@code backend}. */
    private static Sequential mnistMlp(Backend backend) {
        Sequential model = new Sequential(backend);
        model.add(new Dense(512, "relu").inputShape(784));
        model.add(new Dense(512, "relu"));
        model.add(new Dense(10, "softmax"));
        model.compile(new RMSprop(), Loss.CATEGORICAL_CROSSENTROPY);
        return model;
    }

    /** The median seconds of one fit epoch of mnist_mlp on {@code backends} (the first holds the model). */
    private double fitSeconds(List<Backend> backends, int batch, HostTensor x, HostTensor y) {
        try (Sequential model = mnistMlp(backends.get(0))) {
            EpochTimer timer = new EpochTimer(backends.get(0), epochs);
            FitOptions fit = new FitOptions().epochs(1 + epochs).batchSize(batch).verbose(0).callbacks(timer);
            if (backends.size() > 1) {
                fit.devices(backends);
            }
            model.fit(x, y, fit);
            return median(timer.seconds);
        }
    }

    /**
     * Times the epochs of one fit after the first (the warm-up: kernels, JIT, caches): the
     * data is uploaded once, as in a real run and in the PyTorch peer, whose tensors are
     * resident. An epoch ends by reading its metrics back, so its time includes all of its
     * device work.
     */
    private static final class EpochTimer implements Callback {
        final double[] seconds;
        private final Backend backend;
        private long start;
        private long launchesAtStart;
        private long waitsAtStart;
        long launches;
        long hostWaits;

        EpochTimer(Backend backend, int timedEpochs) {
            this.backend = backend;
            this.seconds = new double[timedEpochs];
        }

        @Override
        public void onEpochBegin(int epoch, Trainer.Run run) {
            launchesAtStart = backend.launches();
            waitsAtStart = backend.hostWaits();
            start = System.nanoTime();
        }

        @Override
        public void onEpochEnd(int epoch, Map<String, Double> logs, Trainer.Run run) {
            if (epoch > 0) {
                seconds[epoch - 1] = (System.nanoTime() - start) / 1e9;
                launches += backend.launches() - launchesAtStart;
                hostWaits += backend.hostWaits() - waitsAtStart;
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Starts the peak over from the resident size now (Linux's clear_refs), so that a row's peak is its own. */
    static void resetPeakResident() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or not allowed: the peak is the process's
        }
    }

    /** The peak resident set (VmHWM) since the last reset, in MiB; -1 where /proc does not say. */
    static long peakResidentMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    private void require(boolean ok, String message) {
        Usage.require(spec.commandLine(), ok, message);
    }

    /** The gemm table of one device. */
    private void gemm(String deviceName) {
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
        Backend backend = DeviceOption.open(deviceName, out);
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
