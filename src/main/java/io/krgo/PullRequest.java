package io.krgo;

import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.RegistryOptions;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What to pull and where.
 *
 * @param reference the image
 * @param rootfs    the target directory
 * @param platform  the platform to pick from a multi-platform image
 * @param gitLayers keep each layer as a git branch beside the rootfs ({@code -g})
 * @param force     replace a non-empty target, or redo an up-to-date one
 * @param registry  how to talk to the registry (credentials, insecure, retries)
 */
public record PullRequest(Reference reference, Path rootfs, Platform platform, boolean gitLayers, boolean force,
                          RegistryOptions registry) {
    public PullRequest {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(rootfs, "rootfs");
        Objects.requireNonNull(platform, "platform");
        Objects.requireNonNull(registry, "registry");
    }
}
