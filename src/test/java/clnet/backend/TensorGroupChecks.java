package clnet.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.tensor.Shape;
import java.util.List;

/**
 * What every backend's tensor groups must do, run on the CPU backends by
 * {@link TensorGroupTest} and on an OpenCL device (and its validating mirror) by the
 * OpenCL tests: parts alias the whole at the layout's offsets, ops over the whole equal
 * the same ops part by part, and the front refuses a whole where an op cannot take one.
 */
public final class TensorGroupChecks {
    /** Awkward sizes: no part is a multiple of any alignment. */
    public static final List<Shape> SHAPES = List.of(Shape.of(7, 31), Shape.of(1, 31), Shape.of(33, 5),
            Shape.of(1, 1), Shape.of(3, 129));

    private TensorGroupChecks() {
    }

    private static float[] ramp(int n, float start, float step) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + step * (i % 97) - 0.5f * (i % 5);
        }
        return v;
    }

    /** Parts are zero at first, each aliases its stretch of the whole, and the padding belongs to no part. */
    public static void partsAliasTheWhole(Backend b) {
        TensorGroup g = b.allocGroup(SHAPES);
        try {
            TensorGroup.Layout layout = g.layout();
            assertEquals(b.groupAlignment(), layout.alignment(), b.name());
            assertEquals(Shape.of(1, layout.size()), g.whole().shape(), b.name());
            for (int i = 0; i < SHAPES.size(); i++) {
                assertEquals(0, layout.offsets().get(i) % layout.alignment(), b.name() + " part " + i);
                assertEquals(SHAPES.get(i), g.parts().get(i).shape());
                assertArrayEquals(new float[SHAPES.get(i).size()], b.download(g.parts().get(i)).data());
            }
            for (int i = 0; i < SHAPES.size(); i++) {
                b.upload(ramp(SHAPES.get(i).size(), i + 1, 0.25f), g.parts().get(i));
            }
            float[] whole = b.download(g.whole()).data();
            boolean[] inPart = new boolean[whole.length];
            for (int i = 0; i < SHAPES.size(); i++) {
                float[] want = ramp(SHAPES.get(i).size(), i + 1, 0.25f);
                int at = layout.offsets().get(i);
                for (int j = 0; j < want.length; j++) {
                    assertEquals(want[j], whole[at + j], b.name() + " part " + i + " element " + j);
                    inPart[at + j] = true;
                }
            }
            for (int k = 0; k < whole.length; k++) {
                if (!inPart[k]) {
                    assertEquals(0f, whole[k], b.name() + ": padding element " + k + " written by a part");
                }
            }
            // and the other way: a whole's upload reaches every part
            float[] all = ramp(layout.size(), -3f, 0.125f);
            b.upload(all, g.whole());
            for (int i = 0; i < SHAPES.size(); i++) {
                float[] got = b.download(g.parts().get(i)).data();
                int at = layout.offsets().get(i);
                for (int j = 0; j < got.length; j++) {
                    assertEquals(all[at + j], got[j], b.name() + " part " + i + " element " + j);
                }
            }
        } finally {
            g.whole().close();
        }
    }

    /**
     * rmspropStep, adamStep, sgdStep and axpy over wholes give every part exactly what the
     * same op gives it alone (each is element-wise, the same formula either way).
     */
    public static void opsOverTheWholeEqualOpsPartByPart(Backend b) {
        TensorGroup[] g = new TensorGroup[4];
        Tensor[][] alone = new Tensor[SHAPES.size()][4];
        try {
            for (int t = 0; t < 4; t++) {
                g[t] = b.allocGroup(SHAPES);
            }
            for (int i = 0; i < SHAPES.size(); i++) {
                for (int t = 0; t < 4; t++) {
                    float[] v = t == 2 ? ramp(SHAPES.get(i).size(), 0.01f, 0.001f)
                            : ramp(SHAPES.get(i).size(), 0.1f * (t + 1) - i, 0.03f);
                    if (t == 2) {
                        for (int j = 0; j < v.length; j++) {
                            v[j] = Math.abs(v[j]); // RMSprop's and Adam's second moments are not negative
                        }
                    }
                    b.upload(v, g[t].parts().get(i));
                    alone[i][t] = b.alloc(SHAPES.get(i), DType.FLOAT32);
                    b.upload(v, alone[i][t]);
                }
            }
            Tensor[] w = {g[0].whole(), g[1].whole(), g[2].whole(), g[3].whole()};
            b.rmspropStep(w[0], w[1], w[2], null, 1e-3f, 0.9f, 0f, 1e-7f);
            b.adamStep(w[0], w[1], w[3], w[2], 1e-3f, 0.9f, 0.999f, 1e-7f);
            b.sgdStep(w[0], w[1], w[3], 0.1f, 0.9f, true);
            b.axpy(-0.5f, w[1], w[3]);
            for (Tensor[] a : alone) {
                b.rmspropStep(a[0], a[1], a[2], null, 1e-3f, 0.9f, 0f, 1e-7f);
                b.adamStep(a[0], a[1], a[3], a[2], 1e-3f, 0.9f, 0.999f, 1e-7f);
                b.sgdStep(a[0], a[1], a[3], 0.1f, 0.9f, true);
                b.axpy(-0.5f, a[1], a[3]);
            }
            for (int i = 0; i < SHAPES.size(); i++) {
                for (int t = 0; t < 4; t++) {
                    assertArrayEquals(b.download(alone[i][t]).data(), b.download(g[t].parts().get(i)).data(),
                            b.name() + ": part " + i + " of group " + t);
                }
            }
        } finally {
            for (TensorGroup t : g) {
                if (t != null) {
                    t.whole().close();
                }
            }
            for (Tensor[] a : alone) {
                for (Tensor t : a) {
                    if (t != null) {
                        t.close();
                    }
                }
            }
        }
    }

    /** A part is an ordinary tensor: a product reads and writes parts in the middle of a buffer. */
    public static void partsWorkInEveryOp(Backend b) {
        List<Shape> shapes = List.of(Shape.of(1, 3), Shape.of(2, 3), Shape.of(3, 2), Shape.of(2, 2));
        TensorGroup g = b.allocGroup(shapes);
        try {
            b.upload(new float[] {1, 2, 3, 4, 5, 6}, g.parts().get(1));
            b.upload(new float[] {1, 0, 0, 1, 1, 1}, g.parts().get(2));
            b.gemm(false, false, 1f, g.parts().get(1), g.parts().get(2), 0f, g.parts().get(3));
            assertArrayEquals(new float[] {4, 5, 10, 11}, b.download(g.parts().get(3)).data(), b.name());
            assertArrayEquals(new float[3], b.download(g.parts().get(0)).data(), b.name() + ": a neighbour changed");
        } finally {
            g.whole().close();
        }
    }

    /** The front's refusals, the same on every backend, and a whole's lifetime. */
    public static void refusalsAndLifetime(Backend b) {
        TensorGroup g = b.allocGroup(SHAPES);
        // the same parts in another order: the same size where parts are not padded (alignment 1)
        TensorGroup other = b.allocGroup(List.of(SHAPES.get(1), SHAPES.get(0), SHAPES.get(2), SHAPES.get(3),
                SHAPES.get(4)));
        try (Tensor plain = b.alloc(g.whole().shape(), DType.FLOAT32);
             Tensor x = b.alloc(1, 7)) {
            Tensor whole = g.whole();
            String msg = assertThrows(IllegalArgumentException.class,
                    () -> b.gemm(false, false, 1f, x, whole, 0f, plain)).getMessage();
            assertTrue(msg.contains("gemm: b is a tensor group's whole"), msg);
            msg = assertThrows(IllegalArgumentException.class, () -> b.axpy(1f, whole, plain)).getMessage();
            assertTrue(msg.contains("goes only with wholes of the same layout"), msg);
            if (b.groupAlignment() == 1) {
                assertEquals(whole.size(), other.whole().size());
            }
            if (other.whole().size() == whole.size()) {
                msg = assertThrows(IllegalArgumentException.class, () -> b.copy(other.whole(), whole)).getMessage();
                assertTrue(msg.contains("laid out differently"), msg);
            }
            assertThrows(IllegalArgumentException.class, () -> whole.firstRows(1));
            assertThrows(IllegalArgumentException.class, () -> b.allocGroup(List.of()));
            assertThrows(IllegalArgumentException.class, () -> b.allocGroup(List.of(Shape.of(0, 3))));
            assertThrows(IllegalArgumentException.class, () -> b.allocGroup(SHAPES, 0));
            if (b.groupAlignment() > 1) {
                msg = assertThrows(IllegalArgumentException.class,
                        () -> b.allocGroup(SHAPES, b.groupAlignment() + 1)).getMessage();
                assertTrue(msg.contains("is not a multiple of"), msg);
            }
            msg = assertThrows(IllegalArgumentException.class,
                    () -> b.allocGroup(List.of(Shape.of(46340, 46340), Shape.of(46340, 46340)))).getMessage();
            assertTrue(msg.contains("more than one tensor holds"), msg);

            Tensor part = g.parts().get(2);
            part.close(); // a part frees nothing
            assertFalse(part.isClosed());
            b.fill(whole, 2f);
            whole.close();
            assertTrue(part.isClosed());
            assertThrows(IllegalStateException.class, () -> b.fill(part, 1f));
        } finally {
            g.whole().close();
            other.whole().close();
        }
    }

    /** Every check above on {@code b}. */
    public static void all(Backend b) {
        partsAliasTheWhole(b);
        opsOverTheWholeEqualOpsPartByPart(b);
        partsWorkInEveryOp(b);
        refusalsAndLifetime(b);
    }
}
