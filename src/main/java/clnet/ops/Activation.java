package clnet.ops;

import java.util.Locale;

/**
 * An activation function a = f(z) and, through the backends, its derivative.
 *
 * <p>Names and defaults are Keras's: {@code "relu"}, {@code "leaky_relu"} (negative
 * slope 0.2), {@code "softmax"} and so on; {@code "arctan"} is not in Keras and is named
 * as in TensorFlow Playground. Softmax is the only one that mixes the values of a row;
 * every other one is element-wise.
 *
 * @param kind  which function
 * @param alpha the negative slope of leaky ReLU; 0 for the others
 */
public record Activation(Kind kind, float alpha) {

    public enum Kind { LINEAR, SIGMOID, TANH, RELU, LEAKY_RELU, ARCTAN, SOFTMAX }

    /** Keras's default negative slope for {@code leaky_relu}. */
    public static final float DEFAULT_LEAKY_SLOPE = 0.2f;

    public static final Activation LINEAR = new Activation(Kind.LINEAR, 0f);
    public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0f);
    public static final Activation TANH = new Activation(Kind.TANH, 0f);
    public static final Activation RELU = new Activation(Kind.RELU, 0f);
    public static final Activation LEAKY_RELU = new Activation(Kind.LEAKY_RELU, DEFAULT_LEAKY_SLOPE);
    public static final Activation ARCTAN = new Activation(Kind.ARCTAN, 0f);
    public static final Activation SOFTMAX = new Activation(Kind.SOFTMAX, 0f);

    public Activation {
        if (kind != Kind.LEAKY_RELU && alpha != 0f) {
            throw new IllegalArgumentException(kind + " takes no slope");
        }
        if (!Float.isFinite(alpha)) {
            throw new IllegalArgumentException("leaky_relu slope must be finite: " + alpha);
        }
    }

    public static Activation leakyRelu(float negativeSlope) {
        return new Activation(Kind.LEAKY_RELU, negativeSlope);
    }

    /**
     * Parses a Keras activation name; {@code "leaky_relu:0.1"} sets the slope. {@code null}
     * and {@code "linear"} mean no activation, as in Keras.
     */
    public static Activation parse(String name) {
        if (name == null) {
            return LINEAR;
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        String arg = null;
        int colon = n.indexOf(':');
        if (colon >= 0) {
            arg = n.substring(colon + 1);
            n = n.substring(0, colon);
        }
        Activation a = switch (n) {
            case "linear", "none" -> LINEAR;
            case "sigmoid" -> SIGMOID;
            case "tanh" -> TANH;
            case "relu" -> RELU;
            case "leaky_relu", "leakyrelu" -> LEAKY_RELU;
            case "arctan", "atan" -> ARCTAN;
            case "softmax" -> SOFTMAX;
            default -> throw new IllegalArgumentException("unknown activation '" + name
                    + "' (known: linear, sigmoid, tanh, relu, leaky_relu, arctan, softmax)");
        };
        if (arg != null) {
            if (a.kind != Kind.LEAKY_RELU) {
                throw new IllegalArgumentException("activation '" + n + "' takes no parameter: " + name);
            }
            try {
                a = leakyRelu(Float.parseFloat(arg));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("leaky_relu slope is not a number: " + name);
            }
        }
        return a;
    }

    /** The Keras name, with the slope for a non-default leaky ReLU ({@code leaky_relu:0.1}). */
    public String id() {
        String base = kind.name().toLowerCase(Locale.ROOT);
        if (kind == Kind.LEAKY_RELU && alpha != DEFAULT_LEAKY_SLOPE) {
            return base + ":" + alpha;
        }
        return base;
    }

    /** True when each output depends on its own input only (all but softmax). */
    public boolean isElementwise() {
        return kind != Kind.SOFTMAX;
    }

    @Override
    public String toString() {
        return id();
    }
}
