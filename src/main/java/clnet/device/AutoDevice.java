package clnet.device;

import clnet.backend.Backend;
import clnet.backend.CacheDirectory;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;
import clnet.backend.cpu.CpuBackend;
import clnet.backend.opencl.ClDevice;
import clnet.ops.Accuracy;
import clnet.ops.Activation;
import clnet.ops.Loss;
import clnet.tensor.Rng;
import clnet.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What {@code --device auto} takes: a GPU or accelerator when there is one; otherwise the
 * faster, for this network on this machine, of the CPU backend and each OpenCL CPU device.
 * Which is faster depends on the CPU, the BLAS, the OpenCL runtime and the layer sizes, so
 * it is measured rather than guessed: the training step of a dense network of the given
 * widths (the ops {@code Dense} and RMSprop issue, in their order) is timed on each
 * candidate, once, and the verdict is kept in the cache directory, keyed by the machine,
 * the devices and the network, so that later runs start at once.
 */
public final class AutoDevice {
    private AutoDevice() {
    }

    /** The network mnist_mlp, for callers that do not know theirs yet. */
    public static final int[] MNIST_MLP = {784, 512, 512, 10};

    /** A device name and why it was chosen, in words. */
    public record Choice(String device, String reason) {
    }

    /** The device for a dense network of {@code widths} (input first) trained in batches of {@code batch}. */
    public static Choice choose(int[] widths, int batch) {
        List<ClDevice> devices = Backends.devices();
        for (ClDevice d : devices) {
            if (d.isGpu() || d.isAccelerator()) {
                return new Choice(d.id(), "the first OpenCL GPU or accelerator");
            }
        }
        List<String> candidates = new ArrayList<>();
        candidates.add("cpu");
        StringBuilder machine = new StringBuilder(cpuModel()).append(" x").append(Runtime.getRuntime()
                .availableProcessors()).append(" blas=").append(System.getenv("OPENBLAS_CORETYPE"));
        try (CpuBackend cpu = CpuBackend.withNativeBlas()) {
            machine.append(" | ").append(cpu.description()); // which BLAS, and how it is threaded
        }
        for (ClDevice d : devices) {
            if (d.isCpu()) {
                candidates.add(d.id());
                machine.append(" | ").append(d.id()).append(' ').append(d.platformName()).append(' ')
                        .append(d.name()).append(' ').append(d.deviceVersion());
            }
        }
        if (candidates.size() == 1) {
            return new Choice("cpu", "no OpenCL device");
        }
        // "step=5": the step of fused dense layers and one optimizer op over parameter groups, as
        // fit's is now (verdicts measured on an older step are measured again, and so are those
        // of another BLAS or threading: the CPU backend's description is part of the key)
        String key = Integer.toHexString((machine + " net=" + Arrays.toString(widths) + " batch=" + batch + " step=5")
                .hashCode());
        Path file = CacheDirectory.path().resolve("auto-device.properties");
        Properties cache = load(file);
        String cached = cache.getProperty(key);
        if (cached != null && candidates.contains(cached.split(" ", 2)[0])) {
            String[] parts = cached.split(" ", 2);
            return new Choice(parts[0], "fastest here for this network: " + parts[1] + " (measured once, cached in "
                    + file + ")");
        }
        Map<String, Double> ms = measure(candidates, widths, batch);
        String best = pick(ms);
        StringBuilder timings = new StringBuilder();
        for (Map.Entry<String, Double> e : ms.entrySet()) {
            timings.append(timings.length() == 0 ? "" : ", ").append(Double.isFinite(e.getValue())
                    ? String.format(Locale.ROOT, "%s %.2f ms/step", e.getKey(), e.getValue()) : e.getKey() + " failed");
        }
        if (best.equals("cpu") && ms.values().stream().anyMatch(t -> t < ms.get("cpu"))) {
            timings.append(String.format(Locale.ROOT, "; within %.0f %%, the CPU backend", 100 * (TIE - 1)));
        }
        // a failure may pass (memory, a driver's hiccup): a verdict it decided is not kept
        boolean complete = ms.values().stream().allMatch(Double::isFinite);
        if (complete) {
            cache.setProperty(key, best + " " + timings);
        }
        boolean saved = complete && store(file, cache);
        return new Choice(best, "fastest here for this network: " + timings + (saved ? " (measured now, cached in "
                + file + ")" : complete ? " (measured now)" : " (measured now; not cached, as a candidate failed)"));
    }

    /**
     * Within this factor of the fastest, the CPU backend is taken: the difference is inside
     * the measurement's noise on a shared machine (two calibrations of one machine differed
     * by more), and the CPU backend compiles no kernels and, where the training step ties,
     * ran inference 1.5 times as fast as PoCL in the same benchmark.
     */
    static final double TIE = 1.05;

    /** The fastest candidate of {@code ms} (milliseconds per step, cpu first), the CPU backend on a tie. */
    static String pick(Map<String, Double> ms) {
        String best = null;
        for (Map.Entry<String, Double> e : ms.entrySet()) {
            if (best == null || e.getValue() < ms.get(best)) {
                best = e.getKey();
            }
        }
        Double cpu = ms.get("cpu");
        return cpu != null && cpu <= TIE * ms.get(best) ? "cpu" : best;
    }

    /**
     * Milliseconds per training step on each candidate: all are opened and warmed up (JIT,
     * kernels, caches) first, then timed in alternating rounds, so that neither a cold start
     * nor a passing load on the machine favours one; the median round counts. A candidate
     * that fails to open or run, warming up or timed, is never chosen (its time is infinite).
     */
    static Map<String, Double> measure(List<String> candidates, int[] widths, int batch) {
        Map<String, Double> ms = new LinkedHashMap<>();
        List<Backend> open = new ArrayList<>();
        List<Workload> work = new ArrayList<>();
        try {
            for (String c : candidates) {
                try {
                    Backend b = c.equals("cpu") ? CpuBackend.withNativeBlas() : Backends.open(c);
                    open.add(b);
                    Workload w = new Workload(b, widths, batch);
                    // the CPU backend's loops are Java: enough steps for the JIT to compile them
                    // fully (20 steps left it 10-30 % slower than in fit, and PoCL was chosen)
                    w.steps(WARM_UP_STEPS);
                    work.add(w);
                } catch (RuntimeException e) {
                    work.add(null);
                }
            }
            int rounds = 7;
            double[][] times = new double[candidates.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < candidates.size(); i++) {
                    times[i][r] = Double.POSITIVE_INFINITY;
                    Workload w = work.get(i);
                    if (w == null) {
                        continue;
                    }
                    try {
                        times[i][r] = w.millisPerStep(20);
                    } catch (RuntimeException e) { // failing while timed: out, as one that failed to open
                        work.set(i, null);
                        try {
                            w.close();
                        } catch (RuntimeException ignored) {
                            // it failed already; its backend is closed below
                        }
                    }
                }
            }
            for (int i = 0; i < candidates.size(); i++) {
                Arrays.sort(times[i]);
                // one that failed in a late round has finite early ones: out all the same
                ms.put(candidates.get(i), work.get(i) == null ? Double.POSITIVE_INFINITY : times[i][rounds / 2]);
            }
            return ms;
        } finally {
            for (Workload w : work) {
                if (w != null) {
                    w.close();
                }
            }
            for (Backend b : open) {
                b.close();
            }
        }
    }

    /** Steps each candidate takes before it is timed. */
    static final int WARM_UP_STEPS = 150;

    /**
     * The training step of a dense network (relu hidden layers, softmax output,
     * cross-entropy, RMSprop) as {@code fit} issues it: the batch gathered from a resident
     * dataset, the ops of {@code Dense}, the loss and metric sums, and the optimizer's one
     * op over the parameter groups. (This package sits below {@code nn}, so it issues the
     * ops itself; {@code AutoDeviceTest} holds it to a model's step, op for op.)
     */
    static final class Workload implements AutoCloseable {
        private final Backend b;
        private final List<Tensor> all = new ArrayList<>();
        private final Runnable step;

        Workload(Backend b, int[] widths, int batch) {
            this.b = b;
            int layers = widths.length - 1;
            Rng rng = new Rng(1);
            // four batches of data, gathered in a shuffled order as fit's resident dataset does
            int rows = 4 * batch;
            Tensor data = random(rng, rows, widths[0]);
            Tensor targets = random(rng, rows, widths[layers]);
            Tensor order = keep(b.alloc(Shape.of(rows, 1), DType.INT32));
            b.upload(rng.permutation(rows), order);
            Tensor x = keep(b.alloc(batch, widths[0]));
            Tensor y = keep(b.alloc(batch, widths[layers]));
            Tensor metrics = keep(b.alloc(1, 4));
            Accuracy accuracy = Loss.CATEGORICAL_CROSSENTROPY.accuracy(widths[layers]);
            int[] next = {0};
            List<Shape> shapes = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                shapes.add(Shape.of(widths[l], widths[l + 1]));
                shapes.add(Shape.of(1, widths[l + 1]));
            }
            TensorGroup weights = group(b, shapes, rng);
            TensorGroup grads = group(b, shapes, null);
            TensorGroup velocity = group(b, shapes, null);
            Tensor[] z = new Tensor[layers];
            Tensor[] a = new Tensor[layers];
            Tensor[] dz = new Tensor[layers];
            Tensor[] dx = new Tensor[layers];
            for (int l = 0; l < layers; l++) {
                z[l] = keep(b.alloc(batch, widths[l + 1]));
                a[l] = keep(b.alloc(batch, widths[l + 1]));
                dz[l] = keep(b.alloc(batch, widths[l + 1]));
                dx[l] = keep(b.alloc(batch, widths[l]));
            }
            step = () -> {
                int start = next[0]++ % 4 * batch;
                b.gatherRows(data, order, start, x);
                b.gatherRows(targets, order, start, y);
                for (int l = 0; l < layers; l++) {
                    b.denseForward(l == layers - 1 ? Activation.SOFTMAX : Activation.RELU, l == 0 ? x : a[l - 1],
                            weights.parts().get(2 * l), weights.parts().get(2 * l + 1), z[l], a[l]);
                }
                b.lossSum(Loss.CATEGORICAL_CROSSENTROPY, a[layers - 1], y, metrics, 0);
                b.countCorrect(accuracy, a[layers - 1], y, metrics, 2);
                b.softmaxCrossEntropyGradient(a[layers - 1], y, false, 1f / batch, dz[layers - 1]);
                for (int l = layers - 1; l >= 0; l--) {
                    b.gemm(true, false, 1f, l == 0 ? x : a[l - 1], dz[l], 0f, grads.parts().get(2 * l));
                    b.sumRows(1f, dz[l], grads.parts().get(2 * l + 1));
                    if (l > 0) {
                        b.gemm(false, true, 1f, dz[l], weights.parts().get(2 * l), 0f, dx[l]);
                        b.activationBackward(Activation.RELU, z[l - 1], a[l - 1], dx[l], dz[l - 1]);
                    }
                }
                b.rmspropStep(weights.whole(), grads.whole(), velocity.whole(), null, 1e-3f, 0.9f, 0f, 1e-7f);
            };
        }

        /** A group of {@code shapes}, random where {@code rng} is given, else zero. */
        private TensorGroup group(Backend b, List<Shape> shapes, Rng rng) {
            TensorGroup g = b.allocGroup(shapes);
            keep(g.whole());
            if (rng != null) {
                float[] v = new float[g.whole().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (rng.nextFloat() - 0.5f) * 0.1f;
                }
                b.upload(v, g.whole());
            }
            return g;
        }

        void steps(int n) {
            for (int i = 0; i < n; i++) {
                step.run();
            }
            b.finish();
        }

        double millisPerStep(int n) {
            long t0 = System.nanoTime();
            steps(n);
            return (System.nanoTime() - t0) / 1e6 / n;
        }

        private Tensor keep(Tensor t) {
            all.add(t);
            return t;
        }

        private Tensor random(Rng rng, int rows, int cols) {
            Tensor t = keep(b.alloc(Shape.of(rows, cols), DType.FLOAT32));
            float[] v = new float[rows * cols];
            for (int i = 0; i < v.length; i++) {
                v[i] = (rng.nextFloat() - 0.5f) * 0.1f;
            }
            b.upload(v, t);
            return t;
        }

        @Override
        public void close() {
            for (Tensor t : all) {
                t.close();
            }
        }
    }

    /**
     * The CPU as /proc/cpuinfo describes its first core: the model name, and the family,
     * model, stepping and cache size, because a virtual machine may call every generation
     * "Intel(R) Xeon(R) Processor" (a verdict measured on one must not follow a home
     * directory to another).
     */
    private static String cpuModel() {
        try {
            StringBuilder id = new StringBuilder();
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.isBlank() && id.length() > 0) {
                    break; // the first core's block
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? "" : line.substring(0, colon).trim();
                if (List.of("model name", "cpu family", "model", "stepping", "cache size").contains(field)) {
                    id.append(id.length() == 0 ? "" : ", ").append(field).append(' ')
                            .append(line.substring(colon + 1).trim());
                }
            }
            if (id.length() > 0) {
                return id.toString();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture will do
        }
        return System.getProperty("os.arch");
    }

    private static Properties load(Path file) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            // no cache yet, or an unreadable one: measure again
        }
        return p;
    }

    /** Writes the cache atomically; a cache that cannot be written only costs a measurement next time. */
    private static boolean store(Path file, Properties p) {
        try {
            java.io.StringWriter text = new java.io.StringWriter();
            p.store(text, "clnet --device auto: the fastest CPU-side device per machine and network");
            clnet.files.SafeFiles.writeString(file, text.toString());
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
