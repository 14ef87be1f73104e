package clnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.tensor.HostTensor;
import clnet.tensor.Shape;
import org.junit.jupiter.api.Test;

class DatasetsTest {

    @Test
    void toCategoricalIsOneHot() {
        HostTensor t = Datasets.toCategorical(new int[] {2, 0, 1, 2}, 3);
        assertEquals(Shape.of(4, 3), t.shape());
        assertArrayEquals(new float[] {
            0, 0, 1,
            1, 0, 0,
            0, 1, 0,
            0, 0, 1}, t.data());
    }

    @Test
    void toCategoricalRejectsLabelsOutsideTheClasses() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Datasets.toCategorical(new int[] {0, 1, 10}, 10));
        assertEquals("label 10 at index 2 is outside [0, 10)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Datasets.toCategorical(new int[] {-1}, 10));
        assertThrows(IllegalArgumentException.class, () -> Datasets.toCategorical(new int[] {0}, 0));
    }

    @Test
    void labelColumnIsAFloatColumn() {
        HostTensor t = Datasets.labelColumn(new int[] {7, 2, 1});
        assertEquals(Shape.of(3, 1), t.shape());
        assertArrayEquals(new float[] {7, 2, 1}, t.data());
    }

    @Test
    void fromUnsignedBytesScalesToUnitRange() {
        byte[] bytes = {0, 51, (byte) 128, (byte) 255, 1, 2};
        HostTensor t = Datasets.fromUnsignedBytes(new IdxArray(new int[] {2, 1, 3}, bytes));
        assertEquals(Shape.of(2, 3), t.shape());
        assertEquals(0f, t.get(0, 0));
        assertEquals(0.2f, t.get(0, 1));
        assertEquals(128 / 255f, t.get(0, 2));
        assertEquals(1f, t.get(1, 0));
        assertEquals(1 / 255f, t.get(1, 1));
    }

    /** x row i holds i, y row i holds 10 * i: which rows landed where is visible. */
    private static HostTensor rows(int n, int scale) {
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = i * scale;
        }
        return new HostTensor(Shape.of(n, 1), data);
    }

    private static void assertSplit(int n, double fraction, int expectedTrain) {
        Datasets.Split s = Datasets.splitLast(rows(n, 1), rows(n, 10), fraction);
        assertEquals(expectedTrain, s.xTrain().rows(), "train rows for n=" + n + ", fraction=" + fraction);
        assertEquals(expectedTrain, s.yTrain().rows());
        assertEquals(n - expectedTrain, s.xVal().rows());
        assertEquals(n - expectedTrain, s.yVal().rows());
        assertTrue(s.hasValidation());
        // The validation part is the tail, in order.
        assertEquals(expectedTrain, s.xVal().get(0, 0));
        assertEquals(10f * expectedTrain, s.yVal().get(0, 0));
        assertEquals(n - 1, s.xVal().get(n - expectedTrain - 1, 0));
        assertEquals(expectedTrain - 1, s.xTrain().get(expectedTrain - 1, 0));
    }

    @Test
    void splitLastMatchesKerasRounding() {
        // Expected values are Keras's int(math.floor(n * (1.0 - validation_split))).
        assertSplit(10, 0.3, 7);
        assertSplit(7, 0.5, 3);
        assertSplit(2, 0.5, 1);
        assertSplit(100, 0.29, 71);   // 100 * 0.29 is 28.999..., a naive n - (int) (n * f) gives 72
        assertSplit(49, 0.35, 31);    // rounding n * f would give 32
        assertSplit(60000, 0.1, 54000);
    }

    @Test
    void splitLastRejectsSplitsKerasRejects() {
        // 1.0 - 0.9 is 0.0999...: floor(10 * 0.0999...) = 0 training rows, as in Keras.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Datasets.splitLast(rows(10, 1), rows(10, 1), 0.9));
        assertTrue(e.getMessage().contains("10 samples are too few"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Datasets.splitLast(rows(1, 1), rows(1, 1), 0.5));
        // 1.0 - 1e-17 rounds to 1.0: every row would train and none validate.
        assertThrows(IllegalArgumentException.class, () -> Datasets.splitLast(rows(100, 1), rows(100, 1), 1e-17));
        assertSplit(100, 0.001, 99);
    }

    @Test
    void zeroFractionKeepsEverythingForTraining() {
        HostTensor x = rows(5, 1);
        HostTensor y = rows(5, 10);
        Datasets.Split s = Datasets.splitLast(x, y, 0.0);
        assertSame(x, s.xTrain());
        assertSame(y, s.yTrain());
        assertEquals(Shape.of(0, 1), s.xVal().shape());
        assertFalse(s.hasValidation());
    }

    @Test
    void badFractionsAndShapes() {
        for (double bad : new double[] {-0.1, 1.0, 1.5, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Datasets.splitLast(rows(10, 1), rows(10, 1), bad));
            assertTrue(e.getMessage().startsWith("validation fraction must be in [0, 1)"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Datasets.splitLast(rows(10, 1), rows(9, 1), 0.2));
        assertEquals("x has 10 rows but y has 9", e.getMessage());
    }
}
