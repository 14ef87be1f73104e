package clnet.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * Splits an element-wise loop over the cores: the calling thread takes the first part, a
 * small pool of daemon threads the others. Each element is computed by the same formula
 * whichever thread takes it, so results do not depend on the split; sums are split only
 * along independent outputs (columns, rows), never within one sum, so they keep their
 * order. A backend runs one op at a time, either a BLAS call or one of these loops, so at
 * most as many threads work as there are cores. The pool's threads park when idle;
 * OpenBLAS's OpenMP threads spin for a moment after a product before they sleep (libgomp's
 * default), which can overlap the next loop for a fraction of a millisecond: making them
 * sleep at once (OMP_WAIT_POLICY=PASSIVE) or running these loops on one thread changed no
 * step time measurably on 2 cores (clnet bench, 2026-11-29), so neither is imposed.
 */
final class Parallel {
    private Parallel() {
    }

    /** Below this many elements per thread, handing work over costs more than it saves. */
    static final int GRAIN = 16_384;

    /** Threads for element-wise work: the cores, or the system property {@code clnet.cpu.threads}. */
    private static final int THREADS = Math.max(1, Integer.getInteger("clnet.cpu.threads",
            Runtime.getRuntime().availableProcessors()));

    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS - 1, pool -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setDaemon(true);
        t.setName("clnet-cpu-" + t.getPoolIndex());
        return t;
    }, null, false);

    /** A loop body over the index range [from, to). */
    interface Range {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over [0, n) in contiguous parts, one per thread when each part has
     * at least {@code grain} units of work ({@code costPerIndex} units per index).
     */
    static void forRange(int n, int costPerIndex, Range body) {
        long work = (long) n * Math.max(1, costPerIndex);
        int parts = (int) Math.min(THREADS, Math.max(1, work / GRAIN));
        if (parts <= 1 || POOL == null) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] others = new ForkJoinTask<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) n * p / parts);
            int to = (int) ((long) n * (p + 1) / parts);
            others[p - 1] = POOL.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / parts));
        for (ForkJoinTask<?> t : others) {
            t.join();
        }
    }
}
