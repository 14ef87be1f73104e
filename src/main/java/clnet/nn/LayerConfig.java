package clnet.nn;

import java.util.Map;

/**
 * A layer's settings as a model file holds them (its {@code config} object), read with the
 * checks every layer needs: a missing key, a string where a number belongs or a fraction
 * where an integer belongs is refused with a message naming the layer and the key.
 */
public final class LayerConfig {
    /** A config that does not have what the layer needs; the message is complete as it stands. */
    public static final class Problem extends IllegalArgumentException {
        Problem(String message) {
            super(message);
        }
    }

    private final String layerName;
    private final Map<String, ?> values;

    public LayerConfig(String layerName, Map<String, ?> values) {
        this.layerName = layerName;
        this.values = values;
    }

    public String layerName() {
        return layerName;
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    public String string(String key) {
        Object v = values.get(key);
        if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
            throw new Problem("layer " + layerName + " has no string '" + key + "'");
        }
        return String.valueOf(v);
    }

    public int integer(String key) {
        Object v = values.get(key);
        if (!(v instanceof Number n)) {
            throw new Problem("layer " + layerName + " has no number '" + key + "'");
        }
        double d = n.doubleValue();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new Problem("layer " + layerName + " has '" + key + "' " + v + ", not an integer");
        }
        return (int) d;
    }

    public double number(String key) {
        Object v = values.get(key);
        if (!(v instanceof Number n)) {
            throw new Problem("layer " + layerName + " has no number '" + key + "'");
        }
        return n.doubleValue();
    }

    /** A nested object ({@code kernel_regularizer}'s entry), read with the same checks. */
    public LayerConfig object(String key) {
        Object v = values.get(key);
        if (!(v instanceof Map<?, ?> m)) {
            throw new Problem("layer " + layerName + " has no object '" + key + "'");
        }
        Map<String, Object> copy = new java.util.LinkedHashMap<>();
        m.forEach((k, x) -> copy.put(String.valueOf(k), x));
        return new LayerConfig(layerName, copy);
    }

    /** A list of numbers ({@code Normalization}'s mean), each finite. */
    public double[] numbers(String key) {
        Object v = values.get(key);
        if (v instanceof float[] floats) { // a live layer's config, not read from a file
            v = java.util.stream.IntStream.range(0, floats.length).mapToObj(i -> floats[i]).toList();
        }
        if (!(v instanceof java.util.List<?> list)) {
            throw new Problem("layer " + layerName + " has no list of numbers '" + key + "'");
        }
        double[] out = new double[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n) || !Double.isFinite(n.doubleValue())) {
                throw new Problem("layer " + layerName + " has '" + key + "' entry " + i + " " + list.get(i)
                        + ", not a finite number");
            }
            out[i] = n.doubleValue();
        }
        return out;
    }
}
