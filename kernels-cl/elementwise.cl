// Element-wise ops and copies. Every buffer is a row-major matrix starting at offset 0;
// n is its number of elements. One work-item per element; the global size is exactly n.

__kernel void fill(__global float* t, const int n, const float value) {
    const int i = get_global_id(0);
    if (i < n) t[i] = value;
}

__kernel void copy(__global const float* src, __global float* dst, const int n) {
    const int i = get_global_id(0);
    if (i < n) dst[i] = src[i];
}

// y += alpha * x
__kernel void axpy(const int n, const float alpha, __global const float* x, __global float* y) {
    const int i = get_global_id(0);
    if (i < n) y[i] += alpha * x[i];
}

// z[r, j] += bias[j]; global size (cols, rows)
__kernel void add_row_vector(__global float* z, __global const float* bias, const int rows, const int cols) {
    const int j = get_global_id(0);
    const int r = get_global_id(1);
    if (j < cols && r < rows) z[r * cols + j] += bias[j];
}

// y[r, j] = x[r, j] * scale[j] + shift[j]; global size (cols, rows). CPU twin:
// CpuBackend.doScaleColumns (Keras's Normalization: scale 1/sigma, shift -mu/sigma).
__kernel void scale_columns(__global const float* x, __global const float* scale,
                            __global const float* shift, __global float* y, const int rows,
                            const int cols) {
    const int j = get_global_id(0);
    const int r = get_global_id(1);
    if (j < cols && r < rows) y[r * cols + j] = x[r * cols + j] * scale[j] + shift[j];
}

// One tap of the bilinear sample: the pixel, or outside the image cval (constant fill) or the
// nearest edge pixel.
inline float warp_tap(__global const float* img, int r, int c, const int ch, const int h, const int w,
                      const int channels, const int constant_fill, const float cval) {
    if (r < 0 || r >= h || c < 0 || c >= w) {
        if (constant_fill) return cval;
        r = clamp(r, 0, h - 1);
        c = clamp(c, 0, w - 1);
    }
    return img[(r * w + c) * channels + ch];
}

// y[i] = image i of x warped by its affine map (Keras's ImageDataGenerator): output pixel
// (r, c) samples x bilinearly at (a00 r + a01 c + o0, a10 r + a11 c + o1), the six numbers
// of row i of m. Global size (width * channels, height, images). CPU twin:
// CpuBackend.doAffineWarp, the same expressions.
__kernel void affine_warp(__global const float* x, __global const float* m, __global float* y, const int h,
                          const int w, const int channels, const int constant_fill, const float cval) {
    const int cc = get_global_id(0);
    const int r = get_global_id(1);
    const int i = get_global_id(2);
    if (cc >= w * channels || r >= h) return;
    const int c = cc / channels;
    const int ch = cc % channels;
    __global const float* a = m + i * 6;
    __global const float* img = x + (long) i * h * w * channels;
    const float sr = a[0] * (float) r + a[1] * (float) c + a[4];
    const float sc = a[2] * (float) r + a[3] * (float) c + a[5];
    const float fr0 = floor(sr);
    const float fc0 = floor(sc);
    const float dr = sr - fr0;
    const float dc = sc - fc0;
    const int r0 = (int) fr0;
    const int c0 = (int) fc0;
    const float v00 = warp_tap(img, r0, c0, ch, h, w, channels, constant_fill, cval);
    const float v01 = warp_tap(img, r0, c0 + 1, ch, h, w, channels, constant_fill, cval);
    const float v10 = warp_tap(img, r0 + 1, c0, ch, h, w, channels, constant_fill, cval);
    const float v11 = warp_tap(img, r0 + 1, c0 + 1, ch, h, w, channels, constant_fill, cval);
    const float top = v00 * (1.0f - dc) + v01 * dc;
    const float bottom = v10 * (1.0f - dc) + v11 * dc;
    y[(long) i * h * w * channels + (r * w + c) * channels + ch] = top * (1.0f - dr) + bottom * dr;
}

// dst[r, :] = src[order[start + r], :]; global size (cols, rows). The host checked the
// range of start; an index outside [0, srcRows) makes the row NaN (as in the CPU backend)
// rather than reading out of bounds or leaving stale data.
__kernel void gather_rows(__global const float* src, const int srcRows, __global const int* order,
                          const int start, __global float* dst, const int rows, const int cols) {
    const int j = get_global_id(0);
    const int r = get_global_id(1);
    if (j >= cols || r >= rows) return;
    const int from = order[start + r];
    dst[r * cols + j] = (from >= 0 && from < srcRows) ? src[from * cols + j] : NAN;
}

// out[j] = alpha * sum_r x[r, j]: bias gradients. One work-item per column, summing down
// the rows in order, so neighbouring work-items read neighbouring addresses.
__kernel void sum_rows(const float alpha, __global const float* x, __global float* out,
                       const int rows, const int cols) {
    const int j = get_global_id(0);
    if (j >= cols) return;
    float s = 0.0f;
    for (int r = 0; r < rows; r++) s += x[r * cols + j];
    out[j] = alpha * s;
}

// dst = srcᵀ, src being rows x cols. Each work-item moves one TILE x TILE block, so that
// both its reads and its writes stay within TILE cache lines; global size
// (ceil(cols / TILE), ceil(rows / TILE)). The host sets TILE.
#ifndef TILE
#define TILE 16
#endif
__kernel void transpose(__global const float* src, __global float* dst, const int rows, const int cols) {
    const int j0 = get_global_id(0) * TILE;
    const int r0 = get_global_id(1) * TILE;
    const int r1 = min(r0 + TILE, rows);
    const int j1 = min(j0 + TILE, cols);
    for (int j = j0; j < j1; j++) {
        for (int r = r0; r < r1; r++) dst[j * rows + r] = src[r * cols + j];
    }
}

// Philox4x32-10 (Salmon et al., SC 2011): ten rounds on a 4-word counter under a 2-word key.
// The Java twin is clnet.tensor.Philox; both give Random123's known answers.
inline uint4 philox(uint4 c, uint2 k) {
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k.x += 0x9E3779B9u;
            k.y += 0xBB67AE85u;
        }
        const uint hi0 = mul_hi(0xD2511F53u, c.x);
        const uint lo0 = 0xD2511F53u * c.x;
        const uint hi1 = mul_hi(0xCD9E8D57u, c.z);
        const uint lo1 = 0xCD9E8D57u * c.z;
        c = (uint4) (hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

// Inverted dropout: y = x * scale where the element's uniform is >= rate, else 0 (a select:
// a dropped NaN is 0). Element i is element g = offset + i of the step's whole batch (a
// device may hold a row block of it) and takes word g % 4 of Philox block g / 4 of (seed,
// stream); a uniform is a word's top 24 bits times 2^-24, exact in float, so the comparison
// is the CPU backend's. One work-item per block of four that [offset, offset + n) touches.
__kernel void dropout(__global const float* x, __global float* y, const int n, const float rate, const float scale,
                      const int seed_lo, const int seed_hi, const int stream_lo, const int stream_hi,
                      const int offset_lo, const int offset_hi) {
    const ulong offset = ((ulong) (uint) offset_hi << 32) | (uint) offset_lo;
    const ulong block = offset / 4 + get_global_id(0);
    const long first = (long) (4 * block) - (long) offset; // index in x of the block's word 0
    if (first >= n) return;
    const uint4 r = philox((uint4) ((uint) block, (uint) (block >> 32), (uint) stream_lo, (uint) stream_hi),
                           (uint2) ((uint) seed_lo, (uint) seed_hi));
    // written out, not looped over an array: PoCL keeps such arrays in memory
    if (first >= 0) y[first] = (float) (r.x >> 8) * 0x1.0p-24f >= rate ? x[first] * scale : 0.0f;
    if (first + 1 >= 0 && first + 1 < n) y[first + 1] = (float) (r.y >> 8) * 0x1.0p-24f >= rate ? x[first + 1] * scale : 0.0f;
    if (first + 2 >= 0 && first + 2 < n) y[first + 2] = (float) (r.z >> 8) * 0x1.0p-24f >= rate ? x[first + 2] * scale : 0.0f;
    if (first + 3 < n) y[first + 3] = (float) (r.w >> 8) * 0x1.0p-24f >= rate ? x[first + 3] * scale : 0.0f;
}
