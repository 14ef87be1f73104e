package clnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.cpu.CpuBackend;
import clnet.nn.Dense;
import clnet.nn.Sequential;
import clnet.ops.Loss;
import clnet.optim.Adam;
import clnet.tensor.HostTensor;
import clnet.train.FitOptions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The TensorFlow Playground's data sets: the generators' shapes, seeds, features and split. */
class PlaygroundTest {

    @ParameterizedTest
    @EnumSource(Playground.Kind.class)
    void halfOfEachClassInsideThePlaygroundsSquareAndTheSameForTheSameSeed(Playground.Kind kind) {
        Playground.Points p = Playground.generate(kind, 500, 0.1, 7);
        assertEquals(500, p.size());
        int ones = 0;
        for (int i = 0; i < p.size(); i++) {
            ones += p.label()[i];
            assertTrue(Math.abs(p.x()[i]) < 8 && Math.abs(p.y()[i]) < 8, kind + " point " + i);
        }
        if (kind != Playground.Kind.XOR) { // xor's classes come from the quadrants, not half and half
            assertTrue(Math.abs(ones - 250) <= 25, kind + ": " + ones + " of 500 in class 1");
        }
        assertArrayEquals(p.x(), Playground.generate(kind, 500, 0.1, 7).x());
        assertTrue(p.x()[3] != Playground.generate(kind, 500, 0.1, 8).x()[3] || kind == Playground.Kind.SPIRAL);
    }

    @ParameterizedTest
    @EnumSource(Playground.Kind.class)
    void anOddNumberOfPointsIsKeptExactly(Playground.Kind kind) {
        assertEquals(501, Playground.generate(kind, 501, 0, 1).size());
        assertEquals(3, Playground.generate(kind, 3, 0, 1).size());
    }

    @Test
    void theSpiralsArmsAreHalfATurnApartAndNoiseFreeByDefault() {
        Playground.Points p = Playground.generate(Playground.Kind.SPIRAL, 500, 0, 1);
        for (int i = 0; i < 250; i++) {
            assertEquals(-p.x()[i], p.x()[250 + i], 1e-9);
            assertEquals(-p.y()[i], p.y()[250 + i], 1e-9);
            assertEquals(1, p.label()[i]);
            assertEquals(0, p.label()[250 + i]);
        }
    }

    @Test
    void featuresAndSplit() {
        Playground.Points p = Playground.generate(Playground.Kind.XOR, 100, 0, 3);
        HostTensor f = p.features(Playground.Feature.parseList(List.of("x", "y", "xy", "sinx", "xx")));
        assertEquals(5, f.cols());
        assertEquals((float) (p.x()[4] * p.y()[4]), f.get(4, 2));
        assertEquals((float) Math.sin(p.x()[4]), f.get(4, 3));
        Playground.Split s = Playground.split(p, 0.5, 3);
        assertEquals(50, s.train().size());
        assertEquals(50, s.test().size());
        assertThrows(IllegalArgumentException.class, () -> Playground.Feature.parseList(List.of("z")));
        assertThrows(IllegalArgumentException.class, () -> Playground.generate(Playground.Kind.XOR, 100, 0.7, 1));
        assertThrows(IllegalArgumentException.class, () -> Playground.split(p, 1.0, 1));
        assertEquals("unknown data set 'moon' (known: spiral, circle, xor, gaussian)",
                assertThrows(IllegalArgumentException.class, () -> Playground.Kind.parse("moon")).getMessage());
    }

    /** The lesson's point: three layers of 8 learn the spiral (the sweep's 4,2 does not). */
    @Test
    void eightEightEightLearnsTheSpiral() {
        Playground.Split s = Playground.split(Playground.generate(Playground.Kind.SPIRAL, 500, 0, 1), 0.5, 1);
        List<Playground.Feature> xy = Playground.Feature.parseList(List.of("x", "y"));
        try (CpuBackend b = new CpuBackend(); Sequential m = new Sequential(b).seed(2)) {
            m.add(new Dense(8, "relu").inputShape(2));
            m.add(new Dense(8, "relu"));
            m.add(new Dense(8, "relu"));
            m.add(new Dense(1, "sigmoid")); // binary: one sigmoid unit
            m.compile(new Adam(0.01f), Loss.BINARY_CROSSENTROPY);
            m.fit(s.train().features(xy), labels(s.train()), new FitOptions().epochs(400).batchSize(10).verbose(0));
            double acc = m.evaluate(s.test().features(xy), labels(s.test())).accuracy();
            assertTrue(acc >= 0.9, "held-out accuracy " + acc);
        }
    }

    private static HostTensor labels(Playground.Points p) {
        return Datasets.labelColumn(p.label());
    }
}
