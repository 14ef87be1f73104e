package clnet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import clnet.tensor.HostTensor;
import clnet.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistTest {
    /** The committed subset; tests run with the repository root as working directory. */
    static final Path SUBSET = Path.of("testdata", "mnist-subset");
    /** Where scripts/fetch-mnist.sh puts the full data set. */
    static final Path FULL = Path.of("data", "mnist");

    @TempDir
    Path tmp;

    private static void assertTenClasses(int[] labels) {
        int[] perClass = new int[10];
        for (int label : labels) {
            perClass[label]++;
        }
        for (int c = 0; c < 10; c++) {
            assertTrue(perClass[c] > 0, "no image of class " + c + " in " + Arrays.toString(perClass));
        }
    }

    private static void assertUnitRange(HostTensor t) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        double sum = 0;
        for (float v : t.data()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        assertEquals(0f, min);
        assertEquals(1f, max);
        // MNIST's mean pixel is about 0.13; all zeros or all ones would mean a scaling bug.
        double mean = sum / t.data().length;
        assertTrue(mean > 0.1 && mean < 0.16, "mean pixel " + mean);
    }

    @Test
    void loadsTheCommittedSubset() throws IOException {
        MnistData d = Mnist.load(SUBSET);
        assertEquals(Shape.of(5000, 784), d.trainImages().shape());
        assertEquals(Shape.of(1000, 784), d.testImages().shape());
        assertEquals(5000, d.trainLabels().length);
        assertEquals(1000, d.testLabels().length);
        assertEquals(28, d.imageRows());
        assertEquals(28, d.imageCols());
        assertUnitRange(d.trainImages());
        assertUnitRange(d.testImages());
        assertTenClasses(d.trainLabels());
        assertTenClasses(d.testLabels());
        // The well-known first digits of MNIST.
        assertArrayEquals(new int[] {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, Arrays.copyOf(d.trainLabels(), 10));
        assertArrayEquals(new int[] {7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, Arrays.copyOf(d.testLabels(), 10));
    }

    @Test
    void loadsOneSplit() throws IOException {
        Mnist.Part test = Mnist.loadSplit(SUBSET, Mnist.Split.TEST);
        assertEquals(1000, test.count());
        assertEquals(Shape.of(1000, 784), test.images().shape());
        assertEquals(7, test.labels()[0]);
    }

    @Test
    void missingDirectory() {
        Path dir = tmp.resolve("mnist");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Mnist.load(dir));
        assertEquals(dir + ": no such directory; fetch MNIST with scripts/fetch-mnist.sh (see README)", e.getMessage());
    }

    @Test
    void missingFileNamesItAndTheDirectory() throws IOException {
        writeSplit(tmp, "train", 3, 3);
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Mnist.load(tmp));
        assertEquals(tmp + ": no t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz in this directory;"
                + " fetch MNIST with scripts/fetch-mnist.sh (see README)", e.getMessage());
    }

    @Test
    void countMismatch() throws IOException {
        writeSplit(tmp, "train", 3, 2);
        writeSplit(tmp, "t10k", 2, 2);
        IOException e = assertThrows(IOException.class, () -> Mnist.load(tmp));
        assertEquals("count mismatch: " + tmp.resolve("train-images-idx3-ubyte.gz") + " holds 3 images but "
                + tmp.resolve("train-labels-idx1-ubyte.gz") + " holds 2 labels", e.getMessage());
    }

    @Test
    void rawFileIsPreferredOverGzip() throws IOException {
        writeSplit(tmp, "t10k", 2, 2);
        IdxWriter.write(tmp.resolve("t10k-labels-idx1-ubyte"), new IdxArray(new int[] {2}, new byte[] {8, 9}), false);
        assertArrayEquals(new int[] {8, 9}, Mnist.loadSplit(tmp, Mnist.Split.TEST).labels());
    }

    @Test
    void wrongRanksAndBadLabels() throws IOException {
        IdxWriter.write(tmp.resolve("t10k-images-idx3-ubyte"), new IdxArray(new int[] {2, 4}, new byte[8]), false);
        IdxWriter.write(tmp.resolve("t10k-labels-idx1-ubyte"), new IdxArray(new int[] {2}, new byte[] {3, 10}), false);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Mnist.loadSplit(tmp, Mnist.Split.TEST));
        assertEquals(tmp.resolve("t10k-images-idx3-ubyte") + ": expected images of rank 3 (count, rows, cols)"
                + " but the header declares rank 2 (2 x 4)", e.getMessage());

        IdxWriter.write(tmp.resolve("t10k-images-idx3-ubyte"), new IdxArray(new int[] {2, 2, 2}, new byte[8]), false);
        e = assertThrows(IdxFormatException.class, () -> Mnist.loadSplit(tmp, Mnist.Split.TEST));
        assertEquals(tmp.resolve("t10k-labels-idx1-ubyte") + ": label 10 at index 1 is outside 0..9", e.getMessage());

        IdxWriter.write(tmp.resolve("t10k-labels-idx1-ubyte"), new IdxArray(new int[] {1, 2}, new byte[2]), false);
        e = assertThrows(IdxFormatException.class, () -> Mnist.loadSplit(tmp, Mnist.Split.TEST));
        assertTrue(e.getMessage().endsWith("expected labels of rank 1 (count) but the header declares rank 2 (1 x 2)"),
                e.getMessage());
    }

    /**
     * The full data set from scripts/fetch-mnist.sh. Skipped when it is absent, except
     * under CI=true, where the CI script fetches it first and its absence is a failure.
     */
    @Test
    void loadsFullMnistWhenFetched() throws IOException {
        if (!Files.isDirectory(FULL)) {
            if ("true".equals(System.getenv("CI"))) {
                fail(FULL.toAbsolutePath() + " is missing but CI=true; run scripts/fetch-mnist.sh before the tests");
            }
            Assumptions.abort(FULL.toAbsolutePath() + " is missing; run scripts/fetch-mnist.sh to test the full MNIST");
        }
        MnistData full = Mnist.load(FULL);
        assertEquals(Shape.of(60000, 784), full.trainImages().shape());
        assertEquals(Shape.of(10000, 784), full.testImages().shape());
        assertEquals(60000, full.trainLabels().length);
        assertEquals(10000, full.testLabels().length);
        assertEquals(5, full.trainLabels()[0]);
        assertEquals(7, full.testLabels()[0]);
        assertTenClasses(full.trainLabels());

        // The committed subset must be the head of the real thing.
        MnistData subset = Mnist.load(SUBSET);
        assertArrayEquals(Arrays.copyOf(full.trainLabels(), 5000), subset.trainLabels());
        assertArrayEquals(Arrays.copyOf(full.testLabels(), 1000), subset.testLabels());
        assertArrayEquals(Arrays.copyOf(full.trainImages().data(), 5000 * 784), subset.trainImages().data());
        assertArrayEquals(Arrays.copyOf(full.testImages().data(), 1000 * 784), subset.testImages().data());
    }

    /** Writes gzip images (count x 2 x 2) and labels (labelCount, all 1) for one split. */
    private static void writeSplit(Path dir, String prefix, int count, int labelCount) throws IOException {
        IdxWriter.write(dir.resolve(prefix + "-images-idx3-ubyte.gz"),
                new IdxArray(new int[] {count, 2, 2}, new byte[count * 4]));
        byte[] labels = new byte[labelCount];
        Arrays.fill(labels, (byte) 1);
        IdxWriter.write(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), new IdxArray(new int[] {labelCount}, labels));
    }
}
