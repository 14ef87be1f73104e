// Losses, their gradients and the accuracy count. The kind numbers (CATEGORICAL_CROSSENTROPY,
// ..., MEAN_ABSOLUTE_ERROR and ACC_CATEGORICAL, ACC_SPARSE_CATEGORICAL, ACC_BINARY) are the
// ordinals of clnet.ops.Loss and clnet.ops.Accuracy, and EPSILON is Loss.EPSILON, all defined
// before this file by the host (clnet.backend.opencl.KernelSet.enumDefines). Targets are
// one-hot rows, or for the sparse kinds one column of class indices. See clnet.ops.Loss for
// the formulas (Keras's).

// RED_WG, the work-group size of the single-group reductions, is set by the host to a
// power of two the device allows.
#ifndef RED_WG
#define RED_WG 256
#endif

// clip to [EPSILON, 1 - EPSILON]; NaN stays NaN, as Java's Math.min/max keep it in the CPU
// backend (OpenCL's fmin/fmax would return a bound instead)
inline float clip_p(const float p) { return isnan(p) ? p : fmin(fmax(p, EPSILON), 1.0f - EPSILON); }

// Java's Math.signum: sign() of OpenCL returns 0 for NaN
inline float signum(const float d) { return isnan(d) ? d : sign(d); }
inline int inside(const float p) { return p > EPSILON && p < 1.0f - EPSILON; }

// Whether a sparse target is a class index of the output; a bad one makes the loss and the
// gradient NaN (as in the CPU backend) rather than read out of bounds.
inline int valid_label(const float label, const int classes) {
    return label >= 0.0f && label < classes && label == (float) (int) label;
}

inline float row_sum(__global const float* p, const int base, const int cols) {
    float s = 0.0f;
    for (int j = 0; j < cols; j++) s += p[base + j];
    return s;
}

inline float sample_loss(const int kind, __global const float* p, __global const float* y,
                         const int r, const int cols) {
    const int base = r * cols;
    float l = 0.0f;
    if (kind == CATEGORICAL_CROSSENTROPY || kind == SPARSE_CATEGORICAL_CROSSENTROPY) {
        const float s = row_sum(p, base, cols);
        if (kind == SPARSE_CATEGORICAL_CROSSENTROPY) {
            if (!valid_label(y[r], cols)) return NAN;
            return -log(clip_p(p[base + (int) y[r]] / s));
        }
        for (int j = 0; j < cols; j++) {
            const float t = y[base + j];
            if (t != 0.0f) l -= t * log(clip_p(p[base + j] / s));
        }
        return l;
    }
    for (int j = 0; j < cols; j++) {
        const float pj = p[base + j];
        const float t = y[base + j];
        if (kind == BINARY_CROSSENTROPY) {
            const float c = clip_p(pj);
            l -= t * log(c) + (1.0f - t) * log(1.0f - c);
        } else if (kind == MEAN_SQUARED_ERROR) {
            l += (pj - t) * (pj - t);
        } else {
            l += fabs(pj - t);
        }
    }
    return l / cols;
}

inline int argmax(__global const float* v, const int base, const int n) {
    int best = 0;
    for (int j = 1; j < n; j++) if (v[base + j] > v[base + best]) best = j;
    return best;
}

inline float sample_correct(const int kind, __global const float* p, __global const float* y,
                            const int r, const int cols) {
    const int base = r * cols;
    if (kind == ACC_CATEGORICAL) return argmax(p, base, cols) == argmax(y, base, cols) ? 1.0f : 0.0f;
    // compared as floats, as Keras does: a label of 1.5 or NaN matches no class (an int cast of NaN is undefined)
    if (kind == ACC_SPARSE_CATEGORICAL) return (float) argmax(p, base, cols) == y[r] ? 1.0f : 0.0f;
    if (kind == ACC_MEAN_ABSOLUTE_ERROR) {
        float e = 0.0f;
        for (int j = 0; j < cols; j++) e += fabs(p[base + j] - y[base + j]);
        return e / cols;
    }
    int agree = 0;
    for (int j = 0; j < cols; j++) agree += (p[base + j] > 0.5f) == (y[base + j] > 0.5f);
    return (float) agree / cols;
}

// Adds v into the accumulator pair (sum, carried error) at acc[slot], acc[slot + 1] with
// Knuth's TwoSum, exactly as clnet.backend.Backend.accumulate does on the host: counts stay
// exact far beyond float32's 2^24. The error is not carried once the sum is not finite.
inline void accumulate(__global float* acc, const int slot, const float v) {
    const float s = acc[slot];
    const float t = s + v;
    const float bp = t - s;
    const float err = (s - (t - bp)) + (v - bp);
    acc[slot] = t;
    if (isfinite(t)) acc[slot + 1] += err;
}

// Sums the partial values of a work-group into the accumulator at acc[slot]. Called by
// every work-item.
inline void reduce_into(__local float* part, float v, __global float* acc, const int slot) {
    const int lid = get_local_id(0);
    part[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RED_WG / 2; s > 0; s >>= 1) {
        if (lid < s) part[lid] += part[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) accumulate(acc, slot, part[0]);
}

// acc[slot] += sum over rows of the per-sample loss. One work-group of RED_WG items.
__kernel void loss_sum(const int kind, __global const float* p, __global const float* y,
                       const int rows, const int cols, __global float* acc, const int slot) {
    __local float part[RED_WG];
    float v = 0.0f;
    for (int r = get_local_id(0); r < rows; r += RED_WG) v += sample_loss(kind, p, y, r, cols);
    reduce_into(part, v, acc, slot);
}

// acc[slot] += number of correct predictions. One work-group of RED_WG items.
__kernel void count_correct(const int kind, __global const float* p, __global const float* y,
                            const int rows, const int cols, __global float* acc, const int slot) {
    __local float part[RED_WG];
    float v = 0.0f;
    for (int r = get_local_id(0); r < rows; r += RED_WG) v += sample_correct(kind, p, y, r, cols);
    reduce_into(part, v, acc, slot);
}

// g = scale * d(per-sample loss)/dp, one work-item per row (the cross-entropies need the
// row sum). For the cross-entropies, with q = p / S, S = sum p and h_j = dl/dq_j (zero
// where q_j is clipped): dl/dp_k = (h_k - sum_j h_j q_j) / S.
__kernel void loss_gradient(const int kind, __global const float* p, __global const float* y,
                            const float scale, __global float* g, const int rows, const int cols) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int base = r * cols;
    if (kind == CATEGORICAL_CROSSENTROPY || kind == SPARSE_CATEGORICAL_CROSSENTROPY) {
        const int sparse = kind == SPARSE_CATEGORICAL_CROSSENTROPY;
        const float s = row_sum(p, base, cols);
        float dot = 0.0f;
        for (int j = 0; j < cols; j++) {
            const float t = sparse ? ((int) y[r] == j ? 1.0f : 0.0f) : y[base + j];
            const float q = p[base + j] / s;
            const float h = (t != 0.0f && inside(q)) ? -t / q : 0.0f;
            g[base + j] = h;
            dot += h * q;
        }
        if (sparse && !valid_label(y[r], cols)) dot = NAN;
        for (int j = 0; j < cols; j++) g[base + j] = scale * (g[base + j] - dot) / s;
        return;
    }
    for (int j = 0; j < cols; j++) {
        const float pj = p[base + j];
        const float t = y[base + j];
        float d;
        if (kind == BINARY_CROSSENTROPY) {
            d = inside(pj) ? scale * (-t / pj + (1.0f - t) / (1.0f - pj)) / cols : (isnan(pj) ? NAN : 0.0f);
        } else if (kind == MEAN_SQUARED_ERROR) {
            d = scale * 2.0f * (pj - t) / cols;
        } else {
            d = scale * signum(pj - t) / cols;
        }
        g[base + j] = d;
    }
}

// dZ = scale * (p - y): cross-entropy taken through the softmax that made p. Global size
// (cols, rows).
__kernel void softmax_xent_gradient(__global const float* p, __global const float* y, const int sparse,
                                    const float scale, __global float* g, const int rows, const int cols) {
    const int j = get_global_id(0);
    const int r = get_global_id(1);
    if (j >= cols || r >= rows) return;
    const float t = sparse ? ((int) y[r] == j ? 1.0f : 0.0f) : y[r * cols + j];
    g[r * cols + j] = (sparse && !valid_label(y[r], cols)) ? NAN : scale * (p[r * cols + j] - t);
}

// Keras's L1/L2 weight penalty, in two launches (CPU twin: CpuBackend.doWeightPenalty).
// penalty_gradient: g += l1 * sign(w) + two_l2 * w, one work-item per weight.
__kernel void penalty_gradient(__global const float* w, __global float* g, const int n,
                               const float l1, const float two_l2) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float wi = w[i];
    g[i] += l1 * signum(wi) + two_l2 * wi;
}

// penalty_sum: acc[slot] += loss_weight * sum(l1 * |w| + l2 * w * w). One work-group.
__kernel void penalty_sum(__global const float* w, const int n, const float l1, const float l2,
                          const float loss_weight, __global float* acc, const int slot) {
    __local float part[RED_WG];
    float v = 0.0f;
    for (int i = get_local_id(0); i < n; i += RED_WG) {
        const float wi = w[i];
        v += l1 * fabs(wi) + l2 * wi * wi;
    }
    reduce_into(part, loss_weight * v, acc, slot);
}
