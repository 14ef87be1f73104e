// The element-wise activations, shared by every program (clnet.backend.opencl.KernelSet puts
// this file before each kernel file): activations.cl applies them on their own, gemm.cl in
// the epilogue of a dense layer's product. The kind numbers (LINEAR, SIGMOID, ..., ARCTAN)
// are the ordinals of clnet.ops.Activation.Kind, defined before this file by the host
// (KernelSet.enumDefines); alpha is leaky ReLU's negative slope.

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
