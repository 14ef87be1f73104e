package clnet.plot;

import java.awt.image.BufferedImage;
import clnet.files.SafeFiles;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/** PNG files, written atomically (a temporary file beside the target, then a rename). */
final class Png {
    static {
        System.setProperty("java.awt.headless", "true"); // plots are files; no display is needed or wanted
    }

    private Png() {
    }

    static BufferedImage render(Chart<?, ?> chart) {
        return BitmapEncoder.getBufferedImage(chart);
    }

    static Path write(BufferedImage image, Path file) throws IOException {
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", png)) {
            throw new IOException(file + ": no PNG writer");
        }
        byte[] bytes = png.toByteArray();
        SafeFiles.writeBytes(file, bytes);
        return file;
    }

    /** Images side by side, {@code columns} to a row, each in a cell the size of the largest. */
    static BufferedImage grid(java.util.List<BufferedImage> images, int columns) {
        int w = 0;
        int h = 0;
        for (BufferedImage i : images) {
            w = Math.max(w, i.getWidth());
            h = Math.max(h, i.getHeight());
        }
        int rows = (images.size() + columns - 1) / columns;
        BufferedImage out = new BufferedImage(w * columns, h * rows, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        for (int i = 0; i < images.size(); i++) {
            g.drawImage(images.get(i), (i % columns) * w, (i / columns) * h, null);
        }
        g.dispose();
        return out;
    }
}
