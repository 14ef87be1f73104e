package clnet.train;

import clnet.tensor.HostTensor;
import java.util.List;
import java.util.Map;

/**
 * Everything a training step changes in a model, copied to the host: the weights and the
 * optimizer's state (its slots, keyed {@code <parameter>/<slot>}, its step count and its
 * learning rate). Restoring one puts a model back exactly where it was.
 */
public record Snapshot(List<HostTensor> weights, Map<String, HostTensor> optimizerSlots, long iterations,
                       float learningRate) {
}
