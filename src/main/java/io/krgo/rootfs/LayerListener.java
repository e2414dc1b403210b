package io.krgo.rootfs;

import io.krgo.image.Layer;
import io.krgo.layer.AppliedChanges;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Told after each layer of a pull was applied, in order, before the next one is. The git-layers sink
 * ({@code pull -g}) is one: it commits the tree as a branch per layer.
 */
public interface LayerListener {
    /**
     * Told once before the first layer.
     *
     * @param stagedMetaDir krgo's metadata directory for this pull, still in staging: it replaces
     *                      {@code RootfsLayout.metaDir()} together with the rootfs at the end, so a
     *                      listener keeps what it records there (e.g. the git repository)
     */
    default void pullStarted(io.krgo.image.Image image, Path stagedMetaDir) throws IOException {
    }

    /**
     * What should see each regular file's content as the pull writes it (asked once, after
     * {@link #pullStarted}); null, the default, for nothing. A listener that hashes file contents saves
     * reading every file back.
     */
    default io.krgo.layer.ContentTee contentTee() {
        return null;
    }

    /**
     * @param index   0 for the oldest layer
     * @param root    the tree being built (the staging directory, renamed to the target at the end)
     * @param changes what this layer did
     */
    void layerApplied(int index, Layer layer, Path root, AppliedChanges changes) throws IOException;

    /**
     * Told once after the last layer, when the tree has its final name and its final metadata (e.g. the
     * directory mtimes a sink restores at the end), so a listener can record the settled state.
     *
     * @param target the final directory
     */
    default void pullFinished(Path target) throws IOException {
    }
}
