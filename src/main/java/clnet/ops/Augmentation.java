package clnet.ops;

import clnet.tensor.Philox;
import java.util.Locale;

/**
 * Keras's {@code ImageDataGenerator} transforms: a random rotation (degrees, uniform in
 * ±rotation), width and height shifts (fractions of the side), a shear (degrees), a zoom
 * (each axis uniform in [1 − zoom, 1 + zoom]) and a horizontal flip (half the time), composed
 * about the image centre exactly as Keras's {@code apply_affine_transform} composes them
 * (rotation · shift · shear · zoom), sampled bilinearly; outside the image, {@code nearest}
 * repeats the edge and {@code constant} takes {@code cval}.
 *
 * <p>The parameters of sample {@code r} come from Philox blocks {@code 2r} and {@code 2r + 1}
 * of (seed, stream): drawn afresh for every sample and every step, a pure function of the
 * counters (a resumed run draws what it would have), computed on the host into one 2 x 3
 * matrix per sample ({@link #matrices}); the warp itself, {@code Backend.affineWarp}, runs on
 * the device.
 */
public record Augmentation(float rotation, float widthShift, float heightShift, float shear, float zoom,
                           boolean horizontalFlip, boolean constantFill, float cval) {
    /** The floats per sample of {@link #matrices}: a00 a01 a10 a11 o0 o1, input = A · output + o in (row, column). */
    public static final int MATRIX = 6;

    public Augmentation {
        if (!(rotation >= 0 && rotation <= 360 && widthShift >= 0 && widthShift <= 1 && heightShift >= 0
                && heightShift <= 1 && shear >= 0 && shear <= 90 && zoom >= 0 && zoom < 1 && Float.isFinite(cval))) {
            throw new IllegalArgumentException("augmentation needs rotation in [0, 360], shifts in [0, 1], shear in"
                    + " [0, 90], zoom in [0, 1)");
        }
    }

    /**
     * {@code rotation=10,shift=0.1,zoom=0.1,shear=0.1,flip,fill=constant,cval=0}: {@code shift}
     * sets both shifts ({@code width_shift}, {@code height_shift} one each); shear is in degrees
     * here as Keras's {@code shear_range}.
     */
    public static Augmentation parse(String spec) {
        float rotation = 0, ws = 0, hs = 0, shear = 0, zoom = 0, cval = 0;
        boolean flip = false;
        boolean constant = false;
        for (String part : spec.split(",")) {
            String p = part.trim().toLowerCase(Locale.ROOT);
            if (p.isEmpty()) {
                continue;
            }
            String[] kv = p.split("=", 2);
            String k = kv[0].trim();
            if (k.equals("flip") || k.equals("horizontal_flip")) {
                flip = kv.length == 1 || Boolean.parseBoolean(kv[1].trim());
                continue;
            }
            if (kv.length != 2) {
                throw new IllegalArgumentException("'" + part + "' is not NAME=VALUE");
            }
            String v = kv[1].trim();
            if (k.equals("fill") || k.equals("fill_mode")) {
                constant = switch (v) {
                    case "nearest" -> false;
                    case "constant" -> true;
                    default -> throw new IllegalArgumentException("fill must be nearest or constant, got '" + v + "'");
                };
                continue;
            }
            float x;
            try {
                x = Float.parseFloat(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + v + "' is not a number (in '" + part + "')");
            }
            switch (k) {
                case "rotation", "rotation_range" -> rotation = x;
                case "shift" -> ws = hs = x;
                case "width_shift", "width_shift_range" -> ws = x;
                case "height_shift", "height_shift_range" -> hs = x;
                case "shear", "shear_range" -> shear = x;
                case "zoom", "zoom_range" -> zoom = x;
                case "cval" -> cval = x;
                default -> throw new IllegalArgumentException("unknown transform '" + k + "' (rotation, shift,"
                        + " width_shift, height_shift, shear, zoom, flip, fill, cval)");
            }
        }
        return new Augmentation(rotation, ws, hs, shear, zoom, flip, constant, cval);
    }

    /** One 2 x 3 matrix per sample ({@link #MATRIX} floats each) for {@code rows} images of {@code h x w}. */
    public float[] matrices(int rows, int h, int w, long seed, long stream) {
        float[] out = new float[rows * MATRIX];
        float[] u = new float[8];
        float[] half = new float[4];
        for (int r = 0; r < rows; r++) {
            Philox.uniforms(seed, stream, 2 * r, half);
            System.arraycopy(half, 0, u, 0, 4);
            Philox.uniforms(seed, stream, 2 * r + 1, half);
            System.arraycopy(half, 0, u, 4, 4);
            double theta = Math.toRadians(rotation * (2 * u[0] - 1));
            double tx = heightShift * (2 * u[1] - 1) * h; // rows, as Keras's tx
            double ty = widthShift * (2 * u[2] - 1) * w;
            double sh = Math.toRadians(shear * (2 * u[3] - 1));
            double zx = 1 + zoom * (2 * u[4] - 1);
            double zy = 1 + zoom * (2 * u[5] - 1);
            boolean flip = horizontalFlip && u[6] < 0.5f;
            // rotation · shift · shear · zoom, as Keras multiplies them
            double[][] m = mul(mul(mul(new double[][] {{Math.cos(theta), -Math.sin(theta), 0},
                    {Math.sin(theta), Math.cos(theta), 0}, {0, 0, 1}}, new double[][] {{1, 0, tx}, {0, 1, ty},
                    {0, 0, 1}}), new double[][] {{1, -Math.sin(sh), 0}, {0, Math.cos(sh), 0}, {0, 0, 1}}),
                    new double[][] {{zx, 0, 0}, {0, zy, 0}, {0, 0, 1}});
            double ox = h / 2.0 - 0.5;
            double oy = w / 2.0 - 0.5;
            m = mul(mul(new double[][] {{1, 0, ox}, {0, 1, oy}, {0, 0, 1}}, m),
                    new double[][] {{1, 0, -ox}, {0, 1, -oy}, {0, 0, 1}});
            double a00 = m[0][0];
            double a01 = m[0][1];
            double a10 = m[1][0];
            double a11 = m[1][1];
            double o0 = m[0][2];
            double o1 = m[1][2];
            if (flip) { // Keras flips the transformed image: output column c reads column w - 1 - c
                o0 += a01 * (w - 1);
                o1 += a11 * (w - 1);
                a01 = -a01;
                a11 = -a11;
            }
            int b = r * MATRIX;
            out[b] = (float) a00;
            out[b + 1] = (float) a01;
            out[b + 2] = (float) a10;
            out[b + 3] = (float) a11;
            out[b + 4] = (float) o0;
            out[b + 5] = (float) o1;
        }
        return out;
    }

    private static double[][] mul(double[][] a, double[][] b) {
        double[][] c = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }
}
