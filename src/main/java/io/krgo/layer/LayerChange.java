package io.krgo.layer;

/** One entry of a layer to write: a path copied from the tree, a whiteout, or an opaque directory marker. */
public sealed interface LayerChange {
    /** Root-relative, '/'-separated. */
    String path();

    /** Write {@code path} as it is in the tree (file, dir, symlink, device, fifo; hardlinks detected). */
    record Add(String path) implements LayerChange {
    }

    /** {@code path} was deleted: written as {@code parent/.wh.NAME}. */
    record Whiteout(String path) implements LayerChange {
    }

    /** Everything below directory {@code path} in lower layers is hidden: {@code path/.wh..wh..opq}. */
    record Opaque(String path) implements LayerChange {
    }
}
