package clnet.train;

import clnet.tensor.HostTensor;
import java.io.PrintStream;

/**
 * The arguments of Keras's {@code fit}, with its defaults: 1 epoch, batches of 32,
 * shuffling on, no validation, verbose 1 (a progress bar). Set fluently:
 * {@code new FitOptions().epochs(5).batchSize(128).validationSplit(0.1)}.
 */
public final class FitOptions {
    private java.util.List<Callback> callbacks = java.util.List.of();
    private int epochs = 1;
    private int batchSize = 32;
    private double validationSplit;
    private HostTensor validationX;
    private HostTensor validationY;
    private boolean shuffle = true;
    private Long seed;
    private int verbose = 1;
    private Boolean dataOnDevice;
    private PrintStream out = System.out;
    private TrainingState resumeFrom;
    private clnet.ops.Augmentation augmentation;
    private int[] imageShape;
    private java.util.List<clnet.backend.Backend> devices = java.util.List.of();
    private boolean deterministic;

    public FitOptions epochs(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
        }
        this.epochs = epochs;
        return this;
    }

    public FitOptions batchSize(int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.batchSize = batchSize;
        return this;
    }

    /** Holds out the last fraction of the samples (before shuffling), as Keras does. */
    public FitOptions validationSplit(double fraction) {
        if (!(fraction >= 0.0 && fraction < 1.0)) {
            throw new IllegalArgumentException("validation split must be in [0, 1), got " + fraction);
        }
        this.validationSplit = fraction;
        return this;
    }

    /** Validates on these samples after each epoch; takes precedence over a split, as in Keras. */
    public FitOptions validationData(HostTensor x, HostTensor y) {
        this.validationX = x;
        this.validationY = y;
        return this;
    }

    public FitOptions shuffle(boolean shuffle) {
        this.shuffle = shuffle;
        return this;
    }

    /** The seed of the batch order; by default the model's seed. */
    public FitOptions seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** 0 silent, 1 a progress bar (plain lines when not on a terminal), 2 one line per epoch. */
    public FitOptions verbose(int verbose) {
        if (verbose < 0 || verbose > 2) {
            throw new IllegalArgumentException("verbose must be 0, 1 or 2, got " + verbose);
        }
        this.verbose = verbose;
        return this;
    }

    /**
     * Whether the training data is uploaded to the device once (true) or streamed a batch at
     * a time (false). By default (null) it is resident when it takes at most half of the
     * device's memory.
     */
    public FitOptions dataOnDevice(Boolean onDevice) {
        this.dataOnDevice = onDevice;
        return this;
    }

    public Boolean dataOnDevice() {
        return dataOnDevice;
    }

    /**
     * Continues a run from a checkpoint's state: training starts at epoch
     * {@code state.epoch()} (Keras's {@code initial_epoch}; {@link #epochs} stays the total),
     * the batch order goes on from where it was, the history holds the earlier epochs, and
     * each callback gets its state back. The model must hold the checkpoint's weights and
     * optimizer state ({@code ModelFile.load}).
     */
    public FitOptions resumeFrom(TrainingState state) {
        this.resumeFrom = state;
        return this;
    }

    public TrainingState resumeFrom() {
        return resumeFrom;
    }

    /**
     * Augments every training batch on the device, as Keras's {@code ImageDataGenerator}: each
     * row is an image of {@code height x width x channels}, transformed afresh for every sample
     * and step (evaluation and prediction see the images as they are).
     */
    public FitOptions augment(clnet.ops.Augmentation augmentation, int height, int width, int channels) {
        this.augmentation = augmentation;
        this.imageShape = augmentation == null ? null : new int[] {height, width, channels};
        return this;
    }

    public clnet.ops.Augmentation augmentation() {
        return augmentation;
    }

    /** The image shape {height, width, channels} of {@link #augment}, or null. */
    public int[] imageShape() {
        return imageShape == null ? null : imageShape.clone();
    }

    /** Callbacks, called in this order at each hook (Keras's {@code fit(callbacks=...)}). */
    public FitOptions callbacks(Callback... callbacks) {
        this.callbacks = java.util.List.of(callbacks);
        return this;
    }

    public java.util.List<Callback> callbacks() {
        return callbacks;
    }

    /** Where progress goes (standard output by default). */
    public FitOptions out(PrintStream out) {
        this.out = out;
        return this;
    }

    public int epochs() {
        return epochs;
    }

    public int batchSize() {
        return batchSize;
    }

    public double validationSplit() {
        return validationSplit;
    }

    public HostTensor validationX() {
        return validationX;
    }

    public HostTensor validationY() {
        return validationY;
    }

    public boolean shuffle() {
        return shuffle;
    }

    public Long seed() {
        return seed;
    }

    public int verbose() {
        return verbose;
    }

    public PrintStream out() {
        return out;
    }

    /**
     * Trains data-parallel on these backends, one replica of the model in each: each step's
     * batch is cut into row blocks, one per device, and their gradients are summed in a fixed
     * tree before every replica takes the same optimizer step. The first backend must be the
     * model's own, which holds the result; the caller opens and closes the others. Empty (the
     * default): the model's backend alone.
     */
    public FitOptions devices(java.util.List<clnet.backend.Backend> backends) {
        java.util.Set<clnet.backend.Backend> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (clnet.backend.Backend b : backends) {
            if (b == null || !seen.add(b)) {
                throw new IllegalArgumentException("devices: each backend once, none null");
            }
        }
        this.devices = java.util.List.copyOf(backends);
        return this;
    }

    public java.util.List<clnet.backend.Backend> devices() {
        return devices;
    }

    /**
     * Cuts each batch into {@value Trainer#MICRO_SHARDS} fixed micro-shards whose gradients
     * are summed by a pairwise tree, whatever the number of devices: 1, 2, 4 or 8 identical
     * devices then train the same weights bit for bit. Off by default (one row block per
     * device: faster, and reproducible for a fixed device count).
     */
    public FitOptions deterministic(boolean deterministic) {
        this.deterministic = deterministic;
        return this;
    }

    public boolean deterministic() {
        return deterministic;
    }
}
