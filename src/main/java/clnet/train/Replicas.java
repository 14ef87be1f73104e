package clnet.train;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.TensorGroup;
import clnet.ops.Augmentation;
import clnet.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The training steps of {@code fit} on one device or several: a replica of the model per
 * device, each holding the training data, and the sum of their gradients in a fixed order.
 *
 * <p>Each step's batch of R rows is cut into S shards ("leaves"), leaf i holding rows
 * [⌊iR/S⌋, ⌊(i+1)R/S⌋); device d of N owns the aligned block of leaves [dS/N, (d+1)S/N). A
 * leaf's gradient is its rows' share of the batch mean's (scaled by 1/R, not by its own
 * rows), so the leaves' gradients add up to the batch's. They are added by a pairwise tree
 * over the leaves: each device sums its block (a subtree) itself, then the N subtree roots
 * go through the host to every device (N downloads, N(N-1) uploads: OpenCL cannot copy
 * between contexts), and every device adds them by the same tree into its gradients, so
 * every replica holds the same sum and takes the same optimizer step: the replicas stay
 * identical without broadcasting weights. Every addition is one {@code axpy} with α = 1,
 * left + right, on a device: exact IEEE addition, commutative, so the sum does not depend
 * on which device does it.
 *
 * <p>By default S = N (one row block per device: one GEMM per layer per device, the fastest,
 * reproducible for a fixed N). Deterministic mode fixes S = {@value Trainer#MICRO_SHARDS}
 * whatever N, so that N = 1, 2, 4 or 8 identical devices compute the same leaves and the
 * same tree, and train the same weights bit for bit. One device with S = 1 is plain
 * training: the leaf writes the gradients, nothing is copied or exchanged.
 *
 * <p>Each device is driven from its own thread during a step (device 0 from the caller's):
 * some drivers run a queue's work in the thread that waits for it (PoCL's {@code basic}
 * devices), and a driver may block in an enqueue.
 *
 * <p>Loss and metric sums go into a metrics tensor per device, one {@value Trainer#BLOCK}-float
 * block per leaf and step, plus a block per step for the weight penalty (device 0's) and
 * block 0 for validation; the host takes each leaf's block from the device that owns it, so
 * the reported losses do not depend on N either.
 */
final class Replicas implements AutoCloseable {
    private final List<Replica> devices = new ArrayList<>();
    private final int leaves;
    private final int leavesPerDevice;
    private final int batch;
    private final int steps;
    private final int blocks;
    /**
     * The subtree sums of every device, on the host on their way to the others:
     * [device][exchanged tensor] (see {@link Replica#exchanged}).
     */
    private float[][][] roots = new float[0][][];
    /** One thread per device beyond the first, which the calling thread drives; null for one device. */
    private final java.util.concurrent.ExecutorService threads;

    /** One device's replica, data and buffers. */
    private static final class Replica {
        final Trainable model;
        final Backend backend;
        final boolean ownsModel;
        BatchSource train;
        Tensor xb;
        Tensor yb;
        Tensor metrics;
        Tensor warped;
        Tensor matrices;
        /**
         * What the reduction adds and sends: the gradients' group as one tensor where every
         * device lays it out alike (one transfer and one axpy per tree node, not one per
         * parameter), else the gradients one by one.
         */
        List<Tensor> exchanged = List.of();
        /** The sum of this device's leaves (when it owns more than one), then a buffer per tree level below it. */
        Tensor[][] tree = new Tensor[0][];
        /** The other devices' subtree sums, uploaded each step ({@code null} at this device's own index). */
        Tensor[][] peers = new Tensor[0][];
        final float[] host;

        Replica(Trainable model, boolean ownsModel, int blocks) {
            this.model = model;
            this.backend = model.backend();
            this.ownsModel = ownsModel;
            this.host = new float[Trainer.BLOCK * blocks];
        }
    }

    /**
     * Replicas of {@code model} on {@code backends} (the model's own first; an empty list:
     * the model's backend alone), each with the training data uploaded and buffers for
     * batches of {@code batch} rows.
     */
    Replicas(Trainable model, List<Backend> backends, boolean deterministic, HostTensor x, HostTensor y, int batch,
             Boolean dataOnDevice, boolean augment) {
        List<Backend> group = backends.isEmpty() ? List.of(model.backend()) : backends;
        if (group.get(0) != model.backend()) {
            throw new IllegalArgumentException("fit: the first of the devices must be the model's own backend ("
                    + model.backend().name() + ")");
        }
        for (Backend b : group) {
            if (!b.arithmetic().equals(group.get(0).arithmetic())) {
                throw new IllegalArgumentException("fit: data-parallel replicas share gradients, not weights, so their"
                        + " devices must compute the optimizer step bit for bit alike; " + group.get(0).name() + " ("
                        + group.get(0).arithmetic() + ") and " + b.name() + " (" + b.arithmetic() + ") do not");
            }
        }
        int n = group.size();
        this.leaves = deterministic ? Trainer.MICRO_SHARDS : n;
        if (leaves % n != 0) {
            throw new IllegalArgumentException("deterministic training cuts each batch into " + Trainer.MICRO_SHARDS
                    + " micro-shards: it runs on 1, 2, 4 or 8 devices, not " + n);
        }
        this.leavesPerDevice = leaves / n;
        this.batch = batch;
        this.steps = (x.rows() + batch - 1) / batch;
        this.blocks = 1 + steps * (leaves + 1);
        this.threads = n == 1 ? null : java.util.concurrent.Executors.newFixedThreadPool(n - 1, task -> {
            Thread t = new Thread(task, "clnet-device");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int d = 0; d < n; d++) {
                Trainable m = d == 0 ? model : model.replicate(group.get(d));
                devices.add(new Replica(m, d > 0, blocks));
            }
            // every replica's gradients in one group, all of one layout (devices may align differently)
            Tensor first = model.gradientsWhole();
            boolean wholes = first != null;
            for (Replica r : devices) {
                Tensor w = r.model.gradientsWhole();
                wholes &= w != null && first != null && w.groupLayout().equals(first.groupLayout());
            }
            for (int d = 0; d < n; d++) {
                Replica r = devices.get(d);
                Trainable m = r.model;
                r.exchanged = wholes ? List.of(m.gradientsWhole()) : m.gradients();
                Backend b = r.backend;
                r.train = BatchSource.of(b, x, y, dataOnDevice);
                r.xb = b.alloc(batch, x.cols());
                r.yb = b.alloc(batch, y.cols());
                r.metrics = b.alloc(1, Trainer.BLOCK * blocks);
                if (augment) {
                    r.warped = b.alloc(batch, x.cols());
                    r.matrices = b.alloc(batch, Augmentation.MATRIX);
                }
                List<Tensor> grads = r.exchanged;
                int levels = Integer.numberOfTrailingZeros(leavesPerDevice); // the subtree's depth
                r.tree = new Tensor[leavesPerDevice > 1 ? levels + 1 : 0][];
                for (int l = 0; l < r.tree.length; l++) {
                    r.tree[l] = allocLike(b, grads);
                }
                if (n > 1) {
                    if (d == 0) {
                        roots = new float[n][grads.size()][];
                    }
                    for (int p = 0; p < grads.size(); p++) {
                        roots[d][p] = new float[grads.get(p).size()];
                    }
                }
                r.peers = new Tensor[n > 1 ? n : 0][];
                for (int j = 0; j < r.peers.length; j++) {
                    r.peers[j] = j == d ? null : allocLike(b, grads);
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Zeroed tensors like {@code like}'s: a group's whole of the same layout for a whole. */
    private static Tensor[] allocLike(Backend b, List<Tensor> like) {
        Tensor[] ts = new Tensor[like.size()];
        for (int i = 0; i < ts.length; i++) {
            TensorGroup.Layout layout = like.get(i).groupLayout();
            ts[i] = layout != null ? b.allocGroup(layout.shapes(), layout.alignment()).whole()
                    : b.alloc(like.get(i).shape(), like.get(i).dtype());
        }
        return ts;
    }

    int deviceCount() {
        return devices.size();
    }

    /** Every replica, the model first. */
    List<Trainable> models() {
        return devices.stream().map(r -> r.model).toList();
    }

    /**
     * Step {@code step}'s sum over its metrics blocks (one per leaf and one for the weight
     * penalty) of the accumulator at {@code offset} in each: 0 the loss, 2 the correct count.
     */
    double stepSum(float[] host, int step, int offset) {
        double sum = 0;
        for (int b = 0; b <= leaves; b++) {
            sum += Backend.accumulated(host, stepSlot(step) + Trainer.BLOCK * b + offset);
        }
        return sum;
    }

    /** The first float of step {@code step}'s blocks (validation has block 0). */
    int stepSlot(int step) {
        return Trainer.BLOCK * (1 + step * (leaves + 1));
    }

    /** The device 0 pieces that validation runs on: its model's batches go through its buffers. */
    Tensor validationX() {
        return devices.get(0).xb;
    }

    Tensor validationY() {
        return devices.get(0).yb;
    }

    Tensor primaryMetrics() {
        return devices.get(0).metrics;
    }

    /** Zeroes every device's metrics and sets the epoch's batch order. */
    void beginEpoch(int[] order) {
        for (Replica r : devices) {
            r.backend.fill(r.metrics, 0f);
            if (order != null) {
                r.train.setOrder(order);
            }
        }
    }

    /**
     * One training step over rows {@code start ..} of the order: {@code rows} of them, with
     * {@code matrices} the augmentation maps of every row (null: none) warping images of
     * {@code image}'s shape. Ops are queued device by device; only the exchange of subtree
     * sums waits for a device.
     */
    void step(int step, int start, int rows, float[] matrices, int[] image, Augmentation augmentation) {
        int penaltySlot = stepSlot(step) + Trainer.BLOCK * leaves;
        int n = devices.size();
        // each device from its own thread (a driver may run a queue's work in the thread that waits for
        // it); one device runs in this thread and exchanges nothing
        onEveryDevice(d -> {
            Replica r = devices.get(d);
            subtreeIntoGradients(r, d, step, start, rows, matrices, image, augmentation);
            List<Tensor> grads = r.exchanged;
            for (int p = 0; n > 1 && p < grads.size(); p++) {
                r.backend.download(grads.get(p), roots[d][p]);
            }
        });
        onEveryDevice(d -> {
            Replica r = devices.get(d);
            if (n > 1) {
                sumOverDevices(r, d);
            }
            r.model.applyGradients(rows, r.metrics, penaltySlot);
        });
    }

    /** The other devices' subtree sums to device {@code d}, then the tree over all of them into its gradients. */
    private void sumOverDevices(Replica r, int d) {
        int n = devices.size();
        for (int j = 0; j < n; j++) {
            for (int p = 0; j != d && p < roots[j].length; p++) {
                r.backend.upload(roots[j][p], r.peers[j][p]);
            }
        }
        Tensor[] own = r.exchanged.toArray(new Tensor[0]);
        Tensor[] sum = combine(r, d, own, 0, n);
        if (sum != own) {
            copy(r.backend, sum, r.exchanged);
        }
    }

    /** Device {@code d}'s block of leaves, summed by the pairwise tree, into its model's gradients. */
    private void subtreeIntoGradients(Replica r, int d, int step, int start, int rows, float[] matrices, int[] image,
                                      Augmentation augmentation) {
        int lo = d * leavesPerDevice;
        if (leavesPerDevice == 1) {
            leaf(r, lo, step, start, rows, matrices, image, augmentation);
        } else {
            subtree(r, lo, lo + leavesPerDevice, r.tree[0], 1, step, start, rows, matrices, image, augmentation);
            copy(r.backend, r.tree[0], r.exchanged);
        }
    }

    /** What one device does in a phase of a step. */
    private interface DeviceWork {
        void run(int device);
    }

    /** Runs {@code work} for every device at once, each in its own thread (device 0 in this one), and waits for all. */
    private void onEveryDevice(DeviceWork work) {
        List<java.util.concurrent.Future<?>> others = new ArrayList<>();
        for (int d = 1; d < devices.size(); d++) {
            int device = d;
            others.add(threads.submit(() -> work.run(device)));
        }
        Throwable failure = null;
        try {
            work.run(0);
        } catch (Throwable e) {
            failure = e;
        }
        // every device's work ends before this returns, failed or not: nothing may run on freed buffers
        boolean interrupted = false;
        for (java.util.concurrent.Future<?> f : others) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = failure != null ? failure : e.getCause();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            failure = failure != null ? failure : new IllegalStateException("interrupted while the devices computed a step");
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        } else if (failure instanceof Error err) {
            throw err;
        } else if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /** The first row of leaf {@code i} in a batch of {@code rows}. */
    private int leafStart(int i, int rows) {
        return (int) ((long) i * rows / leaves);
    }

    /** Leaf {@code i}'s gradient into the replica's gradients (zero for a leaf without rows), and its metrics. */
    private void leaf(Replica r, int i, int step, int start, int rows, float[] matrices, int[] image,
                      Augmentation augmentation) {
        int r0 = leafStart(i, rows);
        int r1 = leafStart(i + 1, rows);
        if (r1 == r0) {
            for (Tensor g : r.exchanged) {
                r.backend.fill(g, 0f);
            }
            return;
        }
        Tensor xv = r.xb.firstRows(r1 - r0);
        Tensor yv = r.yb.firstRows(r1 - r0);
        r.train.batch(start + r0, xv, yv);
        if (matrices != null) {
            Tensor mv = r.matrices.firstRows(r1 - r0);
            r.backend.upload(Arrays.copyOfRange(matrices, r0 * Augmentation.MATRIX, r1 * Augmentation.MATRIX), mv);
            Tensor wv = r.warped.firstRows(r1 - r0);
            r.backend.affineWarp(xv, mv, wv, image[0], image[1], image[2], augmentation.constantFill(),
                    augmentation.cval());
            xv = wv;
        }
        r.model.computeGradients(xv, yv, r.metrics, stepSlot(step) + Trainer.BLOCK * i, r0, rows);
    }

    /** The sum of leaves [lo, hi) by the pairwise tree, into {@code into}; {@code r.tree[level..]} hold right halves. */
    private void subtree(Replica r, int lo, int hi, Tensor[] into, int level, int step, int start, int rows,
                         float[] matrices, int[] image, Augmentation augmentation) {
        if (hi - lo == 1) {
            leaf(r, lo, step, start, rows, matrices, image, augmentation);
            copy(r.backend, r.exchanged, into);
            return;
        }
        int mid = (lo + hi) >>> 1;
        subtree(r, lo, mid, into, level + 1, step, start, rows, matrices, image, augmentation);
        Tensor[] right = r.tree[level];
        subtree(r, mid, hi, right, level + 1, step, start, rows, matrices, image, augmentation);
        add(r.backend, right, into);
    }

    /** The sum of device roots [lo, hi) on device {@code d} by the pairwise tree, left + right into the left. */
    private static Tensor[] combine(Replica r, int d, Tensor[] own, int lo, int hi) {
        if (hi - lo == 1) {
            return lo == d ? own : r.peers[lo];
        }
        int mid = (lo + hi) >>> 1;
        Tensor[] left = combine(r, d, own, lo, mid);
        Tensor[] right = combine(r, d, own, mid, hi);
        add(r.backend, right, left);
        return left;
    }

    private static void add(Backend b, Tensor[] x, Tensor[] y) {
        for (int p = 0; p < x.length; p++) {
            b.axpy(1f, x[p], y[p]);
        }
    }

    private static void copy(Backend b, List<Tensor> from, Tensor[] to) {
        for (int p = 0; p < to.length; p++) {
            b.copy(from.get(p), to[p]);
        }
    }

    private static void copy(Backend b, Tensor[] from, List<Tensor> to) {
        for (int p = 0; p < from.length; p++) {
            if (from[p] != to.get(p)) {
                b.copy(from[p], to.get(p));
            }
        }
    }

    /**
     * Every device's metrics, merged into {@code host}: each leaf's blocks from the device
     * that owns it, validation and the penalty from device 0.
     */
    void downloadMetrics(float[] host) {
        Replica first = devices.get(0);
        first.backend.download(first.metrics, host);
        for (int d = 1; d < devices.size(); d++) {
            Replica r = devices.get(d);
            r.backend.download(r.metrics, r.host);
            for (int s = 0; s < steps; s++) {
                int from = stepSlot(s) + Trainer.BLOCK * d * leavesPerDevice;
                System.arraycopy(r.host, from, host, from, Trainer.BLOCK * leavesPerDevice);
            }
        }
    }

    /** Floats of the merged metrics. */
    int metricsSize() {
        return Trainer.BLOCK * blocks;
    }

    @Override
    public void close() {
        if (threads != null) {
            threads.shutdown(); // idle between steps: a step waits for all its device work
        }
        for (Replica r : devices) {
            for (AutoCloseable c : new AutoCloseable[] {r.train, r.xb, r.yb, r.metrics, r.warped, r.matrices}) {
                closeQuietly(c);
            }
            for (Tensor[] ts : r.tree) {
                closeAll(ts);
            }
            for (Tensor[] ts : r.peers) {
                closeAll(ts);
            }
            if (r.ownsModel) {
                r.model.close();
            }
        }
        devices.clear();
    }

    private static void closeAll(Tensor[] ts) {
        if (ts != null) {
            for (Tensor t : ts) {
                closeQuietly(t);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // closing frees memory; a failure here must not hide the exception being thrown
        }
    }
}
