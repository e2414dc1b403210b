package io.krgo;

import io.krgo.image.Image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Pulling an {@link Image} already at hand (e.g. {@link Krgo#ociImage} of a local layout) into a directory.
 *
 * @param image     the image
 * @param reference recorded as where the rootfs came from; may be null
 * @param rootfs    the target directory
 * @param gitLayers keep each layer as a git branch beside the rootfs ({@code -g})
 * @param force     replace a non-empty target, or redo an up-to-date one
 */
public record ImagePullRequest(Image image, String reference, Path rootfs, boolean gitLayers, boolean force) {
    public ImagePullRequest {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(rootfs, "rootfs");
    }
}
