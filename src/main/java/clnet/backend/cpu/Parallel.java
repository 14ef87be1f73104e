package clnet.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Who runs the CPU backend's work: its element-wise loops and, beside a single-threaded
 * BLAS, the parts of its matrix products. Either the calling thread alone ({@link #CALLER})
 * or the calling thread and one worker per further core ({@link #cores()}), each taking a
 * contiguous part. Each element is computed by the same formula whichever thread takes it,
 * so a loop's results do not depend on the split; sums are split only along independent
 * outputs (columns, rows), never within one sum, so they keep their order. (A product split
 * into blocks of rows or columns is as exact, but whether BLAS rounds a block's elements as
 * it rounds the whole product's is up to its kernels.)
 *
 * <p>The workers are clnet's only compute threads besides the caller, so they may wait for
 * the next part by spinning (as OpenMP's threads do) for a while before they park: a step's
 * ops follow each other within microseconds, and waking a parked thread costs more than
 * most of them. They do not share a core with a BLAS's own threads (unless
 * {@code clnet.cpu.threads} asks for it): the CPU backend uses {@link #cores()} only where
 * the BLAS runs each call on its caller's thread (or there is no native BLAS), and
 * {@link #CALLER} beside a threaded one, whose OpenMP threads themselves spin for
 * milliseconds between products (libgomp's default). Measured on 2 cores with the OpenMP
 * build, a training step of mnist_mlp at batch 128 took 4.63 ms with the loops on the caller
 * against 5.19 ms with them split (epochs alternating in one process, medians of 6). A loop that finds the workers busy (another backend's op on another
 * thread, or a loop inside a loop) runs on its caller alone.
 */
final class Parallel {
    /** Below this many units of work per thread, handing work over costs more than it saves. */
    static final int GRAIN = 16_384;

    /** How long an idle worker spins before it parks: longer than the gaps between a step's ops. */
    private static final long SPIN_NANOS = 200_000;

    /** Every loop on the calling thread. */
    static final Parallel CALLER = new Parallel(1);

    /** Loops split over the cores, or over the system property {@code clnet.cpu.threads} threads. */
    static Parallel cores() {
        return Cores.INSTANCE;
    }

    /** Holds the workers, started the first time a backend asks for them. */
    private static final class Cores {
        static final Parallel INSTANCE = new Parallel(Math.max(1, Integer.getInteger("clnet.cpu.threads",
                Runtime.getRuntime().availableProcessors())));
    }

    /** Whether {@code clnet.cpu.threads} is set: then loops take that many threads beside any BLAS. */
    static boolean threadsSet() {
        return System.getProperty("clnet.cpu.threads") != null;
    }

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();

    Parallel(int threads) {
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
        }
    }

    /** How many threads run a loop at most. */
    int threads() {
        return threads;
    }

    /** A loop body over the index range [from, to). */
    interface Range {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over [0, n) in contiguous parts, one per thread when each part has
     * at least {@link #GRAIN} units of work ({@code costPerIndex} units per index).
     */
    void forRange(int n, int costPerIndex, Range body) {
        long work = (long) n * Math.max(1, costPerIndex);
        int parts = (int) Math.min(threads, Math.max(1, work / GRAIN));
        if (parts <= 1 || !busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            pending.set(parts - 1);
            for (int p = 1; p < parts; p++) {
                workers[p - 1].start(body, (int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts));
            }
            Throwable failure = null;
            try {
                body.run(0, (int) ((long) n / parts));
            } catch (Throwable e) { // whatever it is, the workers are waited for before busy is cleared
                failure = e;
            }
            for (int spins = 0; pending.get() > 0; spins++) {
                if ((spins & 1023) == 1023) {
                    Thread.yield(); // a worker without a core of its own (a loaded machine) gets one
                } else {
                    Thread.onSpinWait();
                }
            }
            for (int p = 1; p < parts; p++) {
                Throwable f = workers[p - 1].takeFailure(); // every one taken, so none is left for the next loop
                if (failure == null) {
                    failure = f;
                } else if (f != null && f != failure) { // one instance (the JVM's preallocated OutOfMemoryError) cannot suppress itself
                    failure.addSuppressed(f);
                }
            }
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
        } finally {
            busy.set(false);
        }
    }

    /** A daemon thread that runs one part at a time, handed over through volatile fields. */
    private final class Worker {
        private final Thread thread;
        private volatile Range body;
        private volatile boolean parked;
        private int from;
        private int to;
        private Throwable failure;

        Worker(int index) {
            thread = new Thread(this::loop, "clnet-cpu-" + index);
            thread.setDaemon(true);
            thread.start();
        }

        /** Hands over a part; the write of {@code body} publishes {@code from} and {@code to}. */
        void start(Range part, int partFrom, int partTo) {
            from = partFrom;
            to = partTo;
            body = part;
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        Throwable takeFailure() {
            Throwable f = failure;
            failure = null;
            return f;
        }

        private void loop() {
            long idleSince = System.nanoTime();
            while (true) {
                Range part = body;
                if (part != null) {
                    try {
                        part.run(from, to);
                    } catch (Throwable e) {
                        failure = e; // read by the caller after pending reaches 0
                    }
                    Thread.interrupted(); // a part's interrupt must not keep park() from parking
                    body = null;
                    pending.decrementAndGet();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    // set parked before the last look at body: a start() that wrote body after
                    // that look reads parked as true and unparks (volatile accesses are ordered)
                    parked = true;
                    if (body == null) {
                        LockSupport.park(this);
                        Thread.interrupted();
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
