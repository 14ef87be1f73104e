package clnet.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import clnet.backend.cpu.CpuBackend;
import clnet.ops.Augmentation;
import clnet.tensor.HostTensor;
import clnet.tensor.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Keras's ImageDataGenerator conventions, on the CPU twin of the warp: identity, shifts, flips, fills, seeds. */
class AugmentationTest {
    private final Backend cpu = new CpuBackend();

    /** A 4 x 5 image whose pixel (r, c) is 10 r + c. */
    private static HostTensor ramp() {
        float[] d = new float[20];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 5; c++) {
                d[r * 5 + c] = 10 * r + c;
            }
        }
        return new HostTensor(Shape.of(1, 20), d);
    }

    private float[] warp(HostTensor x, float[] matrix, boolean constant) {
        try (Tensor in = cpu.upload(x); Tensor m = cpu.upload(new HostTensor(Shape.of(1, 6), matrix));
             Tensor out = cpu.alloc(1, 20)) {
            cpu.affineWarp(in, m, out, 4, 5, 1, constant, -1f);
            return cpu.download(out).data();
        }
    }

    @Test
    void noTransformIsTheIdentity() {
        float[] m = Augmentation.parse("").matrices(1, 4, 5, 1, 1);
        assertArrayEquals(new float[] {1, 0, 0, 1, 0, 0}, m, 1e-6f);
        assertArrayEquals(ramp().data(), warp(ramp(), m, false), 1e-5f);
    }

    @Test
    void aShiftMovesPixelsAndTheFillDecidesTheEdge() {
        // input = output + (0, 1): the image moves one column left, as scipy's affine_transform maps it
        float[] left = warp(ramp(), new float[] {1, 0, 0, 1, 0, 1}, false);
        assertEquals(1f, left[0]);
        assertEquals(4f, left[3]);
        assertEquals(4f, left[4], "nearest repeats the edge column");
        float[] constant = warp(ramp(), new float[] {1, 0, 0, 1, 0, 1}, true);
        assertEquals(-1f, constant[4], "constant fills with cval");
        float[] half = warp(ramp(), new float[] {1, 0, 0, 1, 0.5f, 0}, false);
        assertEquals(5f, half[0], 1e-6, "half a row down: bilinear between rows 0 and 1");
    }

    @Test
    void aFlipMirrorsTheColumns() {
        float[] m = Augmentation.parse("flip").matrices(64, 4, 5, 3, 9);
        int flipped = 0;
        for (int i = 0; i < 64; i++) {
            float[] one = Arrays.copyOfRange(m, 6 * i, 6 * i + 6);
            float[] out = warp(ramp(), one, false);
            if (out[0] == 4f) {
                flipped++;
                assertEquals(0f, out[4]);
            } else {
                assertEquals(0f, out[0]);
            }
        }
        assertFalse(flipped == 0 || flipped == 64, "about half flipped: " + flipped);
    }

    @Test
    void drawsArePureFunctionsOfSeedStreamAndRow() {
        Augmentation a = Augmentation.parse("rotation=30,shift=0.2,shear=10,zoom=0.2");
        assertArrayEquals(a.matrices(8, 28, 28, 5, 7), a.matrices(8, 28, 28, 5, 7));
        assertArrayEquals(Arrays.copyOf(a.matrices(8, 28, 28, 5, 7), 12), a.matrices(2, 28, 28, 5, 7),
                "row i does not depend on the batch size");
        assertFalse(Arrays.equals(a.matrices(8, 28, 28, 5, 7), a.matrices(8, 28, 28, 5, 8)));
        assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("rotation=x"));
        assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("spin=3"));
        assertThrows(IllegalArgumentException.class, () -> Augmentation.parse("zoom=1.5"));
    }
}
