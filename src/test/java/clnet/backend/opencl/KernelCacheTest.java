package clnet.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.TemporaryCacheDirectory;
import clnet.backend.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiled programs are cached: a second open builds nothing, a damaged entry is rebuilt. */
class KernelCacheTest {
    @TempDir
    Path cache;
    private TemporaryCacheDirectory cacheDir;

    private String binaryCacheBefore;

    /** The cache forced on: on PoCL, auto leaves caching to the driver (see cachingIsLeftToADriverThatCaches). */
    @BeforeEach
    void useATemporaryCache() {
        cacheDir = new TemporaryCacheDirectory(cache);
        binaryCacheBefore = System.getProperty(KernelSet.BINARY_CACHE_PROPERTY);
        System.setProperty(KernelSet.BINARY_CACHE_PROPERTY, "on");
    }

    @AfterEach
    void restore() {
        cacheDir.close();
        if (binaryCacheBefore == null) {
            System.clearProperty(KernelSet.BINARY_CACHE_PROPERTY);
        } else {
            System.setProperty(KernelSet.BINARY_CACHE_PROPERTY, binaryCacheBefore);
        }
    }

    @Test
    void cachingIsLeftToADriverThatCaches() throws Exception {
        String pocl = "Portable Computing Language";
        assertTrue(KernelSet.cachesBinaries("NVIDIA CUDA", "auto", null));
        assertEquals(false, KernelSet.cachesBinaries(pocl, "auto", null));
        assertTrue(KernelSet.cachesBinaries(pocl, "auto", "0"), "PoCL with its own cache off");
        assertTrue(KernelSet.cachesBinaries(pocl, "on", null));
        assertEquals(false, KernelSet.cachesBinaries("NVIDIA CUDA", "off", null));
        System.setProperty(KernelSet.BINARY_CACHE_PROPERTY, "off");
        try (OpenClBackend b = OpenClTestDevice.open()) {
            assertEquals(false, b.cachesKernelBinaries());
            assertEquals(OpenClBackend.KERNEL_FILES.size(), b.programsBuiltFromSource());
            works(b);
        }
        assertEquals(false, Files.exists(cache.resolve("kernels")), "nothing written with the cache off");
    }

    private List<Path> entries() throws Exception {
        try (Stream<Path> s = Files.list(cache.resolve("kernels"))) {
            return s.filter(p -> p.toString().endsWith(".bin")).sorted().toList();
        }
    }

    /** The backend computes: a fill and a product, read back. */
    private static void works(OpenClBackend b) {
        try (Tensor a = b.alloc(3, 4); Tensor x = b.alloc(4, 2); Tensor c = b.alloc(3, 2)) {
            b.fill(a, 2f);
            b.fill(x, 0.5f);
            b.gemm(false, false, 1f, a, x, 0f, c);
            assertArrayEquals(new float[] {4, 4, 4, 4, 4, 4}, b.download(c).data());
        }
    }

    @Test
    void aSecondOpenLoadsEveryProgramFromTheCache() throws Exception {
        int files = OpenClBackend.KERNEL_FILES.size();
        try (OpenClBackend b = OpenClTestDevice.open()) {
            assertEquals(files, b.programsBuiltFromSource());
            assertEquals(0, b.programsLoadedFromCache());
            works(b);
        }
        assertEquals(files, entries().size());
        try (OpenClBackend b = OpenClTestDevice.open()) {
            assertEquals(0, b.programsBuiltFromSource(), "a second run compiles nothing");
            assertEquals(files, b.programsLoadedFromCache());
            works(b);
        }
        // a damaged entry is rebuilt from source and replaced, silently
        Path damaged = entries().get(0);
        Files.write(damaged, new byte[] {1, 2, 3});
        try (OpenClBackend b = OpenClTestDevice.open()) {
            assertEquals(1, b.programsBuiltFromSource());
            assertEquals(files - 1, b.programsLoadedFromCache());
            works(b);
        }
        assertTrue(Files.size(damaged) > 3, "the damaged entry was replaced");
    }

    @Test
    void anotherSourceIsAnotherEntry(@TempDir Path kernels) throws Exception {
        try (OpenClBackend b = OpenClTestDevice.open()) {
            works(b);
        }
        for (String file : OpenClBackend.KERNEL_SOURCES) {
            Files.writeString(kernels.resolve(file), Files.readString(Path.of("kernels-cl", file))
                    + (file.equals("optimizers.cl") ? "\n// edited\n" : ""));
        }
        String dir = System.getProperty(OpenClBackend.KERNEL_DIR_PROPERTY);
        System.setProperty(OpenClBackend.KERNEL_DIR_PROPERTY, kernels.toString());
        try (OpenClBackend b = OpenClTestDevice.open()) {
            assertEquals(1, b.programsBuiltFromSource(), "only the edited file is compiled");
            works(b);
        } finally {
            if (dir == null) {
                System.clearProperty(OpenClBackend.KERNEL_DIR_PROPERTY);
            } else {
                System.setProperty(OpenClBackend.KERNEL_DIR_PROPERTY, dir);
            }
        }
    }

    @Test
    void anUnwritableCacheCostsOnlyTheCompile() throws Exception {
        Files.writeString(cache.resolve("kernels"), "a file where the directory belongs");
        try (OpenClBackend b = OpenClTestDevice.open()) {
            assertEquals(OpenClBackend.KERNEL_FILES.size(), b.programsBuiltFromSource());
            works(b);
        }
    }

    @Test
    void reductionGroupsFitTheKernelsLimit() {
        assertEquals(256, OpenClBackend.reductionGroup(1024));
        assertEquals(256, OpenClBackend.reductionGroup(256));
        assertEquals(128, OpenClBackend.reductionGroup(200));
        assertEquals(64, OpenClBackend.reductionGroup(64));
        assertEquals(1, OpenClBackend.reductionGroup(1));
        try (OpenClBackend b = OpenClTestDevice.open()) {
            assertTrue(b.reductionWorkGroup() <= 256 && Integer.bitCount(b.reductionWorkGroup()) == 1);
        }
    }
}
