package io.krgo.image;

/**
 * Where a blob is known to exist in a registry, so a push to another repository of the same registry can
 * mount it instead of uploading it.
 *
 * @param registry   the registry name as in a reference, e.g. {@code docker.io}, {@code 127.0.0.1:5000}
 * @param repository the repository path
 */
public record BlobLocation(String registry, String repository) {
}
