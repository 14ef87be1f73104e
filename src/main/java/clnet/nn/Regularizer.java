package clnet.nn;

import clnet.backend.Backend;
import clnet.backend.Tensor;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Keras's weight regularizers {@code L1}, {@code L2} and {@code L1L2}: a penalty
 * l1 * sum |w| + l2 * sum w² added to the loss, so that training also pulls the weights
 * toward zero. As in Keras, the penalty is part of the reported {@code loss} (and of
 * {@code val_loss} and {@code evaluate}'s loss), and its gradient l1 * sign(w) + 2 * l2 * w
 * joins the weights' gradient before the optimizer step.
 */
public record Regularizer(float l1, float l2) {
    /** Keras's default factor for the string forms {@code "l1"}, {@code "l2"}, {@code "l1_l2"}. */
    public static final float DEFAULT_FACTOR = 0.01f;

    public Regularizer {
        if (!(l1 >= 0 && l2 >= 0 && Float.isFinite(l1) && Float.isFinite(l2))) {
            throw new IllegalArgumentException("regularizer factors must be finite and >= 0, got l1=" + l1 + ", l2="
                    + l2);
        }
    }

    /** Keras's {@code L1(l1)}. */
    public static Regularizer l1(double l1) {
        return new Regularizer((float) l1, 0f);
    }

    /** Keras's {@code L2(l2)}. */
    public static Regularizer l2(double l2) {
        return new Regularizer(0f, (float) l2);
    }

    /** Keras's {@code L1L2(l1, l2)}. */
    public static Regularizer l1l2(double l1, double l2) {
        return new Regularizer((float) l1, (float) l2);
    }

    /** {@code "l1"}, {@code "l2"} or {@code "l1_l2"}, each with factor 0.01, as Keras's strings. */
    public static Regularizer parse(String id) {
        return switch (id.trim().toLowerCase(Locale.ROOT)) {
            case "l1" -> l1(DEFAULT_FACTOR);
            case "l2" -> l2(DEFAULT_FACTOR);
            case "l1_l2", "l1l2" -> l1l2(DEFAULT_FACTOR, DEFAULT_FACTOR);
            default -> throw new IllegalArgumentException("unknown regularizer '" + id + "' (l1, l2, l1_l2)");
        };
    }

    /**
     * Adds {@code lossWeight} times the penalty of {@code w} into the accumulator at
     * {@code acc[slot]}, and its gradient into {@code g} unless that is null.
     */
    void apply(Backend backend, Tensor w, Tensor g, float lossWeight, Tensor acc, int slot) {
        backend.weightPenalty(w, l1, l2, g, lossWeight, acc, slot);
    }

    /** Keras's class name: {@code L1}, {@code L2} or {@code L1L2}. */
    public String className() {
        return l2 == 0f ? "L1" : l1 == 0f ? "L2" : "L1L2";
    }

    /** As Keras serializes it: {@code {"class_name": "L2", "config": {"l2": 0.01}}}. */
    Map<String, Object> config() {
        Map<String, Object> factors = new LinkedHashMap<>();
        if (!className().equals("L2")) {
            factors.put("l1", l1);
        }
        if (!className().equals("L1")) {
            factors.put("l2", l2);
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("class_name", className());
        c.put("config", factors);
        return c;
    }

    /** The inverse of {@link #config()}, from a layer's {@code kernel_regularizer} entry. */
    static Regularizer fromConfig(LayerConfig entry) {
        String cls = entry.string("class_name");
        LayerConfig factors = entry.object("config");
        double l1 = factors.has("l1") ? factors.number("l1") : 0;
        double l2 = factors.has("l2") ? factors.number("l2") : 0;
        try {
            return switch (cls) {
                case "L1" -> l1(l1);
                case "L2" -> l2(l2);
                case "L1L2" -> l1l2(l1, l2);
                default -> throw new LayerConfig.Problem("layer " + entry.layerName() + " has an unknown regularizer '"
                        + cls + "' (L1, L2, L1L2)");
            };
        } catch (LayerConfig.Problem e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new LayerConfig.Problem("layer " + entry.layerName() + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(l1=%s, l2=%s)", className(), l1, l2);
    }
}
