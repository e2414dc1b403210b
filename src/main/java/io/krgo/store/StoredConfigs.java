package io.krgo.store;

import io.krgo.error.KrgoException;
import io.krgo.image.Descriptor;
import io.krgo.image.Json;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Image configs kept in the content store, so the next pull of an image needs only its manifest. Only a
 * cache: a config absent or damaged here is fetched from the registry again.
 */
public final class StoredConfigs {
    private final BlobStore store;

    public StoredConfigs(BlobStore store) {
        this.store = store;
    }

    /** The config {@code config} names, when the store has it (verified as it is read); else empty. */
    public Optional<byte[]> find(Descriptor config) {
        if (config.size() > Json.MAX_DOCUMENT_BYTES) {
            return Optional.empty();
        }
        Optional<InputStream> in = store.open(config.parsedDigest(), config.size());
        if (in.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream s = in.get()) {
            return Optional.of(s.readAllBytes());
        } catch (IOException | KrgoException e) {
            return Optional.empty(); // fetch it again from the registry
        }
    }

    /** Keeps {@code bytes}, the config {@code config} names, unless the store has it already. */
    public void keep(Descriptor config, byte[] bytes) {
        if (store.has(config.parsedDigest())) {
            return;
        }
        try {
            store.put(config.parsedDigest(), config.size(), new ByteArrayInputStream(bytes));
        } catch (IOException | KrgoException e) {
            // only a cache: the pull itself does not need it
        }
    }
}
