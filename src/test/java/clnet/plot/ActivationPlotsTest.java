package clnet.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clnet.backend.cpu.CpuBackend;
import clnet.ops.Activation;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The activation plots: files that decode, of the stated size, with both curves drawn from the backend's ops. */
class ActivationPlotsTest {
    @TempDir
    Path dir;

    private static int pixelsOf(BufferedImage img, Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                Color p = new Color(img.getRGB(x, y));
                if (Math.abs(p.getRed() - c.getRed()) + Math.abs(p.getGreen() - c.getGreen())
                        + Math.abs(p.getBlue() - c.getBlue()) < 30) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void everyActivationGetsAPngWithBothCurvesAndAGridOfAll() throws Exception {
        List<Path> files = ActivationPlots.write(dir);
        assertEquals(ActivationPlots.plotted().size() + 1, files.size());
        for (Activation f : ActivationPlots.plotted()) {
            BufferedImage img = ImageIO.read(dir.resolve(f.id() + ".png").toFile());
            assertEquals(ActivationPlots.WIDTH, img.getWidth(), f.id());
            assertEquals(ActivationPlots.HEIGHT, img.getHeight(), f.id());
            assertTrue(pixelsOf(img, ActivationPlots.FUNCTION) > 300, f.id() + ": the function's colour");
            assertTrue(pixelsOf(img, ActivationPlots.DERIVATIVE) > 300, f.id() + ": the derivative's colour");
        }
        BufferedImage grid = ImageIO.read(dir.resolve("activations.png").toFile());
        assertEquals(3 * ActivationPlots.WIDTH, grid.getWidth());
        assertEquals(2 * ActivationPlots.HEIGHT, grid.getHeight());
        assertTrue(Files.list(dir).noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary files left");
    }

    /** The curves are the backend's: a backend with a wrong relu derivative plots the wrong curve. */
    @Test
    void theCurvesComeFromTheBackendsOps() {
        try (CpuBackend real = new CpuBackend(); CpuBackend wrong = new HalfReluDerivative()) {
            double[][] good = ActivationPlots.curves(real, Activation.RELU, 21);
            double[][] bad = ActivationPlots.curves(wrong, Activation.RELU, 21);
            assertEquals(-10.0, good[0][0]);
            assertEquals(0.0, good[2][0]);  // relu'(-10)
            assertEquals(1.0, good[2][20]); // relu'(10)
            assertEquals(10.0, good[1][20]);
            assertEquals(0.5, bad[2][20], "the plot shows what the backend computes");
        }
    }

    static final class HalfReluDerivative extends CpuBackend {
        @Override
        protected void doActivationBackward(Activation f, clnet.backend.Tensor z, clnet.backend.Tensor a,
                                            clnet.backend.Tensor dA, clnet.backend.Tensor dZ) {
            super.doActivationBackward(f, z, a, dA, dZ);
            axpy(-0.5f, dZ, dZ);
        }
    }
}
