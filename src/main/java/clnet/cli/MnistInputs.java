package clnet.cli;

import clnet.data.Datasets;
import clnet.ops.Loss;
import clnet.tensor.HostTensor;

/** Turns MNIST labels into the targets a loss expects. */
final class MnistInputs {
    private MnistInputs() {
    }

    /** One-hot rows, or a column of class indices for sparse categorical cross-entropy. */
    static HostTensor targets(Loss loss, int[] labels, int classes) {
        return loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY
                ? Datasets.labelColumn(labels)
                : Datasets.toCategorical(labels, classes);
    }
}
