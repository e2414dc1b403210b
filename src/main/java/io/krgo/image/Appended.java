package io.krgo.image;

import java.util.ArrayList;
import java.util.List;

/**
 * An image's manifest and config with one more layer on top (go-containerregistry's {@code mutate.Append}):
 * the config gains the layer's diff id and a history entry, the manifest the layer's descriptor and the new
 * config's. Everything else in both documents stays as it was.
 *
 * @param rawManifest the new manifest's bytes
 * @param rawConfig   the new config's bytes
 * @param config      the new config's descriptor (the old config's media type)
 */
public record Appended(byte[] rawManifest, byte[] rawConfig, Descriptor config) {
    /**
     * Appends {@code layer} (whose uncompressed digest is {@code diffId}) to the image of {@code rawManifest}
     * and {@code rawConfig}, noting {@code created}, {@code createdBy} and {@code comment} in the history.
     */
    public static Appended append(byte[] rawManifest, byte[] rawConfig, Descriptor layer, Digest diffId,
                                  String created, String createdBy, String comment) {
        Manifest manifest = Manifest.parse(rawManifest, null);
        byte[] newConfig = ImageConfig.parse(rawConfig).withLayer(diffId, created, createdBy, comment).toJson();
        Descriptor configDesc = new Descriptor(manifest.config().mediaType(), Digest.sha256(newConfig),
                newConfig.length);
        List<Descriptor> layers = new ArrayList<>(manifest.layers());
        layers.add(layer);
        Manifest newManifest = new Manifest(2, manifest.mediaType(), manifest.artifactType(), configDesc, layers,
                null, manifest.annotations());
        return new Appended(newManifest.toJson(), newConfig, configDesc);
    }

    /** The new manifest's digest. */
    public Digest manifestDigest() {
        return Digest.sha256(rawManifest);
    }
}
