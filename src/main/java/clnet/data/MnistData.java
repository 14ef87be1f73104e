package clnet.data;

import clnet.tensor.HostTensor;

/**
 * MNIST as clnet trains on it: each image flattened to one row of
 * {@code imageRows * imageCols} floats in [0, 1], and the labels as class indices
 * 0..9. Loaded by {@link Mnist#load}. The arrays are not copied.
 *
 * @param trainImages shape (number of training images, imageRows * imageCols)
 * @param trainLabels one label per training image
 * @param testImages shape (number of test images, imageRows * imageCols)
 * @param testLabels one label per test image
 * @param imageRows pixel rows per image (28 for MNIST)
 * @param imageCols pixel columns per image (28 for MNIST)
 */
public record MnistData(HostTensor trainImages, int[] trainLabels, HostTensor testImages, int[] testLabels,
        int imageRows, int imageCols) {

    /** The training split. */
    public Mnist.Part train() {
        return new Mnist.Part(trainImages, trainLabels, imageRows, imageCols);
    }

    /** The test split. */
    public Mnist.Part test() {
        return new Mnist.Part(testImages, testLabels, imageRows, imageCols);
    }

    @Override
    public String toString() {
        return "MnistData(train " + trainImages.shape() + ", test " + testImages.shape() + ")";
    }
}
