package io.krgo;

import io.krgo.image.Compression;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.RegistryOptions;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What to push and where.
 *
 * @param target       repository and tag to push to
 * @param rootfs       a rootfs pulled with {@code -g} (its recorded layers), or any directory (one new layer)
 * @param manifestType {@code MediaTypes.OCI_MANIFEST} or {@code DOCKER_MANIFEST}; null keeps the recorded
 *                     image's format (OCI for a plain directory)
 * @param platform     the config's platform when pushing a plain directory
 * @param compression  compression of the layer made from a plain directory
 * @param registry     how to talk to the registry
 */
public record PushRequest(Reference target, Path rootfs, String manifestType, Platform platform,
                          Compression compression, RegistryOptions registry) {
    public PushRequest {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(rootfs, "rootfs");
        Objects.requireNonNull(platform, "platform");
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(registry, "registry");
    }
}
