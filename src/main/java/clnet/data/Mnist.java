package clnet.data;

import clnet.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Loads MNIST from a directory holding the four original IDX files:
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, each raw or
 * gzip-compressed with {@code .gz} appended (the raw file wins if both exist).
 *
 * <p>{@code scripts/fetch-mnist.sh} puts them in {@code data/mnist}. Every problem is
 * reported as an {@link IOException} with one line that names the file or directory.
 */
public final class Mnist {
    /** The hint printed when the files are not there. */
    static final String FETCH_HINT = "fetch MNIST with scripts/fetch-mnist.sh (see README)";

    private static final int NUM_CLASSES = 10;

    private Mnist() {
    }

    /** The two halves MNIST ships as, with the prefix of their file names. */
    public enum Split {
        TRAIN("train"), TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }

        /** The images file's name without {@code .gz}, e.g. {@code t10k-images-idx3-ubyte}. */
        public String imagesFileName() {
            return prefix + "-images-idx3-ubyte";
        }

        /** The labels file's name without {@code .gz}, e.g. {@code t10k-labels-idx1-ubyte}. */
        public String labelsFileName() {
            return prefix + "-labels-idx1-ubyte";
        }
    }

    /**
     * One split: images as rows of floats in [0, 1], labels 0..9.
     *
     * @param images shape (count, imageRows * imageCols)
     * @param labels one per image
     * @param imageRows pixel rows per image
     * @param imageCols pixel columns per image
     */
    public record Part(HostTensor images, int[] labels, int imageRows, int imageCols) {
        /** The number of images. */
        public int count() {
            return labels.length;
        }
    }

    /**
     * Loads both splits.
     *
     * @throws NoSuchFileException if the directory or one of the files is missing
     * @throws IOException if a file is malformed, the two splits' image sizes differ,
     *         an images file and its labels file hold different counts, or a label is not 0..9
     */
    public static MnistData load(Path dir) throws IOException {
        checkDirectory(dir);
        Part train = loadSplit(dir, Split.TRAIN);
        Part test = loadSplit(dir, Split.TEST);
        if (train.imageRows() != test.imageRows() || train.imageCols() != test.imageCols()) {
            throw new IOException("image size mismatch in " + dir + ": training images are "
                    + train.imageRows() + " x " + train.imageCols() + " but test images are "
                    + test.imageRows() + " x " + test.imageCols());
        }
        return new MnistData(train.images(), train.labels(), test.images(), test.labels(),
                train.imageRows(), train.imageCols());
    }

    /**
     * Loads one split, for example only the test images for {@code evaluate}.
     *
     * @throws NoSuchFileException if the directory or one of the split's two files is missing
     * @throws IOException if a file is malformed, the counts differ, or a label is not 0..9
     */
    public static Part loadSplit(Path dir, Split split) throws IOException {
        checkDirectory(dir);
        Path imagesFile = find(dir, split.imagesFileName());
        Path labelsFile = find(dir, split.labelsFileName());

        IdxArray images = IdxReader.read(imagesFile);
        if (images.rank() != 3) {
            throw new IdxFormatException(imagesFile, "expected images of rank 3 (count, rows, cols) but the header"
                    + " declares rank " + images.rank() + " (" + IdxArray.describe(images.dims()) + ")");
        }
        IdxArray labels = IdxReader.read(labelsFile);
        if (labels.rank() != 1) {
            throw new IdxFormatException(labelsFile, "expected labels of rank 1 (count) but the header declares rank "
                    + labels.rank() + " (" + IdxArray.describe(labels.dims()) + ")");
        }
        if (images.count() != labels.count()) {
            throw new IOException("count mismatch: " + imagesFile + " holds " + images.count() + " images but "
                    + labelsFile + " holds " + labels.count() + " labels");
        }
        int[] dims = images.dims();
        return new Part(Datasets.fromUnsignedBytes(images), labelValues(labelsFile, labels), dims[1], dims[2]);
    }

    private static void checkDirectory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such directory; " + FETCH_HINT);
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a directory; " + FETCH_HINT);
        }
    }

    /** The raw file if present, else the {@code .gz} one. */
    private static Path find(Path dir, String name) throws NoSuchFileException {
        // whatever is there, the reader says what is wrong with it (a directory, a FIFO): not "missing"
        Path raw = dir.resolve(name);
        if (Files.exists(raw, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return raw;
        }
        Path gz = dir.resolve(name + ".gz");
        if (Files.exists(gz, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return gz;
        }
        throw new NoSuchFileException(dir.toString(), null, "no " + name + " or " + name + ".gz in this directory; "
                + FETCH_HINT);
    }

    private static int[] labelValues(Path file, IdxArray labels) throws IdxFormatException {
        int[] values = new int[labels.count()];
        for (int i = 0; i < values.length; i++) {
            int value = labels.unsigned(i);
            if (value >= NUM_CLASSES) {
                throw new IdxFormatException(file, "label " + value + " at index " + i + " is outside 0..9");
            }
            values[i] = value;
        }
        return values;
    }
}
