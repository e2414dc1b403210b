package io.krgo.rootfs;

import io.krgo.image.Image;
import io.krgo.layer.ApplyOptions;

import java.nio.file.Path;

/**
 * @param force       replace a non-empty DIR, and re-pull even when DIR already holds the same manifest
 * @param apply       how layers are applied (privileged or rootless, expansion limit)
 * @param parallelism how many layers download at once
 */
public record RootfsOptions(boolean force, ApplyOptions apply, int parallelism) {
    public RootfsOptions {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1");
        }
    }

    public static RootfsOptions defaults() {
        return new RootfsOptions(false, ApplyOptions.defaults(), 4);
    }

    /**
     * The defaults for pulling {@code image} into {@code dir}: forced when asked, and when git layers are to be
     * added to a DIR that already holds this very image without them (the rootfs is written again, so the
     * branches are made; "already up to date" would leave them missing).
     */
    public static RootfsOptions pulling(Image image, Path dir, boolean force, boolean addingGitLayers) {
        return defaults().withForce(force || (addingGitLayers && RootfsMetadata.of(dir).imageRecord()
                .map(ImageRecord::manifestDigest).map(d -> d.equals(image.descriptor().digest())).orElse(false)));
    }

    public RootfsOptions withForce(boolean f) {
        return new RootfsOptions(f, apply, parallelism);
    }

    public RootfsOptions withApply(ApplyOptions a) {
        return new RootfsOptions(force, a, parallelism);
    }
}
