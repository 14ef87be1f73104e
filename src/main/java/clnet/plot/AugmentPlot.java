package clnet.plot;

import clnet.tensor.HostTensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Originals beside their augmented versions: one row per image, the original first. */
public final class AugmentPlot {
    private static final int SCALE = 4;

    private AugmentPlot() {
    }

    /** The most pixels a picture may have: 64 megapixels, 256 MiB as it is drawn. */
    public static final long MAX_PIXELS = 64L << 20;

    /** The pixels of the picture of {@code rows} images, each beside {@code versions} versions. */
    public static long pixels(int rows, int versions, int height, int width) {
        return (long) rows * (width * (long) SCALE + 2) * (versions + 1) * (height * (long) SCALE + 2);
    }

    /**
     * @param originals one image per row of {@code height x width x channels} values in [0, 1]
     * @param versions  for each version, a tensor like {@code originals} (row i: image i augmented)
     */
    public static Path write(HostTensor originals, List<HostTensor> versions, int height, int width, int channels,
                             Path file) throws IOException {
        List<BufferedImage> cells = new ArrayList<>();
        for (int i = 0; i < originals.rows(); i++) {
            cells.add(image(originals, i, height, width, channels));
            for (HostTensor v : versions) {
                cells.add(image(v, i, height, width, channels));
            }
        }
        return Png.write(Png.grid(cells, versions.size() + 1), file);
    }

    /** Row {@code i} as a picture, each pixel a SCALE x SCALE square with a one-pixel white border. */
    private static BufferedImage image(HostTensor t, int i, int h, int w, int channels) {
        BufferedImage img = new BufferedImage(w * SCALE + 2, h * SCALE + 2, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.dispose();
        float[] d = t.data();
        int base = i * h * w * channels;
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                int p = base + (r * w + c) * channels;
                int red = level(d[p]);
                int green = channels == 3 ? level(d[p + 1]) : red;
                int blue = channels == 3 ? level(d[p + 2]) : red;
                int rgb = (red << 16) | (green << 8) | blue;
                for (int dy = 0; dy < SCALE; dy++) {
                    for (int dx = 0; dx < SCALE; dx++) {
                        img.setRGB(1 + c * SCALE + dx, 1 + r * SCALE + dy, rgb);
                    }
                }
            }
        }
        return img;
    }

    private static int level(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }
}
