package clnet.backend;

import clnet.tensor.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Tensors laid out one after another in one buffer ({@link Backend#allocGroup}): each part
 * is an ordinary tensor for every op, and {@link #whole()} is all of them as one row, for
 * the element-wise ops that can run over every part at once (fill, copy, axpy, upload,
 * download, the optimizer steps). A model keeps its weights, their gradients and each
 * optimizer slot in groups of one layout, so an optimizer updates every parameter in one
 * op, one kernel launch, instead of one per parameter.
 *
 * <p>Parts start at multiples of the layout's alignment (an OpenCL device places a
 * sub-buffer only at its base address alignment). The padding between them belongs to no
 * part: it is zero when the group is allocated, what the whole's ops write there is never
 * read through a part, and both backends write it alike (a validating run compares wholes).
 * Parts are views of the whole: closing a part frees nothing, closing the whole closes
 * every part.
 *
 * @param whole the parts and their padding, a (1, {@code layout.size()}) tensor
 * @param parts one tensor per shape of the layout, in its order
 */
public record TensorGroup(Tensor whole, List<Tensor> parts) {
    public TensorGroup {
        parts = List.copyOf(parts);
    }

    public Layout layout() {
        return whole.groupLayout();
    }

    /**
     * Where each part of a group lies in its whole: part i holds {@code shapes.get(i).size()}
     * elements from {@code offsets.get(i)}, a multiple of {@code alignment}.
     */
    public record Layout(List<Shape> shapes, List<Integer> offsets, int alignment, int size) {
        public Layout {
            shapes = List.copyOf(shapes);
            offsets = List.copyOf(offsets);
        }

        /**
         * Parts one after another, each at the next multiple of {@code alignment}; refused
         * (before anything is allocated) without parts, with an empty part, or beyond 2^31 - 1
         * elements in all.
         */
        public static Layout of(List<Shape> shapes, int alignment) {
            if (shapes.isEmpty()) {
                throw new IllegalArgumentException("allocGroup: no parts");
            }
            if (alignment < 1) {
                throw new IllegalArgumentException("allocGroup: alignment " + alignment + " must be positive");
            }
            for (int i = 0; i < shapes.size(); i++) {
                if (shapes.get(i).size() == 0) {
                    throw new IllegalArgumentException("allocGroup: part " + i + " " + shapes.get(i)
                            + " has no elements");
                }
            }
            long[] starts = starts(shapes, alignment);
            long size = starts[shapes.size()];
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("allocGroup: " + shapes.size() + " parts need " + size
                        + " elements, more than one tensor holds (2^31 - 1)");
            }
            List<Integer> offsets = new ArrayList<>();
            for (int i = 0; i < shapes.size(); i++) {
                offsets.add((int) starts[i]);
            }
            return new Layout(shapes, offsets, alignment, (int) size);
        }

        /** The elements a group of {@code shapes} at {@code alignment} (positive) takes, padding included. */
        public static long elements(List<Shape> shapes, int alignment) {
            return starts(shapes, alignment)[shapes.size()];
        }

        /** Where each part starts, each at the next multiple of {@code alignment}, then where the last ends. */
        private static long[] starts(List<Shape> shapes, int alignment) {
            long[] starts = new long[shapes.size() + 1];
            long next = 0;
            for (int i = 0; i < shapes.size(); i++) {
                starts[i] = (next + alignment - 1) / alignment * alignment;
                next = starts[i] + shapes.get(i).size();
            }
            starts[shapes.size()] = next;
            return starts;
        }

        /** Elements in part {@code i}. */
        public int partSize(int i) {
            return shapes.get(i).size();
        }
    }
}
