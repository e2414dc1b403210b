package io.krgo.registry;

import io.krgo.error.UnsafeImageException;
import io.krgo.image.BlobLocation;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Index;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An image in a registry, resolved for one platform: manifest and config are fetched (and verified) at
 * resolution; layer bytes are streamed on {@link Layer#open()}.
 */
public final class RegistryImage implements Image {
    private final Reference reference;
    private final RawManifest manifestRaw;
    private final Manifest manifest;
    private final byte[] configRaw;
    private final ImageConfig config;
    private final List<Layer> layers;
    private final Descriptor indexDescriptor;

    private RegistryImage(Reference reference, RawManifest manifestRaw, Manifest manifest, byte[] configRaw,
                          ImageConfig config, List<Layer> layers, Descriptor indexDescriptor) {
        this.reference = reference;
        this.manifestRaw = manifestRaw;
        this.manifest = manifest;
        this.configRaw = configRaw;
        this.config = config;
        this.layers = List.copyOf(layers);
        this.indexDescriptor = indexDescriptor;
    }

    /**
     * Resolves {@code ref} on {@code client}'s registry: when the reference names an index, the entry for
     * {@code wanted} is chosen (NotFoundException listing the available platforms when none fits).
     */
    public static RegistryImage resolve(RegistryClient client, Reference ref, Platform wanted) {
        return resolve(client, ref, wanted, d -> Optional.empty());
    }

    /**
     * The same, reading the config from {@code knownBlobs} when it has it (e.g. the content store after an
     * earlier pull), so a warm or repeated pull fetches only the manifest.
     */
    public static RegistryImage resolve(RegistryClient client, Reference ref, Platform wanted,
                                        java.util.function.Function<Descriptor, Optional<byte[]>> knownBlobs) {
        String repo = ref.repository();
        RawManifest top = client.getManifest(repo, ref.identifier());
        RawManifest raw = top;
        Descriptor indexDescriptor = null;
        if (top.isIndex()) {
            Index index = top.index();
            Descriptor chosen = index.select(wanted);
            indexDescriptor = top.descriptor();
            raw = client.getManifest(repo, chosen.digest());
            if (raw.isIndex()) {
                throw new UnsafeImageException("image index " + top.digest() + " points to another index for "
                        + wanted + "; nested indexes are unsupported");
            }
        }
        Manifest manifest = raw.manifest();
        byte[] configBytes = knownBlobs.apply(manifest.config())
                .orElseGet(() -> client.readSmallBlob(repo, manifest.config()));
        ImageConfig config = ImageConfig.parse(configBytes);
        List<Digest> diffIds = config.diffIds();
        if (diffIds.size() != manifest.layers().size()) {
            throw new UnsafeImageException("image " + ref + ": the config lists " + diffIds.size()
                    + " diff_ids but the manifest has " + manifest.layers().size() + " layers");
        }
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            layers.add(new RegistryLayer(client, repo, manifest.layers().get(i), diffIds.get(i)));
        }
        Reference pinned = ref.withDigest(raw.digest().toString());
        return new RegistryImage(pinned, raw, manifest, configBytes, config, layers, indexDescriptor);
    }

    /** The reference pinned to the resolved (platform) manifest's digest; the tag kept for display. */
    public Reference reference() {
        return reference;
    }

    /** The index (manifest list) this image was selected from, when the reference named one. */
    public Optional<Descriptor> indexDescriptor() {
        return Optional.ofNullable(indexDescriptor);
    }

    @Override
    public Descriptor descriptor() {
        return manifestRaw.descriptor();
    }

    @Override
    public byte[] rawManifest() {
        return manifestRaw.bytes();
    }

    @Override
    public Manifest manifest() {
        return manifest;
    }

    @Override
    public byte[] rawConfig() {
        return configRaw.clone();
    }

    @Override
    public ImageConfig config() {
        return config;
    }

    @Override
    public List<Layer> layers() {
        return layers;
    }

    private record RegistryLayer(RegistryClient client, String repo, Descriptor descriptor, Digest diff)
            implements Layer {
        @Override
        public Optional<Digest> diffId() {
            return Optional.of(diff);
        }

        @Override
        public InputStream open() {
            return client.openBlob(repo, descriptor);
        }

        @Override
        public Optional<BlobLocation> origin() {
            return Optional.of(new BlobLocation(client.registry(), repo));
        }

        @Override
        public String toString() {
            return "layer " + descriptor.digest() + " of " + repo;
        }
    }
}
