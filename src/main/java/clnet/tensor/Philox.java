package clnet.tensor;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
 * counter-based generator of dropout masks: each number is a pure function of a key and a
 * counter, so the CPU backend and every kernel compute the same mask bit for bit, in any
 * order, with no state to carry between threads. The kernel twin is {@code philox} in
 * {@code kernels-cl/elementwise.cl}.
 */
public final class Philox {
    private Philox() {
    }

    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    /** Ten rounds of Philox4x32 on {@code counter} (4 words) under {@code key} (2 words). */
    public static int[] philox4x32_10(int[] counter, int[] key) {
        int[] out = new int[4];
        rounds(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out);
        return out;
    }

    /**
     * The four uniform floats in [0, 1) of block {@code block} of stream {@code stream} under
     * {@code seed}, into {@code out}: element i of a tensor takes word i % 4 of block i / 4.
     * Each is a word's top 24 bits times 2^-24, exactly representable, so that the kernel
     * and Java compare it with a rate identically. The block number is the counter's first
     * two words (low, high).
     */
    public static void uniforms(long seed, long stream, long block, float[] out) {
        int[] w = new int[4]; // does not escape: the JIT keeps it in registers
        rounds((int) block, (int) (block >>> 32), (int) stream, (int) (stream >>> 32), (int) seed, (int) (seed >>> 32), w);
        for (int j = 0; j < 4; j++) {
            out[j] = (w[j] >>> 8) * 0x1p-24f;
        }
    }

    private static void rounds(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c0 = n0;
            c1 = (int) p1;
            c2 = n2;
            c3 = (int) p0;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }
}
