package clnet.data;

import clnet.files.SafeFiles;
import clnet.tensor.HostTensor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Images in one folder per class, as Keras's {@code image_dataset_from_directory} reads
 * them: {@code DIR/<class>/*.png|jpg|jpeg}, classes in alphabetical order, each image resized
 * (bilinear, Keras's default) to {@code height x width} and read as grayscale (one value per
 * pixel) or RGB (three), scaled to [0, 1], one row per image (height, width, channel order).
 *
 * @param x      one row per image
 * @param labels the class of each image
 */
public record ImageFolder(Path dir, List<String> classes, HostTensor x, int[] labels, List<Path> files,
                          int height, int width, boolean rgb) {
    /** Larger files are refused before they are decoded. */
    public static final long MAX_FILE_BYTES = 64L << 20;
    /** Larger pictures are refused after their header is read: a small file may declare a huge image. */
    public static final long MAX_PIXELS = 64L << 20;
    /** The largest side an image is resized to. */
    public static final int MAX_SIDE = 4096;
    /** The most inputs per image (height x width x channels): a 4096 x 4096 grayscale image. */
    public static final long MAX_INPUTS = (long) MAX_SIDE * MAX_SIDE;

    /**
     * Why {@code height x width} (rgb: x 3) is not a size images are read at, or null: sides
     * from 1 to {@value #MAX_SIDE}, at most {@value #MAX_INPUTS} inputs per image.
     */
    public static String badSize(long height, long width, boolean rgb) {
        if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE) {
            return height + "x" + width + ": sides from 1 to " + MAX_SIDE;
        }
        long inputs = height * width * (rgb ? 3 : 1);
        if (inputs > MAX_INPUTS) {
            return height + "x" + width + (rgb ? " rgb" : "") + " gives " + inputs + " inputs per image; clnet takes"
                    + " at most " + MAX_INPUTS;
        }
        return null;
    }

    /** Whether {@code dir} holds class folders of images: some class folder holds a PNG or JPEG (hidden files aside). */
    public static boolean looksLike(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path c : s.filter(p -> Files.isDirectory(p) && !hidden(p)).toList()) {
                try (Stream<Path> files = Files.list(c)) {
                    if (files.anyMatch(f -> !hidden(f) && isImage(f))) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    /**
     * The class folders of {@code dir}: {@code known} (a saved model's classes, each required,
     * and no others), or all of them, sorted. Hidden folders are no classes.
     */
    static List<String> classFolders(Path dir, List<String> known, String what) throws IOException {
        List<String> found;
        try (Stream<Path> s = Files.list(dir)) {
            found = s.filter(p -> Files.isDirectory(p) && !hidden(p)).map(p -> p.getFileName().toString()).sorted()
                    .toList();
        }
        if (known == null) {
            if (found.size() < 2) {
                throw new IOException(dir + ": " + found.size() + " class folder(s); " + what + " need one folder per"
                        + " class, at least two");
            }
            return found;
        }
        for (String f : found) {
            if (!known.contains(f)) {
                throw new IOException(dir + ": holds a class folder '" + f + "' the model does not know (its classes: "
                        + String.join(", ", known) + ")");
            }
        }
        for (String k : known) {
            if (!found.contains(k)) {
                throw new IOException(dir.resolve(k) + ": no such class folder (the model knows classes " + known
                        + ")");
            }
        }
        return known;
    }

    /** The files of a class-folder tree, each with the index of its class folder. */
    record ClassFiles(List<Path> files, int[] labels) {
    }

    /**
     * The files {@code keep} accepts in each class folder {@code names} of {@code dir} (hidden
     * ones never), sorted, labelled by the folder's index; a folder without any is refused
     * with {@code emptyProblem}.
     */
    static ClassFiles classFiles(Path dir, List<String> names, Predicate<Path> keep, String emptyProblem)
            throws IOException {
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            Path cd = dir.resolve(names.get(c));
            List<Path> inClass;
            try (Stream<Path> s = Files.list(cd)) {
                inClass = s.filter(p -> !hidden(p) && keep.test(p)).sorted().toList();
            }
            if (inClass.isEmpty()) {
                throw new IOException(cd + ": " + emptyProblem);
            }
            for (Path f : inClass) {
                files.add(f);
                labels.add(c);
            }
        }
        return new ClassFiles(files, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    public static ImageFolder read(Path dir, int height, int width, boolean rgb, List<String> classes)
            throws IOException {
        List<String> names = classFolders(dir, classes, "images");
        ClassFiles listed = classFiles(dir, names, ImageFolder::isImage, "no PNG or JPEG images");
        List<Path> files = listed.files();
        String bad = badSize(height, width, rgb);
        if (bad != null) {
            throw new IllegalArgumentException(dir + ": images of " + bad);
        }
        int features = height * width * (rgb ? 3 : 1);
        // checked before allocating: every image is one row of the matrix
        if ((long) files.size() * features > Datasets.maxValues()) {
            throw new IOException(dir + ": " + files.size() + " images of " + height + "x" + width + (rgb ? " rgb" : "")
                    + " are " + (long) files.size() * features + " values, more than clnet holds in memory ("
                    + Datasets.maxValues() + "); give a smaller --image-size");
        }
        HostTensor x = HostTensor.zeros(files.size(), features);
        for (int i = 0; i < files.size(); i++) {
            float[] row = pixels(files.get(i), height, width, rgb, false);
            System.arraycopy(row, 0, x.data(), i * features, features);
        }
        return new ImageFolder(dir, List.copyOf(names), x, listed.labels(), files, height, width, rgb);
    }

    /**
     * One image as a row of {@code height x width (x 3)} values in [0, 1]. With
     * {@code inkBright} (MNIST's convention: white digits on black), a picture whose border is
     * mostly light (a dark digit drawn on white in a paint program) is inverted first.
     */
    public static float[] pixels(Path file, int height, int width, boolean rgb, boolean inkBright)
            throws IOException {
        String problem = SafeFiles.unreadable(file, "an image");
        if (problem != null) {
            throw new IOException(file + ": " + problem);
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + ": " + Files.size(file) + " bytes; an image file holds at most "
                    + MAX_FILE_BYTES);
        }
        BufferedImage img;
        try (var in = ImageIO.createImageInputStream(file.toFile())) {
            var readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IOException(file + ": not a PNG or JPEG image");
            }
            var reader = readers.next();
            try {
                reader.setInput(in);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                // deflate packs at most 1032 bytes into one, and a byte holds at most 8 pixels: a
                // small file declaring a huge picture is refused before anything is allocated for it
                long backed = Math.min(MAX_PIXELS, 8 * 1032 * Math.max(1, Files.size(file)));
                if (pixels > backed || pixels <= 0) {
                    throw new IOException(file + ": declares " + reader.getWidth(0) + " x " + reader.getHeight(0)
                            + " pixels, more than its " + Files.size(file) + " bytes can hold (or than " + MAX_PIXELS
                            + ")");
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e
                    : new IOException(file + ": not a readable image (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a readable image (" + e.getClass().getSimpleName() + ")");
        }
        BufferedImage scaled = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, width, height, null);
        g.dispose();
        int channels = rgb ? 3 : 1;
        float[] out = new float[height * width * channels];
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                int p = scaled.getRGB(c, r);
                int red = (p >> 16) & 0xFF;
                int green = (p >> 8) & 0xFF;
                int blue = p & 0xFF;
                int base = (r * width + c) * channels;
                if (rgb) {
                    out[base] = red / 255f;
                    out[base + 1] = green / 255f;
                    out[base + 2] = blue / 255f;
                } else {
                    out[base] = (0.299f * red + 0.587f * green + 0.114f * blue) / 255f; // ITU-R 601 luma, as PIL's "L"
                }
            }
        }
        if (inkBright && !rgb && borderMean(out, height, width) > 0.5f) {
            for (int i = 0; i < out.length; i++) {
                out[i] = 1f - out[i];
            }
        }
        return out;
    }

    private static float borderMean(float[] g, int h, int w) {
        double sum = 0;
        int n = 0;
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                if (r == 0 || c == 0 || r == h - 1 || c == w - 1) {
                    sum += g[r * w + c];
                    n++;
                }
            }
        }
        return (float) (sum / n);
    }

    /** These images only (a split). */
    public ImageFolder subset(int[] which) {
        int f = x.cols();
        HostTensor sub = HostTensor.zeros(which.length, f);
        int[] l = new int[which.length];
        List<Path> fs = new ArrayList<>();
        for (int i = 0; i < which.length; i++) {
            System.arraycopy(x.data(), which[i] * f, sub.data(), i * f, f);
            l[i] = labels[which[i]];
            fs.add(files.get(which[i]));
        }
        return new ImageFolder(dir, classes, sub, l, fs, height, width, rgb);
    }

    /** A seeded shuffle cut into (train, test), the test part {@code testFraction} of the images. */
    public ImageFolder[] split(double testFraction, long seed) {
        int[][] parts = Datasets.shuffledSplit(x.rows(), testFraction, seed);
        return new ImageFolder[] {subset(parts[0]), subset(parts[1])};
    }
}
