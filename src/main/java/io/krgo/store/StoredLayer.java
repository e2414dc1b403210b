package io.krgo.store;

import io.krgo.error.NotFoundException;
import io.krgo.image.BlobLocation;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Layer;

import java.io.InputStream;
import java.util.Optional;

/**
 * A layer whose blob is in the content store (read and verified again on open).
 *
 * @param origin a registry repository known to hold the same blob, for cross-repository mounts; may be null
 */
public record StoredLayer(BlobStore store, Descriptor descriptor, Digest diff, BlobLocation originOrNull)
        implements Layer {

    public StoredLayer(BlobStore store, Descriptor descriptor, Digest diff) {
        this(store, descriptor, diff, null);
    }

    @Override
    public Optional<Digest> diffId() {
        return Optional.ofNullable(diff);
    }

    @Override
    public InputStream open() {
        return store.open(descriptor.parsedDigest(), descriptor.size()).orElseThrow(() -> new NotFoundException(
                "layer " + descriptor.digest() + " is missing from the content store " + store.root()
                        + "; pull the image again"));
    }

    @Override
    public Optional<BlobLocation> origin() {
        return Optional.ofNullable(originOrNull);
    }

    /** The same layer, known to be in {@code location} too. */
    public StoredLayer withOrigin(BlobLocation location) {
        return new StoredLayer(store, descriptor, diff, location);
    }
}
