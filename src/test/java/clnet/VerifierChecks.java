package clnet;

import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.Backend;
import clnet.verify.BackendVerifier;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/** A family of {@link BackendVerifier} checks as one dynamic test per op and shape. */
public final class VerifierChecks {
    private VerifierChecks() {
    }

    public static Stream<DynamicTest> asTests(Backend oracle, Backend candidate, long seed,
                                              Consumer<BackendVerifier> family) {
        BackendVerifier v = new BackendVerifier(oracle, candidate, seed);
        family.accept(v);
        List<BackendVerifier.Check> checks = v.checks();
        assertTrue(checks.size() > 0, "no checks ran");
        return checks.stream().map(c -> DynamicTest.dynamicTest(c.op() + " " + c.shape(),
                () -> assertTrue(c.passed(), c.line())));
    }
}
