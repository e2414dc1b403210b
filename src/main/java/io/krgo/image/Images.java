package io.krgo.image;

import io.krgo.error.UsageException;

import java.util.ArrayList;
import java.util.List;

/** Compositions over {@link Image}s that need no I/O of their own. */
public final class Images {
    private Images() {
    }

    /**
     * The same image with its manifest written in another format ({@link MediaTypes#OCI_MANIFEST} or
     * {@link MediaTypes#DOCKER_MANIFEST}): blobs stay byte for byte, only media types change, so the
     * manifest digest changes. Returns {@code image} itself when it already has that format.
     */
    public static Image withManifestFormat(Image image, String manifestMediaType) {
        Manifest m = image.manifest();
        if (manifestMediaType.equals(m.mediaType())) {
            return image;
        }
        boolean docker = MediaTypes.DOCKER_MANIFEST.equals(manifestMediaType);
        if (!docker && !MediaTypes.OCI_MANIFEST.equals(manifestMediaType)) {
            throw new UsageException("unsupported manifest format " + manifestMediaType);
        }
        Descriptor cfg = retype(m.config(), docker ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG);
        List<Descriptor> layers = new ArrayList<>();
        for (Descriptor l : m.layers()) {
            Compression c = MediaTypes.layerCompression(l.mediaType());
            String type = MediaTypes.layerType(manifestMediaType, c == Compression.UNKNOWN ? Compression.GZIP : c)
                    .orElseThrow(() -> new UsageException("zstd layers cannot be described by a Docker schema 2"
                            + " manifest; use --format oci"));
            layers.add(retype(l, type));
        }
        Manifest converted = new Manifest(2, manifestMediaType, docker ? null : m.artifactType(), cfg, layers,
                docker ? null : m.subject(), docker ? null : m.annotations());
        return new ComposedImage(converted.toJson(), manifestMediaType, image.rawConfig(), image.layers());
    }

    /** The same manifest and config with other {@link Layer} objects for the same blobs (e.g. with an origin). */
    public static Image withLayers(Image image, List<Layer> layers) {
        return new ComposedImage(image.rawManifest(), image.descriptor().mediaType(), image.rawConfig(), layers);
    }

    private static Descriptor retype(Descriptor d, String mediaType) {
        return new Descriptor(mediaType, d.digest(), d.size(), d.urls(), d.annotations(), d.platform(),
                d.artifactType());
    }
}
