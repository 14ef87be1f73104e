package clnet.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import clnet.backend.cpu.CpuBackend;
import clnet.tensor.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tensor groups on the CPU backends (the OpenCL tests run the same checks on a device). */
class TensorGroupTest {
    @Test
    void layoutPlacesEachPartAtTheNextMultipleOfTheAlignment() {
        TensorGroup.Layout l = TensorGroup.Layout.of(List.of(Shape.of(2, 3), Shape.of(1, 3), Shape.of(5, 1)), 4);
        assertEquals(List.of(0, 8, 12), l.offsets());
        assertEquals(17, l.size());
        assertEquals(List.of(0, 6, 9), TensorGroup.Layout.of(List.of(Shape.of(2, 3), Shape.of(1, 3), Shape.of(5, 1)),
                1).offsets());
        assertEquals(l, TensorGroup.Layout.of(List.of(Shape.of(2, 3), Shape.of(1, 3), Shape.of(5, 1)), 4));
        assertThrows(IllegalArgumentException.class, () -> TensorGroup.Layout.of(List.of(Shape.of(2, 3)), 0));
    }

    @Test
    void nativeBlasBackend() {
        try (Backend b = CpuBackend.withNativeBlas()) {
            TensorGroupChecks.all(b);
        }
    }

    @Test
    void referenceBackend() {
        try (Backend b = new CpuBackend()) {
            TensorGroupChecks.all(b);
        }
    }

    /** A CPU group laid out as a device's (alignment 32 floats), as the validating mirror asks for it. */
    @Test
    void aCpuGroupTakesAnotherBackendsAlignment() {
        try (Backend b = new CpuBackend()) {
            TensorGroup g = b.allocGroup(TensorGroupChecks.SHAPES, 32);
            try {
                assertEquals(List.of(0, 224, 256, 448, 480), g.layout().offsets());
                b.upload(new float[] {5f}, g.parts().get(3));
                assertEquals(5f, b.download(g.whole()).data()[448]);
            } finally {
                g.whole().close();
            }
        }
    }
}
