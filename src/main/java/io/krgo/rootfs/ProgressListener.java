package io.krgo.rootfs;

import io.krgo.image.Descriptor;

/** Progress of a pull, for the CLI's output. Called from several threads; implementations must be thread-safe. */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {
    };

    /** The pull begins; {@code layers} are the image's layers in order (indexes below refer to this list). */
    default void started(java.util.List<Descriptor> layers) {
    }

    /**
     * Bytes of a layer blob arrived from the source: {@code bytesSoFar} of {@code layer.size()}. Called
     * often (per read), from download threads; implementations should be cheap.
     */
    default void bytesDownloaded(int index, Descriptor layer, long bytesSoFar) {
    }

    /** Layer {@code index} is about to be extracted into the tree (its blob is complete). */
    default void layerApplying(int index, Descriptor layer) {
    }

    /** A layer blob is complete in the store (downloaded and verified, or already cached). */
    default void layerDownloaded(int index, Descriptor layer, boolean cached) {
    }

    /** A layer was applied to the tree. */
    default void layerApplied(int index, Descriptor layer, long entries, long bytes) {
    }
}
