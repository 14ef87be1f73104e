package clnet.backend;

import clnet.ops.Accuracy;
import clnet.ops.Loss;

/**
 * The shape rules of the {@link Backend} ops, checked on the host before an op runs, so
 * that both backends refuse the same calls with the same messages.
 */
public final class ShapeChecks {
    private ShapeChecks() {
    }

    public static void sameShape(String op, Tensor a, Tensor b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException(op + ": shapes differ: " + a.shape() + " and " + b.shape());
        }
    }

    public static void sameSize(String op, Tensor a, Tensor b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": sizes differ: " + a.shape() + " and " + b.shape());
        }
    }

    public static void rowVector(String op, Tensor v, int cols) {
        if (v.rows() != 1 || v.cols() != cols) {
            throw new IllegalArgumentException(op + ": expected a (1, " + cols + ") row vector, got " + v.shape());
        }
    }

    public static void slot(Tensor acc, int slot) {
        if (slot < 0 || slot >= acc.size()) {
            throw new IllegalArgumentException("accumulator slot " + slot + " of " + acc.shape());
        }
    }

    public static void target(Loss loss, Tensor p, Tensor y) {
        int want = loss.targetColumns(p.cols());
        if (y.rows() != p.rows() || y.cols() != want) {
            throw new IllegalArgumentException(loss.id() + ": predictions " + p.shape()
                    + " need targets (" + p.rows() + ", " + want + "), got " + y.shape());
        }
    }

    public static void target(Accuracy accuracy, Tensor p, Tensor y) {
        int want = accuracy == Accuracy.SPARSE_CATEGORICAL ? 1 : p.cols();
        if (y.rows() != p.rows() || y.cols() != want) {
            throw new IllegalArgumentException("accuracy: predictions " + p.shape()
                    + " need targets (" + p.rows() + ", " + want + "), got " + y.shape());
        }
    }

    public static void gather(Tensor src, Tensor indices, int start, Tensor dst) {
        if (src.cols() != dst.cols() || indices.dtype() != DType.INT32) {
            throw new IllegalArgumentException("gatherRows: " + src.shape() + " into " + dst.shape()
                    + " by " + indices);
        }
        if (start < 0 || start + dst.rows() > indices.size()) {
            throw new IllegalArgumentException("gatherRows: rows " + start + ".." + (start + dst.rows())
                    + " of " + indices.size() + " indices");
        }
    }

    /** The sizes of C = op(A) op(B): C is m x n, and the product sums over k. */
    public record GemmShape(int m, int n, int k) {
    }

    /** Checks C = op(A) op(B) and returns its sizes. */
    public static GemmShape gemm(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: " + (transA ? "T" : "N") + (transB ? "T" : "N")
                    + " of " + a.shape() + " and " + b.shape() + " into " + c.shape());
        }
        return new GemmShape(m, n, k);
    }

    public static void length(int length, Tensor t) {
        if (length < t.size()) {
            throw new IllegalArgumentException("array of " + length + " values for a tensor " + t.shape());
        }
    }
}
