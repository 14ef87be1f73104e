package clnet.callbacks;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A file name with fields, as Keras's {@code ModelCheckpoint} takes it: Python's
 * {@code str.format} with {@code epoch} (from 1) and the epoch's logs, so that
 * {@code "ck-{epoch:02d}-{val_loss:.2f}.safetensors"} becomes {@code ck-03-0.41.safetensors}.
 *
 * <p>The format specs a file name needs are read as Python reads them: an optional
 * {@code 0} and width, an optional precision, and the types {@code d}, {@code f},
 * {@code e}, {@code g} and {@code %} (upper case too); a field without a spec is written as
 * Python writes the number ({@code 3}, {@code 0.4123}, {@code 1e-05}). {@code {{} and
 * {@code }}} are braces. Anything else (alignment, signs, grouping, attribute access) is
 * refused when the template is made, so that a typo fails before training, not after it.
 */
final class PathTemplate {
    /** A literal piece of the name, or a field with its spec. */
    private record Part(String literal, String field, Spec spec) {
    }

    /** {@code [0][width][.precision][type]}; -1 where absent, type 0 where absent. */
    private record Spec(boolean zeroPad, int width, int precision, char type) {
    }

    private final String template;
    private final List<Part> parts = new ArrayList<>();

    PathTemplate(String template) {
        this.template = template;
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < template.length() && template.charAt(i + 1) == c) {
                literal.append(c);
                i++;
            } else if (c == '}') {
                throw error("a single '}' (write '}}' for a brace)");
            } else if (c == '{') {
                int end = template.indexOf('}', i);
                if (end < 0) {
                    throw error("a '{' without its '}'");
                }
                String inside = template.substring(i + 1, end);
                int colon = inside.indexOf(':');
                String field = colon < 0 ? inside : inside.substring(0, colon);
                if (!field.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw error("'{" + inside + "}' does not name a field (epoch, loss, val_loss, ...)");
                }
                if (literal.length() > 0) {
                    parts.add(new Part(literal.toString(), null, null));
                    literal.setLength(0);
                }
                parts.add(new Part(null, field, colon < 0 ? null : spec(inside.substring(colon + 1))));
                i = end;
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            parts.add(new Part(literal.toString(), null, null));
        }
    }

    String template() {
        return template;
    }

    /** The fields the name takes, in order ({@code epoch}, {@code val_loss}, ...). */
    List<String> fields() {
        return parts.stream().filter(p -> p.field != null).map(Part::field).toList();
    }

    /** The name for {@code epoch} (from 1, as Keras numbers them) and the epoch's logs. */
    String format(int epoch, Map<String, Double> logs) {
        StringBuilder out = new StringBuilder();
        for (Part p : parts) {
            if (p.literal != null) {
                out.append(p.literal);
                continue;
            }
            Number value;
            if (p.field.equals("epoch")) {
                value = epoch; // an Integer: written as Python writes an int (a ?: with a Double would widen it)
            } else {
                value = logs.get(p.field);
            }
            if (value == null) {
                throw new IllegalArgumentException("checkpoint path " + template + ": no '" + p.field
                        + "' to put in it; there are epoch" + (logs.isEmpty() ? "" : ", ")
                        + String.join(", ", logs.keySet()));
            }
            out.append(p.spec == null ? plain(value) : formatted(p.field, value, p.spec));
        }
        return out.toString();
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("checkpoint path " + template + ": " + what);
    }

    private Spec spec(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(0)?(\\d+)?(?:\\.(\\d+))?([dfFeEgG%])?").matcher(s);
        if (!m.matches()) {
            throw error("format '" + s + "' is not one this takes ([0][width][.precision][d|f|e|g|%])");
        }
        int width = m.group(2) == null ? -1 : Integer.parseInt(m.group(2));
        int precision = m.group(3) == null ? -1 : Integer.parseInt(m.group(3));
        char type = m.group(4) == null ? 0 : m.group(4).charAt(0);
        if (type == 'd' && precision >= 0) {
            throw error("format '" + s + "': an integer takes no precision");
        }
        return new Spec(m.group(1) != null, width, precision, type);
    }

    private String formatted(String field, Number value, Spec spec) {
        double v = value.doubleValue();
        boolean integer = value instanceof Integer || value instanceof Long;
        String body;
        switch (spec.type) {
            case 'd' -> {
                if (!integer) { // as Python: 'd' is for ints, and the logs hold floats
                    throw error("format 'd' is for the epoch, an integer; " + field + " is a number with a fraction"
                            + " (try .2f)");
                }
                body = value.toString();
            }
            case 0 -> {
                if (integer && spec.precision >= 0) {
                    throw error("format '." + spec.precision + "' of " + field + ": an integer takes no precision");
                }
                body = integer ? value.toString() : general(v, spec.precision, false, true);
            }
            case 'f', 'F' -> body = fixed(v, spec.precision < 0 ? 6 : spec.precision, spec.type == 'F');
            case 'e', 'E' -> body = scientific(v, spec.precision < 0 ? 6 : spec.precision, spec.type == 'E', false);
            case '%' -> body = fixed(v * 100, spec.precision < 0 ? 6 : spec.precision, false) + "%";
            default -> body = general(v, spec.precision, spec.type == 'G', false);
        }
        if (spec.width > body.length()) {
            boolean pad = spec.zeroPad; // Python pads nan and inf with zeros too
            String fill = (pad ? "0" : " ").repeat(spec.width - body.length());
            if (pad && body.startsWith("-")) {
                return "-" + fill + body.substring(1); // Python pads after the sign
            }
            return fill + body; // numbers align right
        }
        return body;
    }

    /** Python's str() of an int or a float: repr's shortest digits, exponent form outside [1e-4, 1e16). */
    static String plain(Number value) {
        if (value instanceof Integer || value instanceof Long) {
            return value.toString();
        }
        double v = value.doubleValue();
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0.0" : "0.0";
        }
        BigDecimal d = shortest(v);
        int exponent = d.precision() - d.scale() - 1;
        if (exponent >= -4 && exponent < 16) {
            String s = d.toPlainString();
            return s.contains(".") ? s : s + ".0";
        }
        String digits = d.unscaledValue().abs().toString();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (v < 0 ? "-" : "") + mantissa + exponentSuffix(exponent, false);
    }

    /**
     * The fewest significant digits that read back as {@code v}, the nearest such decimal:
     * the digits of Python's repr (JDK 17's Double.toString is not always the shortest).
     */
    private static BigDecimal shortest(double v) {
        BigDecimal exact = new BigDecimal(v);
        for (int digits = 1; digits <= 17; digits++) {
            BigDecimal nearest = exact.round(new java.math.MathContext(digits, java.math.RoundingMode.HALF_EVEN));
            // at a power of two the doubles around v are not evenly spaced, so the decimal that
            // reads back may be the one a step past the nearest: of those that do, the closest
            BigDecimal step = BigDecimal.ONE.movePointLeft(nearest.scale());
            BigDecimal best = null;
            for (BigDecimal d : new BigDecimal[] {nearest, nearest.subtract(step), nearest.add(step)}) {
                if (d.signum() != 0 && d.doubleValue() == v && (best == null
                        || d.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0)) {
                    best = d;
                }
            }
            if (best != null) {
                return best.stripTrailingZeros();
            }
        }
        return exact.round(new java.math.MathContext(17, java.math.RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    private static String fixed(double v, int precision, boolean upper) {
        if (!Double.isFinite(v)) {
            return nonFinite(v, upper);
        }
        String s = new BigDecimal(v).setScale(precision, java.math.RoundingMode.HALF_EVEN).toPlainString();
        // Python keeps the sign of what rounds to zero (-0.001 is -0.00), BigDecimal has no -0
        return (v < 0 || (v == 0 && 1 / v < 0)) && !s.startsWith("-") ? "-" + s : s;
    }

    private static String scientific(double v, int precision, boolean upper, boolean stripZeros) {
        if (!Double.isFinite(v)) {
            return nonFinite(v, upper);
        }
        if (v == 0) {
            String zeros = stripZeros || precision == 0 ? "" : "." + "0".repeat(precision);
            return (1 / v < 0 ? "-" : "") + "0" + zeros + exponentSuffix(0, upper);
        }
        BigDecimal d = new BigDecimal(v).round(new java.math.MathContext(precision + 1,
                java.math.RoundingMode.HALF_EVEN));
        int exponent = d.precision() - d.scale() - 1;
        String digits = d.unscaledValue().abs().toString();
        digits = (digits + "0".repeat(precision + 1)).substring(0, precision + 1);
        String fraction = digits.substring(1);
        if (stripZeros) {
            fraction = fraction.replaceAll("0+$", "");
        }
        return (v < 0 ? "-" : "") + digits.charAt(0) + (fraction.isEmpty() ? "" : "." + fraction)
                + exponentSuffix(exponent, upper);
    }

    /** Python's 'g' (and a spec with no type: 'g' that keeps one decimal on a whole number, as repr does). */
    private static String general(double v, int precision, boolean upper, boolean noType) {
        if (!Double.isFinite(v)) {
            return nonFinite(v, upper);
        }
        if (noType && precision < 0) {
            return plain(v);
        }
        int p = precision < 0 ? 6 : Math.max(1, precision);
        BigDecimal d = new BigDecimal(v).round(new java.math.MathContext(p, java.math.RoundingMode.HALF_EVEN));
        int exponent = v == 0 ? 0 : d.precision() - d.scale() - 1;
        // Python's threshold: 'g' goes to the exponent form at p digits before the point, the
        // typeless form at p - 1 (its added ".0" would be a digit more than asked for)
        if (exponent >= -4 && exponent < (noType ? p - 1 : p)) {
            String s = d.setScale(Math.max(0, p - 1 - exponent), java.math.RoundingMode.HALF_EVEN).toPlainString();
            if (s.contains(".")) {
                s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
            }
            s = (v == 0 && 1 / v < 0 ? "-" : "") + s; // BigDecimal has no negative zero
            return noType && !s.contains(".") ? s + ".0" : s;
        }
        return scientific(v, p - 1, upper, true);
    }

    private static String exponentSuffix(int exponent, boolean upper) {
        return (upper ? "E" : "e") + (exponent < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
    }

    private static String nonFinite(double v, boolean upper) {
        String s = Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        return upper ? s.toUpperCase(Locale.ROOT) : s;
    }
}
