package io.krgo.rootfs;

import io.krgo.image.Descriptor;

/** Progress of a pull, for the CLI's output. Called from several threads; implementations must be thread-safe. */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {
    };

    /** A layer blob is complete in the store (downloaded and verified, or already cached). */
    default void layerDownloaded(int index, Descriptor layer, boolean cached) {
    }

    /** A layer was applied to the tree. */
    default void layerApplied(int index, Descriptor layer, long entries, long bytes) {
    }
}
