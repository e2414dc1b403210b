package io.krgo.gitlayers;

import io.krgo.error.NotFoundException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.store.BlobStore;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The image a git-layered rootfs records: its manifest and config exactly as stored, and its layers
 * (pulled ones byte for byte as pulled, committed ones as written) read from the content store.
 */
public final class GitLayersImage implements Image {
    private final BlobStore store;
    private final byte[] rawManifest;
    private final Manifest manifest;
    private final byte[] rawConfig;
    private final ImageConfig config;

    public GitLayersImage(BlobStore store, byte[] rawManifest, byte[] rawConfig) {
        this.store = store;
        this.rawManifest = rawManifest.clone();
        this.manifest = Manifest.parse(rawManifest, null);
        this.rawConfig = rawConfig.clone();
        this.config = ImageConfig.parse(rawConfig);
    }

    @Override
    public Descriptor descriptor() {
        return new Descriptor(manifest.mediaType(), Digest.sha256(rawManifest), rawManifest.length);
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
        List<Digest> diffIds = config.diffIds();
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor d = manifest.layers().get(i);
            Optional<Digest> diffId = i < diffIds.size() ? Optional.of(diffIds.get(i)) : Optional.empty();
            out.add(new Layer() {
                @Override
                public Descriptor descriptor() {
                    return d;
                }

                @Override
                public Optional<Digest> diffId() {
                    return diffId;
                }

                @Override
                public InputStream open() {
                    return store.open(d.parsedDigest(), d.size()).orElseThrow(() -> new NotFoundException(
                            "layer " + d.digest() + " is missing from the content store " + store.root()
                                    + "; pull the image again"));
                }
            });
        }
        return List.copyOf(out);
    }
}
