package clnet.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.ops.Activation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The verifier passes a correct backend and catches a wrong op, naming it. */
class BackendVerifierTest {

    @Test
    void theOracleAgreesWithItself() {
        try (CpuBackend a = new CpuBackend(); CpuBackend b = new CpuBackend()) {
            List<BackendVerifier.Check> checks = new BackendVerifier(a, b, 3).runAll();
            assertTrue(checks.size() > 200, "checks: " + checks.size());
            assertTrue(checks.stream().allMatch(BackendVerifier.Check::passed));
        }
    }

    /** A CPU backend whose tanh derivative is off by 1 %: only the tanh backward checks may fail. */
    @Test
    void aWrongDerivativeIsCaughtAndNamed() {
        try (CpuBackend oracle = new CpuBackend(); Backend faulty = new WrongTanhDerivative()) {
            BackendVerifier v = new BackendVerifier(oracle, faulty, 3);
            v.activations();
            List<BackendVerifier.Check> failed = v.checks().stream().filter(c -> !c.passed()).toList();
            assertFalse(failed.isEmpty(), "the fault was not caught");
            for (BackendVerifier.Check c : failed) {
                assertEquals("tanh backward", c.op(), c.line());
                assertTrue(c.line().contains("FAIL") && c.line().contains("first at"), c.line());
            }
        }
    }

    /** The CPU backend with a tanh derivative 1 % too large. */
    static final class WrongTanhDerivative extends CpuBackend {
        @Override
        protected void doActivationBackward(Activation f, Tensor z, Tensor a, Tensor dA, Tensor dZ) {
            super.doActivationBackward(f, z, a, dA, dZ);
            if (f.kind() == Activation.Kind.TANH) {
                axpy(0.01f, dZ, dZ);
            }
        }
    }
}
