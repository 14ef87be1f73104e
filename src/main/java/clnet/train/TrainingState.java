package clnet.train;

import java.util.Map;

/**
 * Where a {@code fit} stands after an epoch: what a checkpoint carries beside the weights,
 * the optimizer's state and the layers' random streams, so that a run resumed from it
 * ({@link FitOptions#resumeFrom}) continues as if it had never stopped.
 *
 * @param epoch       epochs completed (the resumed run starts at this one, counted from 0)
 * @param epochs      the epochs the run was asked for
 * @param batchSize   the batch size it ran with
 * @param shuffleState the position of the batch-order stream ({@link clnet.tensor.Rng#state()})
 * @param history     the metrics of the epochs completed
 * @param callbacks   each callback's {@link Callback#state()}, under its key (its class's
 *                    simple name, {@code _1}, {@code _2}, ... appended for repeats)
 * @param device      the backend it trained on ({@code cpu}, {@code opencl:0:0}), or the backends
 *                    joined by commas ({@code opencl:0:0,opencl:0:1}) for a data-parallel run: a
 *                    resumed run matches an uninterrupted one bit for bit on the same backends
 * @param deterministic whether it cut batches into micro-shards ({@link FitOptions#deterministic}):
 *                    a resumed run does too
 * @param firstStep   the steps the model had taken when the fit began (0 for a first fit), where
 *                    its augmentation stream starts: a resumed run draws the same warps
 */
public record TrainingState(int epoch, int epochs, int batchSize, long shuffleState, History history,
                            Map<String, Map<String, Object>> callbacks, String device, boolean deterministic,
                            long firstStep) {
}
