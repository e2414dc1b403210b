package io.krgo.image;

import java.util.Optional;

/** The media types krgo reads and writes. */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String OCI_LAYER_NONDIST_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";

    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
    public static final String DOCKER_LAYER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
    public static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /** Accept header value for manifest requests, most preferred first. */
    public static final String MANIFEST_ACCEPT = String.join(", ",
            OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST);

    private MediaTypes() {
    }

    public static boolean isIndex(String mediaType) {
        return OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
    }

    public static boolean isManifest(String mediaType) {
        return OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType);
    }

    public static boolean isSchema1(String mediaType) {
        return DOCKER_SCHEMA1.equals(mediaType) || DOCKER_SCHEMA1_SIGNED.equals(mediaType);
    }

    /** The compression a layer media type declares; {@link Compression#UNKNOWN} means sniff the bytes. */
    public static Compression layerCompression(String mediaType) {
        if (mediaType == null) {
            return Compression.UNKNOWN;
        }
        if (mediaType.endsWith("+zstd") || mediaType.endsWith(".zstd")) {
            return Compression.ZSTD;
        }
        if (mediaType.endsWith("+gzip") || mediaType.endsWith(".gzip")) {
            return Compression.GZIP;
        }
        if (mediaType.endsWith(".tar")) {
            return Compression.NONE;
        }
        return Compression.UNKNOWN;
    }

    /**
     * The layer media type for a layer compressed with {@code c} in a manifest of {@code manifestType}: the one
     * place that pairs them. Empty when that manifest format cannot describe such a layer (zstd in a Docker
     * schema 2 manifest); callers say what the user can do about it.
     *
     * @throws IllegalArgumentException for {@link Compression#UNKNOWN}, which names no media type
     */
    public static Optional<String> layerType(String manifestType, Compression c) {
        boolean docker = DOCKER_MANIFEST.equals(manifestType);
        return switch (c) {
            case GZIP -> Optional.of(docker ? DOCKER_LAYER_GZIP : OCI_LAYER_GZIP);
            case NONE -> Optional.of(docker ? DOCKER_LAYER : OCI_LAYER);
            case ZSTD -> docker ? Optional.empty() : Optional.of(OCI_LAYER_ZSTD);
            case UNKNOWN -> throw new IllegalArgumentException("no layer media type for an unknown compression");
        };
    }
}
