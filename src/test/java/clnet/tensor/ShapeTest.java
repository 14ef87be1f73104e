package clnet.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Shapes refuse what an int cannot count: elements, and the features of a row even with no rows. */
class ShapeTest {
    @Test
    void sizesThatOverflowAnIntAreRefused() {
        assertEquals(65536 * 32768L - 1, (long) Shape.of(65536, 32767).size() + 65535);
        assertEquals("shape [65536, 32768] has more than 2147483647 elements",
                assertThrows(IllegalArgumentException.class, () -> Shape.of(65536, 32768)).getMessage());
        // no rows: the size is 0, but the features per row would wrap (cols() gave 0)
        assertEquals("shape [0, 65536, 65536] has more than 2147483647 features per row",
                assertThrows(IllegalArgumentException.class, () -> Shape.of(0, 65536, 65536)).getMessage());
        assertEquals(784, Shape.of(0, 28, 28).cols());
        assertEquals("negative dimension in [3, -1]",
                assertThrows(IllegalArgumentException.class, () -> Shape.of(3, -1)).getMessage());
    }
}
