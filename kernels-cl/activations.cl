// Activations and their derivatives. The kind numbers (LINEAR, SIGMOID, ..., ARCTAN) are the
// ordinals of clnet.ops.Activation.Kind, defined before this file by the host
// (clnet.backend.opencl.KernelSet.enumDefines); alpha is leaky ReLU's negative slope.

// Java's Math.max, which the CPU backend uses: NaN if either operand is NaN. OpenCL's fmax
// returns the other operand instead, which would turn relu(NaN) into 0 and hide a
// diverged run (docs/ARCHITECTURE.md, "NaN and infinities").
// Like Math.max, it also takes +0 over -0.
inline float max_nan(const float a, const float b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == b) return signbit(a) ? b : a;
    return a > b ? a : b;
}

// tanh, exactly ±1 where the float result is ±1 anyway (|z| >= 9.1: 1 - tanh(9.1) < 2.6e-8,
// under half an ulp of 1), as Java's Math.tanh gives it. OpenCL allows tanh a few ulps of
// error, and some drivers return 1 - 2^-24 even for +Inf, which would turn the derivative
// 1 - a² at z = ±Inf from the CPU's 0 into a tiny positive number (and dA = Inf into Inf
// instead of NaN).
inline float tanh_exact(const float z) {
    return fabs(z) >= 9.1f ? copysign(1.0f, z) : tanh(z);
}

// 1 / (1 + e^-z), written so that neither branch overflows
inline float sigmoid(const float z) {
    if (z >= 0.0f) return 1.0f / (1.0f + exp(-z));
    const float e = exp(z);
    return e / (1.0f + e);
}

inline float activate(const int kind, const float alpha, const float v) {
    switch (kind) {
        case SIGMOID: return sigmoid(v);
        case TANH: return tanh_exact(v);
        case RELU: return max_nan(v, 0.0f);
        case LEAKY_RELU: return v > 0.0f ? v : alpha * v;
        case ARCTAN: return atan(v);
        default: return v;
    }
}

__kernel void activation_forward(const int kind, const float alpha, __global const float* z,
                                 __global float* a, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    a[i] = activate(kind, alpha, z[i]);
}

// A dense layer's epilogue in one pass: z += bias (kept for backward), a = f(z). Global size
// (cols, rows). CPU twin: CpuBackend.doBiasActivationForward.
__kernel void bias_activation_forward(const int kind, const float alpha, __global float* z,
                                      __global const float* bias, __global float* a, const int rows,
                                      const int cols) {
    const int j = get_global_id(0);
    const int r = get_global_id(1);
    if (j >= cols || r >= rows) return;
    const int i = r * cols + j;
    const float v = z[i] + bias[j];
    z[i] = v;
    a[i] = activate(kind, alpha, v);
}

// dZ = dA * f'(z); sigmoid and tanh use a = f(z), the others z. The derivative at 0 is
// taken as 0 for relu and as the slope for leaky relu, as TensorFlow does.
__kernel void activation_backward(const int kind, const float alpha, __global const float* z,
                                  __global const float* a, __global const float* dA,
                                  __global float* dZ, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float d = dA[i];
    float r;
    switch (kind) {
        case SIGMOID: r = d * a[i] * (1.0f - a[i]); break;
        case TANH: r = d * (1.0f - a[i] * a[i]); break;
        case RELU: r = z[i] > 0.0f ? d : 0.0f; break;
        case LEAKY_RELU: r = z[i] > 0.0f ? d : alpha * d; break;
        case ARCTAN: r = d / (1.0f + z[i] * z[i]); break;
        default: r = d; break;
    }
    dZ[i] = r;
}

// a = e^(z - max) / sum e^(z - max), one work-item per row: the max keeps exp from
// overflowing, and rows of a classifier's output are short.
__kernel void softmax_forward(__global const float* z, __global float* a, const int rows, const int cols) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int base = r * cols;
    float m = -INFINITY;
    for (int j = 0; j < cols; j++) m = max_nan(m, z[base + j]);
    float sum = 0.0f;
    for (int j = 0; j < cols; j++) {
        const float e = exp(z[base + j] - m);
        a[base + j] = e;
        sum += e;
    }
    const float inv = 1.0f / sum;
    for (int j = 0; j < cols; j++) a[base + j] *= inv;
}

// dZ = a * (dA - sum_j dA_j a_j), the softmax Jacobian applied row by row
__kernel void softmax_backward(__global const float* a, __global const float* dA, __global float* dZ,
                               const int rows, const int cols) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int base = r * cols;
    float dot = 0.0f;
    for (int j = 0; j < cols; j++) dot += dA[base + j] * a[base + j];
    for (int j = 0; j < cols; j++) dZ[base + j] = a[base + j] * (dA[base + j] - dot);
}
