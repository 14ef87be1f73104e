package clnet.backend;

import clnet.backend.Tensor;

/**
 * A trainable weight and the buffer its gradient is written to, both in the backend.
 *
 * @param name     Keras-style path, e.g. {@code dense_1/kernel}
 * @param value    the weights
 * @param gradient d(mean batch loss)/d(value), written by the layer's backward pass
 */
public record Parameter(String name, Tensor value, Tensor gradient) {
}
