package clnet.nn;

import clnet.tensor.Rng;
import java.util.Locale;

/**
 * Weight initializers, as Keras defines them. Biases always start at zero.
 *
 * <ul>
 *   <li>glorot_uniform (Keras's default): U(-l, l), l = sqrt(6 / (fan_in + fan_out));</li>
 *   <li>he_uniform: U(-l, l), l = sqrt(6 / fan_in);</li>
 *   <li>he_normal: a normal of stddev sqrt(2 / fan_in), truncated at two standard
 *       deviations (redrawn outside), its stddev divided by .87962566103423978 so the
 *       truncated distribution keeps the intended variance, as Keras's
 *       VarianceScaling does.</li>
 * </ul>
 */
public enum Initializer {
    GLOROT_UNIFORM("glorot_uniform"),
    HE_NORMAL("he_normal"),
    HE_UNIFORM("he_uniform");

    /** Stddev of a unit normal truncated to [-2, 2]. */
    private static final double TRUNCATED_STDDEV = .87962566103423978;

    private final String id;

    Initializer(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Initializer parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (Initializer i : values()) {
            if (i.id.equals(n)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown initializer '" + name
                + "' (known: glorot_uniform, he_normal, he_uniform)");
    }

    /** Fills a fan_in x fan_out kernel, row-major, from {@code rng}. */
    public float[] kernel(int fanIn, int fanOut, Rng rng) {
        float[] w = new float[fanIn * fanOut];
        switch (this) {
            case GLOROT_UNIFORM -> uniform(w, Math.sqrt(6.0 / (fanIn + fanOut)), rng);
            case HE_UNIFORM -> uniform(w, Math.sqrt(6.0 / fanIn), rng);
            case HE_NORMAL -> {
                double stddev = Math.sqrt(2.0 / fanIn) / TRUNCATED_STDDEV;
                for (int i = 0; i < w.length; i++) {
                    double g;
                    do {
                        g = rng.nextGaussian();
                    } while (g < -2.0 || g > 2.0);
                    w[i] = (float) (g * stddev);
                }
            }
        }
        return w;
    }

    private static void uniform(float[] w, double limit, Rng rng) {
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((2.0 * rng.nextDouble() - 1.0) * limit);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
