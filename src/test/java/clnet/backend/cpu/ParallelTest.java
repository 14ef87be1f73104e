package clnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The CPU backend's workers: every index once, failures passed on, busy workers never waited for. */
class ParallelTest {
    private static final Parallel three = new Parallel(3); // one set of workers for the class

    private static void assertEachOnce(AtomicIntegerArray seen) {
        for (int i = 0; i < seen.length(); i++) {
            assertEquals(1, seen.get(i), "index " + i);
        }
    }

    @Test
    void everyIndexRunsExactlyOnceWhateverTheSplit() {
        for (int n : new int[] {0, 1, 2, 3, 7, 1000, 100_003}) {
            for (int cost : new int[] {1, Parallel.GRAIN, 10 * Parallel.GRAIN}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                three.forRange(n, cost, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        seen.incrementAndGet(i);
                    }
                });
                assertEachOnce(seen);
            }
        }
    }

    @Test
    void aFailingPartFailsTheCallAndTheWorkersStayUsable() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> three.forRange(300, Parallel.GRAIN,
                (from, to) -> {
                    if (from > 0) {
                        throw new IllegalStateException("part " + from);
                    }
                }));
        assertTrue(e.getMessage().startsWith("part "), e.getMessage());
        AtomicIntegerArray seen = new AtomicIntegerArray(300);
        three.forRange(300, Parallel.GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) {
                seen.incrementAndGet(i);
            }
        });
        assertEachOnce(seen);
    }

    @Test
    void aLoopInsideALoopRunsOnItsCaller() {
        AtomicIntegerArray seen = new AtomicIntegerArray(30 * 40);
        three.forRange(30, Parallel.GRAIN, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r;
                three.forRange(40, Parallel.GRAIN, (c0, c1) -> {
                    for (int c = c0; c < c1; c++) {
                        seen.incrementAndGet(row * 40 + c);
                    }
                });
            }
        });
        assertEachOnce(seen);
    }

    @Test
    void callersOnSeveralThreadsAndParkedWorkersAllFinish() throws InterruptedException {
        int n = 20_000;
        AtomicIntegerArray[] seen = new AtomicIntegerArray[4];
        Thread[] callers = new Thread[seen.length];
        for (int t = 0; t < callers.length; t++) {
            AtomicIntegerArray mine = seen[t] = new AtomicIntegerArray(n);
            callers[t] = new Thread(() -> {
                for (int round = 0; round < 50; round++) {
                    three.forRange(n / 50, Parallel.GRAIN, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            mine.incrementAndGet(i);
                        }
                    });
                    if (round % 10 == 0) {
                        try {
                            Thread.sleep(2); // longer than the workers spin: they park, and must wake
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            });
            callers[t].start();
        }
        for (Thread c : callers) {
            c.join(60_000);
        }
        for (AtomicIntegerArray s : seen) {
            for (int i = 0; i < n / 50; i++) {
                assertEquals(50, s.get(i), "index " + i);
            }
        }
    }
}
