package clnet.nn;

import clnet.backend.Backend;
import clnet.backend.Parameter;
import clnet.backend.Tensor;
import clnet.tensor.HostTensor;
import clnet.tensor.Rng;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras's {@code Normalization} layer: each feature standardized as (x − μ) / σ, with the
 * mean μ and variance σ² of each column fitted to the training data by {@link #adapt}
 * (Keras's {@code adapt}) and kept in the layer's config, so that a saved model takes raw
 * rows. As in Keras, σ is at least 1e-7, and the statistics are not trained. Computed as
 * x · (1/σ) + (−μ/σ) in one pass ({@link Backend#scaleColumns}).
 */
public final class Normalization extends Layer {
    private static final double EPSILON = 1e-7;

    private float[] mean;
    private float[] variance;
    private int features;
    private Backend backend;
    private Tensor scale;
    private Tensor shift;
    private Tensor zeros;
    private RowBuffers buffers;

    /** A layer to {@link #adapt} before the model is built. */
    public Normalization() {
    }

    /** With known statistics, as Keras's {@code Normalization(mean=..., variance=...)}. */
    public Normalization(float[] mean, float[] variance) {
        setStatistics(mean, variance);
    }

    private void setStatistics(float[] mean, float[] variance) {
        if (mean.length != variance.length || mean.length == 0) {
            throw new IllegalArgumentException("Normalization needs a mean and a variance per feature, got "
                    + mean.length + " and " + variance.length);
        }
        for (int i = 0; i < mean.length; i++) {
            if (!Float.isFinite(mean[i]) || !(variance[i] >= 0) || !Float.isFinite(variance[i])) {
                throw new IllegalArgumentException("Normalization: feature " + i + " has mean " + mean[i]
                        + " and variance " + variance[i]);
            }
        }
        this.mean = mean.clone();
        this.variance = variance.clone();
    }

    /** Fits the mean and (population) variance of each column of {@code data}, as Keras's {@code adapt}. */
    public Normalization adapt(HostTensor data) {
        if (isBuilt()) {
            throw new IllegalStateException("layer " + name() + " is built; adapt it before compiling");
        }
        int rows = data.rows();
        int cols = data.cols();
        if (rows == 0) {
            throw new IllegalArgumentException("Normalization.adapt needs at least one sample");
        }
        double[] sum = new double[cols];
        double[] sq = new double[cols];
        float[] d = data.data();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double v = d[r * cols + j];
                sum[j] += v;
                sq[j] += v * v;
            }
        }
        float[] m = new float[cols];
        float[] var = new float[cols];
        for (int j = 0; j < cols; j++) {
            double mu = sum[j] / rows;
            m[j] = (float) mu;
            var[j] = (float) Math.max(0, sq[j] / rows - mu * mu);
        }
        setStatistics(m, var);
        return this;
    }

    public float[] mean() {
        return mean == null ? null : mean.clone();
    }

    public float[] variance() {
        return variance == null ? null : variance.clone();
    }

    @Override
    public String type() {
        return "Normalization";
    }

    @Override
    public int declaredInputFeatures() {
        return mean == null ? 0 : mean.length;
    }

    @Override
    void configure(int inputFeatures) {
        if (mean != null && mean.length != inputFeatures) {
            throw new IllegalArgumentException("layer " + name() + " was adapted to " + mean.length
                    + " features but receives " + inputFeatures);
        }
        this.features = inputFeatures;
    }

    @Override
    public int inputFeatures() {
        return features;
    }

    @Override
    public int outputFeatures() {
        return features;
    }

    @Override
    public long paramCount() {
        return 0; // its statistics are settings, not trained weights
    }

    @Override
    void build(Backend backend, Rng rng, List<Tensor> weights, List<Tensor> gradients) {
        if (mean == null) {
            throw new IllegalStateException("layer " + name() + " has no mean and variance: call adapt(data) first");
        }
        close();
        this.backend = backend;
        this.buffers = new RowBuffers(backend, features); // allocated at the first batch
        float[] sc = new float[features];
        float[] sh = new float[features];
        for (int j = 0; j < features; j++) {
            double sigma = Math.max(Math.sqrt(variance[j]), EPSILON);
            sc[j] = (float) (1 / sigma);
            sh[j] = (float) (-mean[j] / sigma);
        }
        scale = backend.alloc(1, features);
        shift = backend.alloc(1, features);
        zeros = backend.alloc(1, features);
        backend.upload(sc, scale);
        backend.upload(sh, shift);
    }

    @Override
    public boolean isBuilt() {
        return scale != null;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Tensor y = buffers.output(x.rows());
        backend.scaleColumns(x, scale, shift, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dOutput, boolean needInputGradient) {
        if (!needInputGradient) {
            return null; // the usual place, first: nothing before it learns
        }
        Tensor dx = buffers.gradient(dOutput.rows());
        backend.scaleColumns(dOutput, scale, zeros, dx); // dy/dx = 1/sigma
        return dx;
    }

    /** Keras's config: {@code axis}, and the statistics as lists. */
    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("axis", -1);
        c.put("mean", mean);
        c.put("variance", variance);
        return c;
    }

    /** Normalization in model files: {@code mean} and {@code variance}, one number per feature. */
    public static final class Type implements LayerType {
        @Override
        public String className() {
            return "Normalization";
        }

        @Override
        public Layer fromConfig(LayerConfig c) {
            double[] m = c.numbers("mean");
            double[] v = c.numbers("variance");
            float[] mf = new float[m.length];
            float[] vf = new float[v.length];
            for (int i = 0; i < m.length; i++) {
                mf[i] = (float) m[i];
            }
            for (int i = 0; i < v.length; i++) {
                vf[i] = (float) v[i];
            }
            try {
                return new Normalization(mf, vf);
            } catch (IllegalArgumentException e) {
                throw new LayerConfig.Problem("layer " + c.layerName() + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        if (buffers != null) {
            buffers.close();
        }
        for (Tensor t : new Tensor[] {scale, shift, zeros}) {
            if (t != null) {
                t.close();
            }
        }
        scale = shift = zeros = null;
    }
}
