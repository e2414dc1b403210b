package io.krgo.image;

import java.util.List;

/**
 * An image: a manifest, a config and ordered layers (oldest first). Registry images, OCI layouts,
 * tarballs and git-layered rootfs directories are all {@code Image}s, so copying between them is one
 * composition rather than a code path per pair.
 */
public interface Image {
    /** The manifest's own descriptor: media type, digest of {@link #rawManifest()}, size. */
    Descriptor descriptor();

    /** The manifest bytes exactly as stored; their sha256 is the image's digest. */
    byte[] rawManifest();

    Manifest manifest();

    /** The config bytes exactly as stored; their digest is the manifest's config digest. */
    byte[] rawConfig();

    ImageConfig config();

    List<Layer> layers();
}
