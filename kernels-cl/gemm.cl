// C = alpha * op(A) * op(B) + beta * C for row-major matrices, op(X) = X or its transpose.
// C is M x N, op(A) is M x K, op(B) is K x N. With beta == 0, C is not read (BLAS rule).
//
// Two implementations share this file, chosen by the host (GemmConfig.defines()):
//   - the default, for GPUs: work-groups stage tiles of A and B in local memory;
//   - GEMM_CPU, for CPU runtimes such as PoCL: no local memory, no barriers, explicit
//     vector types. A CPU runs a work-group's work-items one after another in a loop, so
//     a barrier buys nothing there (caches already share the data) and makes the compiler
//     keep every work-item's accumulators in memory across it; and vectorizing across
//     work-items, which is how CPU runtimes map OpenCL's parallelism onto SIMD lanes, does
//     not happen to a work-item that loops over K. So each work-item computes a whole
//     TM x TN block of C on its own, its vectors are the SIMD registers, and a work-group
//     is that one work-item.
// The GPU part has four kernels, gemm_nn, gemm_nt, gemm_tn and gemm_tt (gemm_XY: X is the
// storage of A, Y of B: n as given, t transposed); the CPU part gemm_nn and gemm_tn. All
// take the same arguments.
//
// Both parts also have dense_forward, a dense layer's forward pass in one launch: the NN
// product with the layer's epilogue, Z = A B + bias (kept for the backward pass) and
// Y = f(Z) for an element-wise activation f (activate.h; the CPU part computes relu and
// linear on whole vectors itself, to the same values), stored from the registers. It adds
// the bias to the same float the plain product would have stored, so Z and Y are bit for bit
// those of gemm_nn followed by bias_activation_forward. CPU twin: CpuBackend.doDenseForward.

#ifdef GEMM_CPU

// ---------------------------------------------------------------------------------- CPU
//
// A work-item computes rows [m0, m0 + TM) and columns [n0, n0 + TN) of C, where
// m0 = get_global_id(0) * TM and n0 = get_global_id(1) * TN. Dimension 0 runs over rows so
// that the work-groups a core takes one after another share one panel of op(B), which
// then stays in that core's cache while the rows of A stream past it.
//
// The block is a sum of outer products: for each k, in order, TM values of op(A) (each
// broadcast to all lanes) times NV vectors of B's row k, into TM x NV vector accumulators
// (the register-blocked micro-kernel of CPU BLAS libraries). Only NN and TN exist here:
// the host turns NT and TT into them by transposing B first (a cheap pass over a weight
// matrix), so that every product sums along k in order, as the CPU backend and the GPU
// kernel do. An NT kernel that summed dot products across vector lanes was as fast, but
// its results depended on the vector width: five MNIST epochs (seed 42) ended between
// 97.96 and 98.28 % test accuracy with it, where every configuration now gives the CPU
// backend's 97.96 %.
// Rows past M are read from the last valid row instead, so that the inner loop needs no
// bounds checks; their results are never stored. Only the vector loads along n need
// masking at the right edge.
//
// Every loop over TM, NV or VW is unrolled (#pragma unroll) so that the
// accumulator arrays become registers: left as loops, PoCL kept them on the stack, and the
// micro-kernel ran at a quarter of the speed.
//
// The host sets VW (floats per SIMD vector: the device's preferred width), TM and NV
// (TN = NV * VW) with -D; these defaults suit AVX-512.

#ifndef VW
#define VW 16
#endif
#ifndef TM
#define TM 12
#endif
#ifndef NV
#define NV 2
#endif
#define TN (NV * VW)

#if VW == 16
typedef float16 floatv;
#define VLOAD vload16
#define VSTORE vstore16
#elif VW == 8
typedef float8 floatv;
#define VLOAD vload8
#define VSTORE vstore8
#elif VW == 4
typedef float4 floatv;
#define VLOAD vload4
#define VSTORE vstore4
#else
#error "VW must be 4, 8 or 16"
#endif

// C[m, n] = alpha * acc + beta * C[m, n], reading C only when beta is not 0.
inline void store1(__global float* C, const int idx, const float acc, const float alpha, const float beta) {
    C[idx] = beta == 0.0f ? alpha * acc : alpha * acc + beta * C[idx];
}

// VW floats of a row from p, of which only `valid` exist (the rest read as 0).
inline floatv load_masked(__global const float* p, const int valid) {
    if (valid >= VW) {
        return VLOAD(0, p);
    }
    float tmp[VW];
    #pragma unroll
    for (int i = 0; i < VW; i++) {
        tmp[i] = i < valid ? p[i] : 0.0f;
    }
    return VLOAD(0, tmp);
}

// NN and TN: outer products, vectors along n. `edge` is a literal at both call sites, so
// the interior work-items get a copy of this function with no masking at all.
// With `dense` (a literal too), the store is dense_forward's epilogue: C is Z, Y gets f(Z).
inline __attribute__((always_inline))
void outer_block(const int transA, const int edge, const int M, const int N, const int K, const float alpha,
                 __global const float* A, __global const float* B, const float beta, __global float* C,
                 const int m0, const int n0, const int dense, __global const float* bias, const int kind,
                 const float slope, __global float* Y) {
    // Where row i of the block starts, and how far to step per k, for either layout of A.
    int aoff[TM];
    #pragma unroll
    for (int i = 0; i < TM; i++) {
        const int m = min(m0 + i, M - 1);
        aoff[i] = transA ? m : m * K;
    }
    const int astep = transA ? M : 1;

    floatv acc[TM][NV];
    #pragma unroll
    for (int i = 0; i < TM; i++)
        #pragma unroll
        for (int v = 0; v < NV; v++) acc[i][v] = (floatv)(0.0f);

    __global const float* brow = B + n0;
    for (int k = 0; k < K; k++, brow += N) {
        floatv b[NV];
        #pragma unroll
        for (int v = 0; v < NV; v++) {
            b[v] = edge ? load_masked(brow + v * VW, N - n0 - v * VW) : VLOAD(0, brow + v * VW);
        }
        #pragma unroll
        for (int i = 0; i < TM; i++) {
            const floatv a = (floatv)(A[aoff[i] + k * astep]);
            #pragma unroll
            for (int v = 0; v < NV; v++) acc[i][v] = fma(a, b[v], acc[i][v]);
        }
    }

    floatv bv[NV]; // dense_forward's bias, this block's columns
    #pragma unroll
    for (int v = 0; v < NV; v++) {
        bv[v] = !dense ? (floatv)(0.0f)
                : edge ? load_masked(bias + n0 + v * VW, N - n0 - v * VW) : VLOAD(0, bias + n0 + v * VW);
    }
    #pragma unroll
    for (int i = 0; i < TM; i++) {
        const int m = m0 + i;
        if (m >= M) break;
        #pragma unroll
        for (int v = 0; v < NV; v++) {
            const int n = n0 + v * VW;
            __global float* c = C + m * N + n;
            const int whole = !edge || n + VW <= N;
            if (dense) {
                const floatv zv = acc[i][v] + bv[v];
                if (whole && (kind == RELU || kind == LINEAR)) {
                    // whole vectors: relu as max_nan(z, 0) is, z <= 0 (-0 included) to +0, NaN kept
                    VSTORE(zv, 0, c);
                    VSTORE(kind == LINEAR ? zv : select(zv, (floatv)(0.0f), zv <= (floatv)(0.0f)), 0, Y + m * N + n);
                } else {
                    float z[VW];
                    VSTORE(zv, 0, z);
                    #pragma unroll
                    for (int l = 0; l < VW; l++) {
                        if (!edge || n + l < N) {
                            c[l] = z[l];
                            Y[m * N + n + l] = activate(kind, slope, z[l]);
                        }
                    }
                }
            } else if (whole) {
                const floatv r = alpha * acc[i][v];
                VSTORE(beta == 0.0f ? r : r + beta * VLOAD(0, c), 0, c);
            } else {
                float tmp[VW];
                VSTORE(acc[i][v], 0, tmp);
                #pragma unroll
                for (int l = 0; l < VW && n + l < N; l++) store1(c, l, tmp[l], alpha, beta);
            }
        }
    }
}

#define GEMM_KERNEL(name, body)                                                                 \
__kernel void name(const int M, const int N, const int K, const float alpha, __global const float* A, \
                   __global const float* B, const float beta, __global float* C) {              \
    const int m0 = get_global_id(0) * TM;                                                       \
    const int n0 = get_global_id(1) * TN;                                                       \
    if (m0 >= M || n0 >= N) return; /* only if the host launched more blocks than C has */     \
    body                                                                                        \
}

GEMM_KERNEL(gemm_nn,
    if (n0 + TN <= N) outer_block(0, 0, M, N, K, alpha, A, B, beta, C, m0, n0, 0, 0, 0, 0.0f, 0);
    else outer_block(0, 1, M, N, K, alpha, A, B, beta, C, m0, n0, 0, 0, 0, 0.0f, 0);)
GEMM_KERNEL(gemm_tn,
    if (n0 + TN <= N) outer_block(1, 0, M, N, K, alpha, A, B, beta, C, m0, n0, 0, 0, 0, 0.0f, 0);
    else outer_block(1, 1, M, N, K, alpha, A, B, beta, C, m0, n0, 0, 0, 0, 0.0f, 0);)

// Z = A B + bias, Y = f(Z): A is M x K (x), B is K x N (the kernel), bias 1 x N.
__kernel void dense_forward(const int M, const int N, const int K, __global const float* A,
                            __global const float* B, __global const float* bias, const int kind,
                            const float slope, __global float* Z, __global float* Y) {
    const int m0 = get_global_id(0) * TM;
    const int n0 = get_global_id(1) * TN;
    if (m0 >= M || n0 >= N) return;
    if (n0 + TN <= N) outer_block(0, 0, M, N, K, 1.0f, A, B, 0.0f, Z, m0, n0, 1, bias, kind, slope, Y);
    else outer_block(0, 1, M, N, K, 1.0f, A, B, 0.0f, Z, m0, n0, 1, bias, kind, slope, Y);
}

#else

// ---------------------------------------------------------------------------------- GPU
//
// Each work-group computes a TSM x TSN tile of C, stepping through K in slices of TSK
// that the group stages in local memory; each work-item keeps WPTM x WPTN results in
// registers. A work-item's outputs are strided by the work-group's extent (RTSM rows,
// RTSN columns apart), so neighbouring work-items touch neighbouring addresses when they
// store C and read local memory without bank conflicts. Tiles that overhang M, N or K are
// zero-padded when loaded and masked when stored, so any size works.
//
// The host sets the tile sizes with -D; these defaults suit GPUs.
#ifndef TSM
#define TSM 64
#endif
#ifndef TSN
#define TSN 64
#endif
#ifndef TSK
#define TSK 16
#endif
#ifndef WPTM
#define WPTM 4
#endif
#ifndef WPTN
#define WPTN 4
#endif
#define RTSM (TSM / WPTM)
#define RTSN (TSN / WPTN)
#define THREADS (RTSM * RTSN)

// The element (m, k) of op(A) and (k, n) of op(B), for either storage order. The
// transpose flags are literal constants at each call, so the compiler drops the branch.
#define A_AT(m, k) (transA ? A[(k) * M + (m)] : A[(m) * K + (k)])
#define B_AT(k, n) (transB ? B[(n) * K + (k)] : B[(k) * N + (n)])

// With `dense` (a literal at each call), the store is dense_forward's epilogue: C is Z, Y gets f(Z).
inline void gemm_tile(const int transA, const int transB, const int M, const int N, const int K,
                      const float alpha, __global const float* A, __global const float* B,
                      const float beta, __global float* C,
                      __local float Asub[TSK][TSM], __local float Bsub[TSK][TSN],
                      const int dense, __global const float* bias, const int kind, const float slope,
                      __global float* Y) {
    const int tx = get_local_id(0);           // column within the work-group
    const int ty = get_local_id(1);           // row within the work-group
    const int tid = ty * RTSN + tx;
    const int row0 = get_group_id(1) * TSM;
    const int col0 = get_group_id(0) * TSN;

    float acc[WPTM][WPTN];
    for (int wm = 0; wm < WPTM; wm++)
        for (int wn = 0; wn < WPTN; wn++) acc[wm][wn] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += TSK) {
        // Stage the slices. The loop order per layout makes consecutive work-items read
        // consecutive global addresses.
        for (int l = tid; l < TSK * TSM; l += THREADS) {
            const int kk = transA ? l / TSM : l % TSK;
            const int mm = transA ? l % TSM : l / TSK;
            const int m = row0 + mm;
            const int k = k0 + kk;
            Asub[kk][mm] = (m < M && k < K) ? A_AT(m, k) : 0.0f;
        }
        for (int l = tid; l < TSK * TSN; l += THREADS) {
            const int kk = transB ? l % TSK : l / TSN;
            const int nn = transB ? l / TSK : l % TSN;
            const int n = col0 + nn;
            const int k = k0 + kk;
            Bsub[kk][nn] = (n < N && k < K) ? B_AT(k, n) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        for (int kk = 0; kk < TSK; kk++) {
            float breg[WPTN];
            for (int wn = 0; wn < WPTN; wn++) breg[wn] = Bsub[kk][tx + wn * RTSN];
            for (int wm = 0; wm < WPTM; wm++) {
                const float a = Asub[kk][ty + wm * RTSM];
                for (int wn = 0; wn < WPTN; wn++) acc[wm][wn] += a * breg[wn];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int wm = 0; wm < WPTM; wm++) {
        const int m = row0 + ty + wm * RTSM;
        if (m >= M) continue;
        for (int wn = 0; wn < WPTN; wn++) {
            const int n = col0 + tx + wn * RTSN;
            if (n >= N) continue;
            if (dense) {
                const float z = acc[wm][wn] + bias[n];
                C[m * N + n] = z;
                Y[m * N + n] = activate(kind, slope, z);
                continue;
            }
            const float prior = beta == 0.0f ? 0.0f : beta * C[m * N + n];
            C[m * N + n] = alpha * acc[wm][wn] + prior;
        }
    }
}

#define GEMM_KERNEL(name, ta, tb)                                                            \
__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))                                \
void name(const int M, const int N, const int K, const float alpha, __global const float* A,  \
          __global const float* B, const float beta, __global float* C) {                      \
    __local float Asub[TSK][TSM];                                                             \
    __local float Bsub[TSK][TSN];                                                             \
    gemm_tile(ta, tb, M, N, K, alpha, A, B, beta, C, Asub, Bsub, 0, 0, 0, 0.0f, 0);            \
}

GEMM_KERNEL(gemm_nn, 0, 0)
GEMM_KERNEL(gemm_nt, 0, 1)
GEMM_KERNEL(gemm_tn, 1, 0)
GEMM_KERNEL(gemm_tt, 1, 1)

// Z = A B + bias, Y = f(Z): A is M x K (x), B is K x N (the kernel), bias 1 x N.
__kernel __attribute__((reqd_work_group_size(RTSN, RTSM, 1)))
void dense_forward(const int M, const int N, const int K, __global const float* A, __global const float* B,
                   __global const float* bias, const int kind, const float slope, __global float* Z,
                   __global float* Y) {
    __local float Asub[TSK][TSM];
    __local float Bsub[TSK][TSN];
    gemm_tile(0, 0, M, N, K, 1.0f, A, B, 0.0f, Z, Asub, Bsub, 1, bias, kind, slope, Y);
}

#endif
