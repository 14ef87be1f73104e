package clnet.data;

import clnet.tensor.Shape;
import java.util.Arrays;

/**
 * The contents of an unsigned-byte IDX file: its dimensions and its bytes, in file
 * (row-major) order.
 *
 * <p>The first dimension counts items (images, labels); the others describe one
 * item. For MNIST training images the dims are (60000, 28, 28): 60000 items of
 * 784 bytes each. The bytes are unsigned: read them with {@link #unsigned(int)} or
 * {@code data()[i] & 0xFF}.
 */
public final class IdxArray {
    /** IDX allows at most this many dimensions (the rank is one byte; clnet caps it lower). */
    public static final int MAX_RANK = 8;

    private final Shape shape;
    private final byte[] data;

    /**
     * Wraps {@code data} (not copied) with the given dimensions.
     *
     * @throws IllegalArgumentException if the rank is not 1..{@value #MAX_RANK}, a
     *         dimension is negative, or {@code data.length} is not the product of the dims
     */
    public IdxArray(int[] dims, byte[] data) {
        if (dims.length < 1 || dims.length > MAX_RANK) {
            throw new IllegalArgumentException("an IDX array needs 1 to " + MAX_RANK
                    + " dimensions, got " + dims.length);
        }
        this.shape = Shape.of(dims);
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("dims " + Arrays.toString(dims) + " need " + shape.size()
                    + " bytes, got " + data.length);
        }
        this.data = data;
    }

    /** The dimensions, outermost first (a copy). */
    public int[] dims() {
        return shape.dims();
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.rank();
    }

    /** The bytes, row-major; not a copy. Values are unsigned: mask with {@code 0xFF}. */
    public byte[] data() {
        return data;
    }

    /** The number of items: the first dimension. */
    public int count() {
        return shape.rows();
    }

    /** Bytes per item: the product of all dimensions but the first (1 for rank 1). */
    public int itemSize() {
        return shape.cols();
    }

    /** Byte {@code index} of the data as a value in 0..255. */
    public int unsigned(int index) {
        return data[index] & 0xFF;
    }

    /** The first {@code n} items, copied. */
    public IdxArray head(int n) {
        if (n < 0 || n > count()) {
            throw new IndexOutOfBoundsException("first " + n + " items of " + count());
        }
        return new IdxArray(shape.withRows(n).dims(), Arrays.copyOf(data, n * itemSize()));
    }

    /** The dims as IDX tools print them: {@code 60000 x 28 x 28}. */
    public static String describe(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(" x ");
            }
            sb.append(dims[i]);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "IdxArray(" + describe(shape.dims()) + ")";
    }
}
