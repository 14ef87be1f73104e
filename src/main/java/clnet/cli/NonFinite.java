package clnet.cli;

import clnet.tensor.HostTensor;
import java.util.Locale;

/**
 * Numbers that went bad are errors, not results: a model whose outputs are NaN or infinite
 * (weights near float's limit, extreme inputs) makes {@code evaluate}, {@code predict} and
 * {@code train}'s final test fail with exit 1, naming the first sample where it happened.
 */
final class NonFinite {
    private NonFinite() {
    }

    /** Fails at the first non-finite output of {@code outputs} (rows are samples of {@code what}). */
    static void requireFinite(HostTensor outputs, String model, String what) {
        float[] d = outputs.data();
        int cols = Math.max(1, outputs.cols());
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s gives %s for %s sample %d (output %d):"
                        + " its weights or the data overflow float32", model, d[i], what, i / cols, i % cols));
            }
        }
    }

    /** Fails when an evaluation's loss is not finite, naming the first sample whose output is not. */
    static void requireFiniteLoss(double loss, java.util.function.Supplier<HostTensor> outputs, String model,
                                  String what) {
        if (Double.isFinite(loss)) {
            return;
        }
        requireFinite(outputs.get(), model, what);
        throw new IllegalStateException(String.format(Locale.ROOT, "the loss of %s on %s is %s although its outputs"
                + " are finite: a target or the loss overflows float32", model, what, loss));
    }
}
