package io.krgo;

import io.krgo.gitlayers.CommitOptions;
import io.krgo.gitlayers.CommitResult;
import io.krgo.gitlayers.GitLayers;
import io.krgo.image.BlobLocation;
import io.krgo.image.Compression;
import io.krgo.image.Descriptor;
import io.krgo.image.Image;
import io.krgo.image.Images;
import io.krgo.layer.LayerWriter;
import io.krgo.reference.Reference;
import io.krgo.registry.CredentialResolver;
import io.krgo.registry.ImagePusher;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryImage;
import io.krgo.rootfs.DirectoryImage;
import io.krgo.rootfs.ImageRecord;
import io.krgo.rootfs.ProgressListener;
import io.krgo.rootfs.PullResult;
import io.krgo.rootfs.RootfsLayout;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.store.StoredLayer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * krgo as a library: pull, commit and push, each a short composition of an image source and a sink
 * (registry → rootfs, rootfs → registry). The CLI is a shell over this class.
 *
 * <pre>{@code
 * try (Krgo krgo = Krgo.withDefaults()) {
 *     krgo.pull(new PullRequest(Reference.parse("busybox"), Path.of("rootfs"), Platform.host(),
 *             false, false, RegistryOptions.defaults()), ProgressListener.NONE);
 * }
 * }</pre>
 */
public final class Krgo implements AutoCloseable {
    private static final int PUSH_PARALLELISM = 3;

    private final BlobStore store;
    private final CredentialResolver credentials;

    public Krgo(BlobStore store, CredentialResolver credentials) {
        this.store = store;
        this.credentials = credentials;
    }

    /** The user's content store ({@code $KRGO_CACHE}, else ~/.cache/krgo) and Docker credentials. */
    public static Krgo withDefaults() {
        return new Krgo(BlobStore.defaultStore(), CredentialResolver.fromSystem());
    }

    public BlobStore store() {
        return store;
    }

    /** Pulls an image from a registry into a rootfs directory (with git layers when asked). */
    public PullResult pull(PullRequest request, ProgressListener progress) {
        try (RegistryClient client = RegistryClient.forReference(request.reference(), request.registry(), credentials)) {
            RegistryImage image = RegistryImage.resolve(client, request.reference(), request.platform());
            GitLayers git = request.gitLayers() ? new GitLayers(store, request.rootfs()) : null;
            RootfsOptions options = RootfsOptions.defaults().withForce(request.force()
                    || (git != null && !git.exists() && recordedDigest(request.rootfs())
                        .map(d -> d.equals(image.descriptor().digest())).orElse(false)));
            return new RootfsWriter(store).write(image, request.reference().toString(), request.rootfs(), options,
                    git, progress);
        }
    }

    private static Optional<String> recordedDigest(Path rootfs) {
        return ImageRecord.read(RootfsLayout.of(rootfs).imageJson()).map(ImageRecord::manifestDigest);
    }

    /** Turns the changes in a rootfs pulled with git layers into a new layer. */
    public CommitResult commit(Path rootfs, String message, Compression compression) {
        LayerWriter.Options defaults = LayerWriter.Options.defaults();
        LayerWriter.Options layer = new LayerWriter.Options(compression,
                compression == Compression.ZSTD ? 3 : defaults.level(), defaults.threads());
        try {
            return new GitLayers(store, rootfs).commit(message, new CommitOptions(layer, Instant.now()));
        } catch (IOException e) {
            throw new io.krgo.error.FilesystemException("cannot commit " + rootfs + ": " + e.getMessage(), e);
        }
    }

    /** The image a rootfs stands for: its recorded layers (git layers), or the directory as one new layer. */
    public Image imageOf(Path rootfs, io.krgo.image.Platform platform, Compression compression) {
        GitLayers git = new GitLayers(store, rootfs);
        if (git.exists()) {
            Image recorded = git.image();
            Optional<ImageRecord> pulled = ImageRecord.read(RootfsLayout.of(rootfs).imageJson());
            if (pulled.isPresent() && pulled.get().reference() != null) {
                Reference from = Reference.parse(pulled.get().reference());
                Set<String> original = pulled.get().layers().stream().map(Descriptor::digest).collect(Collectors.toSet());
                return withOrigin(recorded, new BlobLocation(from.registry(), from.repository()), original);
            }
            return recorded;
        }
        LayerWriter.Options defaults = LayerWriter.Options.defaults();
        return DirectoryImage.of(store, rootfs, platform, new LayerWriter.Options(compression,
                compression == Compression.ZSTD ? 3 : defaults.level(), defaults.threads()));
    }

    /** Pushes a rootfs (git-layered or plain) to a registry. */
    public ImagePusher.Result push(PushRequest request, ImagePusher.Listener listener) {
        Image image = imageOf(request.rootfs(), request.platform(), request.compression());
        if (request.manifestType() != null) {
            image = Images.withManifestFormat(image, request.manifestType());
        }
        try (RegistryClient client = RegistryClient.forReference(request.target(), request.registry(),
                credentials)) {
            return new ImagePusher(client, PUSH_PARALLELISM).push(image, request.target(), listener);
        }
    }

    /** Layers that came from a pull can be mounted from the repository they were pulled from. */
    private static Image withOrigin(Image image, BlobLocation origin, Set<String> originalDigests) {
        return Images.withLayers(image, image.layers().stream()
                .map(l -> l instanceof StoredLayer stored && originalDigests.contains(l.descriptor().digest())
                        ? stored.withOrigin(origin) : l)
                .toList());
    }

    @Override
    public void close() {
        // Nothing held between calls today; AutoCloseable so callers need not change when that changes.
    }
}
