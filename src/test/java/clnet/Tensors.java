package clnet;

import static org.junit.jupiter.api.Assertions.fail;

import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import clnet.tensor.Shape;

/** Test helpers: random tensors and element-wise comparison with a stated tolerance. */
public final class Tensors {
    private Tensors() {
    }

    /** Uniform in [lo, hi). */
    public static HostTensor uniform(Rng rng, float lo, float hi, int... dims) {
        Shape s = Shape.of(dims);
        float[] d = new float[s.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = lo + (hi - lo) * rng.nextFloat();
        }
        return new HostTensor(s, d);
    }

    /** One-hot rows of random classes. */
    public static HostTensor oneHot(Rng rng, int rows, int classes) {
        HostTensor t = HostTensor.zeros(rows, classes);
        for (int r = 0; r < rows; r++) {
            t.set(r, rng.nextInt(classes), 1f);
        }
        return t;
    }

    /** A column of random class indices. */
    public static HostTensor labels(Rng rng, int rows, int classes) {
        HostTensor t = HostTensor.zeros(rows, 1);
        for (int r = 0; r < rows; r++) {
            t.set(r, 0, rng.nextInt(classes));
        }
        return t;
    }

    /** Fails unless |actual - expected| <= atol + rtol * |expected| everywhere. */
    public static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
                fail(String.format("%s: element %d is %.8g, expected %.8g (|diff| %.3g > %.3g + %.3g * |expected|)",
                        what, i, a, e, Math.abs(a - e), atol, rtol));
            }
        }
    }
}
