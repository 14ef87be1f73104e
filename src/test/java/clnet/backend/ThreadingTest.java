package clnet.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import clnet.TestBackends;
import clnet.backend.opencl.OpenClBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The threading model of docs/ARCHITECTURE.md: a backend serializes its ops, so threads
 * sharing one get the results they would get alone, and allocation and release from
 * several threads lose no buffer.
 */
class ThreadingTest {
    static java.util.stream.Stream<String> devices() {
        return TestBackends.deviceNames();
    }

    @ParameterizedTest
    @MethodSource("devices")
    void threadsSharingABackendGetTheirOwnResultsAndLeakNothing(String device) throws Exception {
        try (Backend backend = TestBackends.open(device)) {
            long before = backend instanceof OpenClBackend cl ? cl.liveBuffers() : 0;
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> runs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    float k = t + 1;
                    runs.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            try (Tensor a = backend.alloc(16, 33); Tensor b = backend.alloc(33, 8);
                                 Tensor c = backend.alloc(16, 8)) {
                                backend.fill(a, k);
                                backend.fill(b, 0.5f);
                                backend.gemm(false, false, 1f, a, b, 0f, c);
                                float[] want = new float[16 * 8];
                                java.util.Arrays.fill(want, k * 0.5f * 33);
                                assertArrayEquals(want, backend.download(c).data(), "thread " + k + ", round " + i);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : runs) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            if (backend instanceof OpenClBackend cl) {
                assertEquals(before, cl.liveBuffers(), "buffers left behind");
            }
        }
    }
}
