package clnet.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.cpu.CpuBackend;
import clnet.VerifierChecks;
import clnet.verify.BackendVerifier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every op of the OpenCL backend against its CPU twin on random data over shapes 1, 7,
 * 31, 64, 129, 511 and 784, with |opencl - cpu| <= atol + rtol * |cpu| (see
 * {@link BackendVerifier} for the tolerances and why). Each op and shape is its own test
 * in the report, so a report shows they ran.
 */
class OpenClDifferentialTest {
    private static OpenClBackend device;
    private static CpuBackend cpu;

    @BeforeAll
    static void open() {
        device = OpenClTestDevice.open();
        cpu = new CpuBackend();
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    private static Stream<DynamicTest> family(long seed, Consumer<BackendVerifier> run) {
        return VerifierChecks.asTests(cpu, device, seed, run);
    }

    @TestFactory
    Stream<DynamicTest> gemm() {
        return family(1, BackendVerifier::gemm);
    }

    @TestFactory
    Stream<DynamicTest> elementwiseAndCopies() {
        return family(2, BackendVerifier::elementwise);
    }

    /** Keras's ImageDataGenerator warp: the kernel against its CPU twin. */
    @TestFactory
    Stream<DynamicTest> augmentation() {
        return family(9, BackendVerifier::augmentation);
    }

    @TestFactory
    Stream<DynamicTest> activations() {
        return family(3, BackendVerifier::activations);
    }

    @TestFactory
    Stream<DynamicTest> lossesAndAccuracy() {
        return family(4, BackendVerifier::losses);
    }

    @TestFactory
    Stream<DynamicTest> optimizers() {
        return family(5, BackendVerifier::optimizers);
    }

    @TestFactory
    Stream<DynamicTest> nanInfinityAndNegativeZero() {
        return family(7, BackendVerifier::nonFinite);
    }

    @TestFactory
    Stream<DynamicTest> oneTrainingStepFromIdenticalWeights() {
        return family(6, BackendVerifier::trainingStep);
    }
}
