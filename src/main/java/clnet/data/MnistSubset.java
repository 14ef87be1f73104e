package clnet.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Developer tool behind {@code scripts/make-mnist-subset.sh}: copies the first
 * images and labels of each MNIST split into gzip IDX files, the small real data
 * set the tests load from {@code testdata/mnist-subset}.
 *
 * <p>Usage: {@code MnistSubset MNIST_DIR OUT_DIR TRAIN_COUNT TEST_COUNT}. The output
 * depends only on the input (gzip without a timestamp), so re-running it gives
 * identical files.
 */
public final class MnistSubset {
    private MnistSubset() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: MnistSubset MNIST_DIR OUT_DIR TRAIN_COUNT TEST_COUNT");
            System.exit(2);
        }
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int trainCount = Integer.parseInt(args[2]);
        int testCount = Integer.parseInt(args[3]);
        Files.createDirectories(out);
        for (Mnist.Split split : Mnist.Split.values()) {
            int count = split == Mnist.Split.TRAIN ? trainCount : testCount;
            copyHead(in, out, split.imagesFileName(), count);
            copyHead(in, out, split.labelsFileName(), count);
        }
    }

    private static void copyHead(Path in, Path out, String name, int count) throws IOException {
        Path source = in.resolve(name);
        if (!Files.exists(source)) {
            source = in.resolve(name + ".gz");
        }
        IdxArray head = IdxReader.read(source).head(count);
        Path target = out.resolve(name + ".gz");
        IdxWriter.write(target, head, true);
        System.out.println(target + ": " + IdxArray.describe(head.dims()));
    }
}
