package clnet.cli;

import clnet.data.ImageFolder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Images in class folders as {@code --data}: their size and colour, as Keras's image_dataset_from_directory. */
final class ImageOptions {
    @Option(names = "--image-size", defaultValue = "28x28", paramLabel = "HxW",
            description = "Images: resized to HEIGHTxWIDTH (bilinear; default: ${DEFAULT-VALUE}, MNIST's).")
    String size;

    @Option(names = "--color", defaultValue = "grayscale", paramLabel = "MODE",
            description = "Images: grayscale or rgb (Keras's color_mode; default: ${DEFAULT-VALUE}).")
    String color;

    ImageFolder load(Path dir, CommandLine cl) throws IOException {
        int[] hw = Usage.parse(cl, "--image-size", () -> {
            String[] p = size.toLowerCase(java.util.Locale.ROOT).split("x");
            if (p.length != 2) {
                throw new IllegalArgumentException("'" + size + "' is not HEIGHTxWIDTH");
            }
            int h = Integer.parseInt(p[0].trim());
            int w = Integer.parseInt(p[1].trim());
            if (h < 1 || w < 1 || h > ImageFolder.MAX_SIDE || w > ImageFolder.MAX_SIDE) {
                throw new IllegalArgumentException("'" + size + "': sides from 1 to " + ImageFolder.MAX_SIDE);
            }
            return new int[] {h, w};
        });
        boolean rgb = Usage.parse(cl, "--color", () -> switch (color.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "grayscale" -> false;
            case "rgb" -> true;
            default -> throw new IllegalArgumentException("'" + color + "' is not grayscale or rgb");
        });
        // the width of the input layer, whatever the folder holds
        String bad = ImageFolder.badSize(hw[0], hw[1], rgb);
        Usage.require(cl, bad == null, "--image-size: " + bad + " (for " + dir + ")");
        return ImageFolder.read(dir, hw[0], hw[1], rgb, null);
    }

    /** What a saved model keeps to read new images as it read these. */
    static Map<String, Object> config(ImageFolder f) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("kind", "images");
        c.put("height", f.height());
        c.put("width", f.width());
        c.put("color", f.rgb() ? "rgb" : "grayscale");
        c.put("classes", f.classes());
        return c;
    }

    /** The images of {@code dir} as a saved model reads them. */
    @SuppressWarnings("unchecked")
    static ImageFolder read(Path dir, Map<String, Object> saved) throws IOException {
        return ImageFolder.read(dir, ((Number) saved.get("height")).intValue(), ((Number) saved.get("width")).intValue(),
                "rgb".equals(saved.get("color")), (List<String>) saved.get("classes"));
    }

    /**
     * One picture as a model reads it: a model trained on image folders as they were read; an
     * MNIST model as MNIST is (28 x 28 grayscale, light digit on dark: a dark drawing on a light
     * background is inverted).
     */
    static float[] picture(Path file, Map<String, Object> saved) throws IOException {
        if (saved == null) {
            return ImageFolder.pixels(file, 28, 28, false, true);
        }
        return ImageFolder.pixels(file, ((Number) saved.get("height")).intValue(),
                ((Number) saved.get("width")).intValue(), "rgb".equals(saved.get("color")), false);
    }
}
