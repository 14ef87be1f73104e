// Activations and their derivatives (the functions themselves are in activate.h, which the
// host puts before this file). The kind numbers (LINEAR, SIGMOID, ..., ARCTAN) are the
// ordinals of clnet.ops.Activation.Kind, defined before this file by the host
// (clnet.backend.opencl.KernelSet.enumDefines); alpha is leaky ReLU's negative slope.

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
