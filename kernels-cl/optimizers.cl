// Optimizer updates, one work-item per weight, as Keras defines them (see the Java
// classes in clnet.optim). Where a state buffer is unused (has_v or has_mom 0), the host
// passes another buffer in its place, which is never touched.

__kernel void sgd_step(__global float* w, __global const float* g, __global float* v, const int n,
                       const float lr, const float momentum, const int nesterov, const int has_v) {
    const int i = get_global_id(0);
    if (i >= n) return;
    if (!has_v) {
        w[i] -= lr * g[i];
        return;
    }
    const float vi = momentum * v[i] - lr * g[i];
    v[i] = vi;
    w[i] += nesterov ? momentum * vi - lr * g[i] : vi;
}

__kernel void rmsprop_step(__global float* w, __global const float* g, __global float* v,
                           __global float* mom, const int n, const float lr, const float rho,
                           const float momentum, const float eps, const int has_mom) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float gi = g[i];
    const float vi = rho * v[i] + (1.0f - rho) * gi * gi;
    v[i] = vi;
    float inc = lr * gi / sqrt(vi + eps);
    if (has_mom) {
        inc = momentum * mom[i] + inc;
        mom[i] = inc;
    }
    w[i] -= inc;
}

__kernel void adam_step(__global float* w, __global const float* g, __global float* m, __global float* v,
                        const int n, const float alpha, const float beta1, const float beta2,
                        const float eps) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * (1.0f - beta1);
    const float vi = v[i] + (gi * gi - v[i]) * (1.0f - beta2);
    m[i] = mi;
    v[i] = vi;
    w[i] -= alpha * mi / (sqrt(vi) + eps);
}
