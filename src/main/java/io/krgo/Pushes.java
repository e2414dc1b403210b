package io.krgo;

import io.krgo.error.FilesystemException;
import io.krgo.error.KrgoException;
import io.krgo.gitlayers.CommitOptions;
import io.krgo.gitlayers.CommitResult;
import io.krgo.gitlayers.GitLayers;
import io.krgo.image.BlobLocation;
import io.krgo.image.Compression;
import io.krgo.image.Descriptor;
import io.krgo.image.Image;
import io.krgo.image.Images;
import io.krgo.image.Platform;
import io.krgo.layer.LayerWriter;
import io.krgo.reference.Reference;
import io.krgo.registry.BlobUpload;
import io.krgo.registry.CredentialResolver;
import io.krgo.registry.ImagePusher;
import io.krgo.registry.Mirrors;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryEndpoint;
import io.krgo.rootfs.DirectoryImage;
import io.krgo.rootfs.ImageRecord;
import io.krgo.rootfs.RootfsLayout;
import io.krgo.rootfs.RootfsMetadata;
import io.krgo.store.BlobStore;
import io.krgo.store.StoredLayer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** A rootfs becoming an image: committed as a new git layer, read back as an image, pushed to a registry. */
record Pushes(BlobStore store, CredentialResolver credentials, Mirrors mirrors) {
    /** See {@link Krgo#commit}. */
    CommitResult commit(Path rootfs, String message, Compression compression) {
        try {
            return new GitLayers(store, rootfs).commit(message,
                    new CommitOptions(LayerWriter.Options.of(compression), Instant.now()));
        } catch (IOException e) {
            throw new FilesystemException("cannot commit " + rootfs + ": " + e.getMessage(), e);
        }
    }

    /** See {@link Krgo#imageOf}. */
    Image imageOf(Path rootfs, Platform platform, Compression compression) {
        GitLayers git = new GitLayers(store, rootfs);
        if (git.exists()) {
            Image recorded = git.image();
            Optional<ImageRecord> pulled = RootfsMetadata.of(rootfs).imageRecord();
            if (pulled.isPresent() && pulled.get().reference() != null) {
                Reference from = Reference.parse(pulled.get().reference());
                Set<String> original = pulled.get().layers().stream().map(Descriptor::digest).collect(Collectors.toSet());
                return withOrigin(recorded, new BlobLocation(from.registry(), from.repository()), original);
            }
            return recorded;
        }
        return DirectoryImage.of(store, rootfs, platform, LayerWriter.Options.of(compression));
    }

    /** See {@link Krgo#push}. */
    ImagePusher.Result push(PushRequest request, ImagePusher.Listener listener) {
        // asked of the layout, not GitLayers: a plain directory's push does not load JGit (~40 ms)
        boolean gitLayers = RootfsLayout.of(request.rootfs()).hasGitLayers();
        if (!gitLayers) {
            LayerWriter.preload(request.compression()); // beside the registry client's set-up
        }
        try (RegistryEndpoint target = RegistryEndpoint.writing(mirrors, request.target(), request.registry(),
                credentials)) {
            RegistryClient client = target.client();
            Set<String> streamed = new HashSet<>();
            Image image = gitLayers
                    ? imageOf(request.rootfs(), request.platform(), request.compression())
                    : streamDirectory(client, request, streamed);
            if (request.manifestType() != null) {
                image = Images.withManifestFormat(image, request.manifestType());
            }
            return new ImagePusher(client, Krgo.PUSH_PARALLELISM).push(image, request.target(), listener, streamed);
        }
    }

    /**
     * A plain directory's one layer, uploaded while it is compressed into the content store (so the upload
     * costs no time of its own); {@code streamed} gets its digest when that worked. When it did not, the
     * pusher uploads the stored copy as usual, with its retries.
     */
    private Image streamDirectory(RegistryClient client, PushRequest request, Set<String> streamed) {
        String repo = request.target().repository();
        BlobUpload upload = client.startStreamedUpload(repo);
        Image image;
        try {
            image = DirectoryImage.of(store, request.rootfs(), request.platform(),
                    LayerWriter.Options.of(request.compression()), upload);
        } catch (RuntimeException e) {
            upload.abort();
            throw e;
        }
        Descriptor layer = image.manifest().layers().get(0);
        try {
            upload.complete(layer.parsedDigest(), layer.size());
            streamed.add(layer.digest());
        } catch (KrgoException e) {
            upload.abort(); // e.g. refused credentials: the regular upload reports them
        }
        return image;
    }

    /** Layers that came from a pull can be mounted from the repository they were pulled from. */
    private static Image withOrigin(Image image, BlobLocation origin, Set<String> originalDigests) {
        return Images.withLayers(image, image.layers().stream()
                .map(l -> l instanceof StoredLayer stored && originalDigests.contains(l.descriptor().digest())
                        ? stored.withOrigin(origin) : l)
                .toList());
    }
}
