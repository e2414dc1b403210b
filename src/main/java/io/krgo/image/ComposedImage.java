package io.krgo.image;

import java.util.List;

/**
 * An image made of its parts: manifest bytes, config bytes and layers. Sources that hold no more than
 * that (a content store, a converted or re-labelled image) return one instead of writing the
 * {@link Image} accessors again.
 */
public final class ComposedImage implements Image {
    private final byte[] rawManifest;
    private final Manifest manifest;
    private final Descriptor descriptor;
    private final byte[] rawConfig;
    private final ImageConfig config;
    private final List<Layer> layers;

    /** @param mediaType the manifest's media type when its JSON does not say (null: take the JSON's) */
    public ComposedImage(byte[] rawManifest, String mediaType, byte[] rawConfig, List<Layer> layers) {
        this.rawManifest = rawManifest.clone();
        this.manifest = Manifest.parse(this.rawManifest, mediaType);
        this.descriptor = new Descriptor(manifest.mediaType(), Digest.sha256(this.rawManifest), this.rawManifest.length);
        this.rawConfig = rawConfig.clone();
        this.config = ImageConfig.parse(this.rawConfig);
        this.layers = List.copyOf(layers);
        if (layers.size() != manifest.layers().size()) {
            throw new IllegalArgumentException("the manifest lists " + manifest.layers().size() + " layers, got "
                    + layers.size());
        }
    }

    @Override
    public Descriptor descriptor() {
        return descriptor;
    }

    @Override
    public byte[] rawManifest() {
        return rawManifest.clone();
    }

    @Override
    public Manifest manifest() {
        return manifest;
    }

    @Override
    public byte[] rawConfig() {
        return rawConfig.clone();
    }

    @Override
    public ImageConfig config() {
        return config;
    }

    @Override
    public List<Layer> layers() {
        return layers;
    }
}
