package clnet.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.Backend;
import clnet.device.Backends;
import clnet.backend.DType;
import clnet.backend.Tensor;
import clnet.backend.TensorGroupChecks;
import clnet.backend.cpu.CpuBackend;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.tensor.HostTensor;
import clnet.tensor.Shape;
import clnet.train.FitOptions;
import clnet.verify.ValidatingBackend;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Device handling: build errors with the compiler log, clear errors, freed resources, device choice. */
class OpenClBackendTest {

    @Test
    void aKernelThatFailsToBuildReportsTheCompilerLog() {
        String broken = "__kernel void broken(__global float* x) {\n"
                + "    x[get_global_id(0)] = undefined_name * 2.0f;\n"
                + "}\n";
        try (OpenClBackend b = OpenClTestDevice.open()) {
            KernelBuildException e = assertThrows(KernelBuildException.class,
                    () -> b.buildProgram("broken.cl", broken, ""));
            assertEquals("broken.cl", e.file());
            assertTrue(e.getMessage().startsWith("kernel broken.cl failed to build on "), e.getMessage());
            // the log points at file and line, and names the problem
            assertTrue(e.log().contains("broken.cl:2:"), e.log());
            assertTrue(e.log().contains("undefined_name"), e.log());
            assertTrue(e.log().toLowerCase().contains("error"), e.log());
        }
    }

    @Test
    void theShippedKernelsAreInTheJarResources() throws Exception {
        for (String file : OpenClBackend.KERNEL_SOURCES) {
            assertEquals(Files.readString(Path.of("kernels-cl", file)), OpenClBackend.kernelSource(file), file);
        }
    }

    @Test
    void anAllocationBeyondTheDeviceSaysWhatWasNeededAndWhatThereIs() {
        try (OpenClBackend b = OpenClTestDevice.open()) {
            long tooMany = b.device().maxAllocBytes() / 4 + 1024;
            int cols = 1024;
            int rows = (int) Math.min(Integer.MAX_VALUE / cols, tooMany / cols + 1);
            OpenClException e = assertThrows(OpenClException.class, () -> b.alloc(rows, cols));
            assertTrue(e.getMessage().startsWith("out of device memory: a FLOAT32 tensor (" + rows + ", 1024) needs"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("at most " + ClDevice.bytes(b.device().maxAllocBytes()) + " per buffer"),
                    e.getMessage());
            assertEquals(0, b.liveBuffers());
        }
    }

    @Test
    void tensorsOfAnotherBackendAndClosedTensorsAreRefused() {
        try (OpenClBackend b = OpenClTestDevice.open(); CpuBackend cpu = new CpuBackend();
             Tensor foreign = cpu.alloc(2, 2)) {
            Tensor t = b.alloc(2, 2);
            assertThrows(IllegalArgumentException.class, () -> b.fill(foreign, 1f));
            t.close();
            assertThrows(IllegalStateException.class, () -> b.fill(t, 1f));
            Tensor ints = b.alloc(Shape.of(4, 1), DType.INT32);
            assertThrows(IllegalArgumentException.class, () -> b.fill(ints, 1f));
            ints.close();
        }
    }

    @Test
    void uploadsMayReuseTheirArrayAtOnce() {
        try (OpenClBackend b = OpenClTestDevice.open()) {
            float[] src = new float[1000];
            Tensor[] ts = new Tensor[5];
            for (int i = 0; i < ts.length; i++) {
                java.util.Arrays.fill(src, i);
                ts[i] = b.alloc(1000, 1);
                b.upload(src, ts[i]); // asynchronous, through the staging buffers
            }
            for (int i = 0; i < ts.length; i++) {
                HostTensor h = b.download(ts[i]);
                assertEquals(i, h.data()[0]);
                assertEquals(i, h.data()[999]);
                ts[i].close();
            }
        }
    }

    /** Tensor groups on the device (parts are sub-buffers at its alignment) and in the validating mirror. */
    @Test
    void tensorGroupsOnTheDeviceAndInTheValidatingMirror() {
        try (OpenClBackend b = OpenClTestDevice.open()) {
            long before = b.liveBuffers();
            TensorGroupChecks.all(b);
            assertEquals(before, b.liveBuffers(), "a group's buffer left behind");
        }
        try (Backend v = new ValidatingBackend(OpenClTestDevice.open())) {
            TensorGroupChecks.all(v);
        }
    }

    /** Rows from the middle of a host array, staged (small) and direct (at least 8 MiB), and offsets refused. */
    @Test
    void uploadsFromAnOffsetCopyThoseValues() {
        for (clnet.backend.Backend b : new clnet.backend.Backend[] {OpenClTestDevice.open(),
                new clnet.backend.cpu.CpuBackend()}) {
            try (b) {
                for (int size : new int[] {7, 3 << 20}) {
                    float[] src = new float[size + 11];
                    for (int i = 0; i < src.length; i++) {
                        src[i] = i;
                    }
                    try (Tensor t = b.alloc(size, 1)) {
                        b.upload(src, 11, t);
                        float[] got = b.download(t).data();
                        assertEquals(11f, got[0], b.name());
                        assertEquals(size + 10f, got[size - 1], b.name());
                        assertThrows(IllegalArgumentException.class, () -> b.upload(src, 12, t));
                        assertThrows(IllegalArgumentException.class, () -> b.upload(src, -1, t));
                    }
                }
            }
        }
    }

    /**
     * Creating, training and closing models over and over leaves no buffer behind, and the
     * process's native memory levels off instead of growing with every round.
     */
    @Test
    void resourcesAreReleasedAndNativeMemoryStaysBounded() throws Exception {
        HostTensor x = HostTensor.zeros(256, 64);
        HostTensor y = HostTensor.zeros(256, 10);
        for (int i = 0; i < 256; i++) {
            x.set(i, i % 64, 1f);
            y.set(i, i % 10, 1f);
        }
        long settled = 0;
        int rounds = 30;
        for (int round = 0; round < rounds; round++) {
            try (OpenClBackend b = OpenClTestDevice.open()) {
                try (Sequential m = new Sequential(b)) {
                    m.add(new Dense(128, "relu").inputShape(64));
                    m.add(new Dense(10, "softmax"));
                    m.compile(new Adam(), Loss.CATEGORICAL_CROSSENTROPY);
                    m.fit(x, y, new FitOptions().epochs(1).batchSize(32).verbose(0)
                            .out(new PrintStream(OutputStream.nullOutputStream())));
                    m.predict(x);
                }
                assertEquals(0, b.liveBuffers(), "round " + round + ": buffers left after the model closed");
                assertEquals(0, b.liveBytes());
            }
            if (round == 9) {
                settled = residentKiB();
            }
        }
        long end = residentKiB();
        // 20 more rounds of a ~1 MiB model must not add more than a few MiB of resident memory
        assertTrue(end - settled < 48 * 1024, "resident memory grew from " + settled + " KiB to " + end + " KiB");
    }

    private static long residentKiB() throws Exception {
        System.gc();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void deviceNamesResolveAsDocumented() {
        ClDevice d = OpenClTestDevice.get();
        try (Backend b = Backends.open(d.id())) {
            assertEquals(d.id(), b.name());
        }
        try (Backend b = Backends.open("opencl")) {
            assertEquals(ClDevice.all().get(0).id(), b.name());
        }
        boolean anyGpu = ClDevice.all().stream().anyMatch(c -> c.isGpu() || c.isAccelerator());
        try (Backend b = Backends.open("auto")) {
            // a GPU when there is one; with only CPU OpenCL devices (PoCL), the faster of the
            // CPU backend and those (AutoDeviceTest)
            boolean isGpu = ClDevice.all().stream().anyMatch(c -> c.id().equals(b.name()) && (c.isGpu()
                    || c.isAccelerator()));
            assertEquals(anyGpu, isGpu, b.name());
        }
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Backends.open("opencl:9:9"));
        assertTrue(none.getMessage().contains("no OpenCL device opencl:9:9"), none.getMessage());
        if (ClDevice.all().stream().noneMatch(ClDevice::isGpu)) {
            IllegalArgumentException gpu = assertThrows(IllegalArgumentException.class, () -> Backends.open("gpu"));
            assertTrue(gpu.getMessage().startsWith("no OpenCL GPU found"), gpu.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Backends.open("tpu"));
    }

    @Test
    void sourceNamesInBuildLogsAreRewritten() {
        assertEquals("gemm.cl:3:7: error: x", KernelSet.rewriteSourceNames("<source>:3:7: error: x", "gemm.cl"));
        assertEquals("error: gemm.cl:2:27: use of undeclared identifier",
                KernelSet.rewriteSourceNames("error: /root/.cache/pocl/kcache/tempfile_4lTu20.cl:2:27: use of"
                        + " undeclared identifier", "gemm.cl"));
        assertEquals("<built-in>:1:2: note", KernelSet.rewriteSourceNames("<built-in>:1:2: note", "gemm.cl"));
    }

    @Test
    void openClErrorsBecomeSentences() {
        org.jocl.CLException oom = new org.jocl.CLException("CL_MEM_OBJECT_ALLOCATION_FAILURE",
                org.jocl.CL.CL_MEM_OBJECT_ALLOCATION_FAILURE);
        assertTrue(OpenClException.of(oom, "allocating 1.0 GiB").getMessage()
                .startsWith("out of device memory while allocating 1.0 GiB"));
        org.jocl.CLException wg = new org.jocl.CLException("x", org.jocl.CL.CL_INVALID_WORK_GROUP_SIZE);
        assertTrue(OpenClException.of(wg, "running kernel k").getMessage().startsWith("invalid work-group size"));
        org.jocl.CLException none = new org.jocl.CLException("x", OpenClException.PLATFORM_NOT_FOUND);
        assertEquals(OpenClException.NO_DRIVER, OpenClException.of(none, "listing").getMessage());
        assertTrue(OpenClException.NO_DRIVER.startsWith("no OpenCL driver found; see README"));
    }
}
