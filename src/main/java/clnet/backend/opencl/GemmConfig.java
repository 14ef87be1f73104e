package clnet.backend.opencl;

import java.util.Locale;

/**
 * The tile sizes of {@code kernels-cl/gemm.cl}: each work-group computes a tsm x tsn tile of
 * C, staging slices of tsk along K in local memory, and each work-item a wptm x wptn block
 * of it. The work-group is therefore (tsn / wptn) x (tsm / wptm) work-items.
 */
public record GemmConfig(int tsm, int tsn, int tsk, int wptm, int wptn) {

    public GemmConfig {
        if (tsm % wptm != 0 || tsn % wptn != 0 || tsm <= 0 || tsn <= 0 || tsk <= 0) {
            throw new IllegalArgumentException("bad GEMM tiles " + this);
        }
    }

    /** Defaults by device: GPUs want wide work-groups, CPU runtimes fewer, fatter work-items. */
    public static GemmConfig forDevice(ClDevice device) {
        GemmConfig c = new GemmConfig(64, 64, 16, 4, 4);
        while (c.workGroupSize() > device.maxWorkGroupSize() && c.wptn < c.tsn) {
            c = new GemmConfig(c.tsm, c.tsn, c.tsk, c.wptm * 2, c.wptn * 2);
        }
        return c;
    }

    public int workGroupSize() {
        return (tsm / wptm) * (tsn / wptn);
    }

    /** The work-group: (columns, rows) of work-items. */
    public long[] local() {
        return new long[] {tsn / wptn, tsm / wptm};
    }

    /** The NDRange for an m x n result: whole tiles covering it. */
    public long[] global(int m, int n) {
        long tilesN = (n + tsn - 1) / tsn;
        long tilesM = (m + tsm - 1) / tsm;
        return new long[] {tilesN * (tsn / wptn), tilesM * (tsm / wptm)};
    }

    /** The -D options that set these tiles in gemm.cl. */
    public String defines() {
        return String.format(Locale.ROOT, "-DTSM=%d -DTSN=%d -DTSK=%d -DWPTM=%d -DWPTN=%d", tsm, tsn, tsk, wptm, wptn);
    }
}
