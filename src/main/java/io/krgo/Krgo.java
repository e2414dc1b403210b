package io.krgo;

import io.krgo.compress.Decompression;
import io.krgo.gitlayers.CommitOptions;
import io.krgo.gitlayers.CommitResult;
import io.krgo.gitlayers.GitLayers;
import io.krgo.image.BlobLocation;
import io.krgo.image.Compression;
import io.krgo.image.Descriptor;
import io.krgo.image.Image;
import io.krgo.image.Images;
import io.krgo.image.Index;
import io.krgo.layer.LayerWriter;
import io.krgo.reference.Reference;
import io.krgo.registry.CredentialResolver;
import io.krgo.registry.Credentials;
import io.krgo.registry.ImagePusher;
import io.krgo.registry.Mirrors;
import io.krgo.registry.RawManifest;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryEndpoint;
import io.krgo.registry.RegistryImage;
import io.krgo.registry.RegistryOptions;
import io.krgo.registry.RetryPolicy;
import io.krgo.rootfs.DirectoryImage;
import io.krgo.rootfs.ImageRecord;
import io.krgo.rootfs.ProgressListener;
import io.krgo.rootfs.PullResult;
import io.krgo.rootfs.PulledState;
import io.krgo.rootfs.RootfsLayout;
import io.krgo.rootfs.RootfsMetadata;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.store.DockerArchive;
import io.krgo.store.OciLayout;
import io.krgo.store.StoredLayer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
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
    private final Mirrors mirrors;
    private final io.krgo.trust.ImageTrust trust;

    public Krgo(BlobStore store, CredentialResolver credentials) {
        this(store, credentials, Mirrors.NONE);
    }

    /** @param mirrors pull-through caches tried, in order, before an image's own registry when reading images */
    public Krgo(BlobStore store, CredentialResolver credentials, Mirrors mirrors) {
        this.store = store;
        this.credentials = credentials;
        this.mirrors = mirrors;
        this.trust = io.krgo.trust.ImageTrust.acceptAnything();
    }

    private Krgo(Krgo base, io.krgo.trust.ImageTrust trust) {
        this.store = base.store;
        this.credentials = base.credentials;
        this.mirrors = base.mirrors;
        this.trust = trust;
    }

    /**
     * The same, deciding with {@code trust} which images pull, copy and export may use (checked before anything
     * is written). {@link #withDefaults()} uses the user's containers policy; the constructors accept anything.
     */
    public Krgo withTrust(io.krgo.trust.ImageTrust trust) {
        return new Krgo(this, trust);
    }

    public io.krgo.trust.ImageTrust trust() {
        return trust;
    }

    /** The user's content store ({@code $KRGO_CACHE}, else ~/.cache/krgo), Docker credentials and mirror file. */
    public static Krgo withDefaults() {
        return new Krgo(BlobStore.defaultStore(), CredentialResolver.fromSystem(), Mirrors.fromSystem())
                .withTrust(systemTrust());
    }

    private static io.krgo.trust.ImageTrust systemTrust() {
        return new io.krgo.trust.ImageTrust(io.krgo.trust.TrustFiles.fromSystem(null, null), java.time.Clock.systemUTC());
    }

    /** As {@link #withDefaults()}, with {@code extraMirrors} tried first for {@code registry}. */
    public static Krgo withDefaults(String registry, List<String> extraMirrors) {
        Mirrors m = Mirrors.fromSystem();
        return new Krgo(BlobStore.defaultStore(), CredentialResolver.fromSystem(),
                extraMirrors.isEmpty() ? m : m.withFirst(registry, extraMirrors)).withTrust(systemTrust());
    }

    public Mirrors mirrors() {
        return mirrors;
    }

    /** A resolved registry image (null: DIR already holds it) and the open client its layers stream from. */
    private record Source(RegistryClient client, RegistryImage image, List<String> warnings, String served)
            implements AutoCloseable {
        /**
         * The digest whose signatures the policy checks: the image manifest about to be used, also when the
         * reference names an index, as containers/image checks (skopeo 1.9 refuses an image whose index alone is
         * signed); {@code pulled}'s manifest when DIR already holds it.
         */
        io.krgo.image.Digest checked(PulledState pulled) {
            return io.krgo.image.Digest.parse(image == null ? pulled.manifestDigest() : image.descriptor().digest());
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /**
     * Resolves {@code ref} through its registry's mirrors first, then the registry itself. A mirror that is
     * down, refuses us or lacks the image is skipped with a warning; an image found on a mirror is read
     * wholly from it (blobs verified as always, so a mirror cannot alter content pinned by digest).
     */
    private Source openSource(Reference ref, RegistryOptions options, io.krgo.image.Platform platform) {
        return openSource(ref, options, platform, null);
    }

    /**
     * As {@link #openSource(Reference, RegistryOptions, io.krgo.image.Platform)}; when {@code pulled} is given,
     * the registry that answers is first asked for the digest alone (HEAD), and when that shows DIR already
     * holds the image, the source has no image: nothing else is fetched or parsed.
     */
    private Source openSource(Reference ref, RegistryOptions options, io.krgo.image.Platform platform,
                              PulledState pulled) {
        List<String> warnings = new java.util.ArrayList<>();
        List<Mirrors.PullSource> sources = mirrors.sources(ref);
        for (Mirrors.PullSource mirror : sources.subList(0, sources.size() - 1)) {
            Reference viaMirror = mirror.reference();
            // Mirror credentials come from the auth files, never from the origin's -u; fail fast to fall back.
            RegistryOptions mirrorOptions = options.withCredentials(null)
                    .withInsecure(options.insecure() || mirror.insecure())
                    // A mirror that is down, or accepts and never answers, costs at most ~5 s before the next source.
                    .withRetry(new RetryPolicy(2, java.time.Duration.ofMillis(200),
                            java.time.Duration.ofSeconds(5)))
                    .withTimeouts(java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(5));
            RegistryClient client = RegistryClient.forReference(viaMirror, mirrorOptions, credentials);
            try {
                return resolve(client, viaMirror, platform, pulled, warnings);
            } catch (io.krgo.error.RegistryException | io.krgo.error.NotFoundException
                     | io.krgo.error.AuthException e) {
                client.close();
                warnings.add("mirror " + viaMirror.registry() + " skipped: " + e.getMessage());
            }
        }
        Mirrors.PullSource origin = sources.get(sources.size() - 1);
        Reference at = origin.reference();
        RegistryClient client = RegistryClient.forReference(at, origin.insecure() ? options.withInsecure(true) : options,
                credentials);
        try {
            return resolve(client, at, platform, pulled, warnings);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    private Source resolve(RegistryClient client, Reference ref, io.krgo.image.Platform platform, PulledState pulled,
                           List<String> warnings) {
        if (pulled != null) {
            Optional<Descriptor> served;
            try {
                served = client.headManifest(ref.repository(), ref.identifier());
            } catch (io.krgo.error.RegistryException headRefused) {
                served = Optional.empty(); // e.g. 405 from a proxy without HEAD: the GET below decides
            }
            if (served.isPresent() && pulled.holds(served.get().digest(), platform)) {
                return new Source(client, null, warnings, served.get().digest());
            }
        }
        return new Source(client, rememberConfig(RegistryImage.resolve(client, ref, platform, this::storedConfig)),
                warnings, null);
    }

    public BlobStore store() {
        return store;
    }

    /**
     * Pulls an image from a registry into a rootfs directory (with git layers when asked). When DIR already
     * holds the image (unless {@code force}), this costs one manifest HEAD, or no request at all for a
     * reference by digest, and writes nothing.
     */
    public PullResult pull(PullRequest request, ProgressListener progress) {
        Reference ref = request.reference();
        PulledState pulled = request.force() ? null
                : PulledState.read(request.rootfs(), request.gitLayers()).orElse(null);
        Path verdict = RootfsMetadata.of(request.rootfs()).trustVerdict();
        if (pulled != null && ref.digest() != null && pulled.holds(ref.digest(), request.platform())) {
            // the policy may have changed since: verified again unless remembered under the same policy and keys
            trust.checkRemembered(ref, io.krgo.image.Digest.parse(pulled.manifestDigest()),
                    attachments(request.registry()), verdict);
            return upToDate(request.rootfs(), pulled, List.of()); // content-addressed: nothing to ask
        }
        if (pulled == null) {
            Decompression.prepareInBackground(); // layers will follow the manifest
        }
        try (Source source = openSource(ref, request.registry(), request.platform(), pulled)) {
            if (pulled != null) { // an up-to-date DIR may remember the verdict
                trust.checkRemembered(ref, source.checked(pulled), attachments(source.client()), verdict);
            } else {
                trust.check(ref, source.checked(null), attachments(source.client())); // before anything is written
            }
            if (source.image() == null) {
                return upToDate(request.rootfs(), pulled, source.warnings());
            }
            PullResult r = pull(new ImagePullRequest(source.image(), ref.toString(), request.rootfs(),
                    request.gitLayers(), request.force()), progress);
            trust.remember(ref, source.checked(null), verdict);
            source.image().indexDescriptor().ifPresent(index -> PulledState.recordSource(request.rootfs(),
                    r.manifestDigest().toString(), index.digest(), request.platform()));
            if (source.warnings().isEmpty()) {
                return r;
            }
            List<String> warnings = new java.util.ArrayList<>(source.warnings());
            warnings.addAll(r.warnings());
            return new PullResult(r.manifestDigest(), r.upToDate(), r.layers(), r.bytes(), r.devicesSkipped(), warnings);
        }
    }

    /** The answer for a DIR found up to date before the rootfs sink was needed; as the sink, it clears leftovers. */
    private static PullResult upToDate(Path rootfs, PulledState pulled, List<String> warnings) {
        RootfsLayout.of(rootfs).abandonedStagingDirs().forEach(io.krgo.sys.Trees::deleteQuietly);
        return new PullResult(io.krgo.image.Digest.parse(pulled.manifestDigest()), true, pulled.layers(), 0, 0,
                warnings);
    }

    /** A config already in the content store (verified as it is read); empty when absent or damaged. */
    private Optional<byte[]> storedConfig(Descriptor config) {
        if (config.size() > io.krgo.image.Json.MAX_DOCUMENT_BYTES) {
            return Optional.empty();
        }
        Optional<java.io.InputStream> in = store.open(config.parsedDigest(), config.size());
        if (in.isEmpty()) {
            return Optional.empty();
        }
        try (java.io.InputStream s = in.get()) {
            return Optional.of(s.readAllBytes());
        } catch (IOException | io.krgo.error.KrgoException e) {
            return Optional.empty(); // fetch it again from the registry
        }
    }

    /** Keeps the config in the content store so the next pull of the image needs only its manifest. */
    private RegistryImage rememberConfig(RegistryImage image) {
        Descriptor config = image.manifest().config();
        if (!store.has(config.parsedDigest())) {
            try {
                store.put(config.parsedDigest(), config.size(), new java.io.ByteArrayInputStream(image.rawConfig()));
            } catch (IOException | io.krgo.error.KrgoException e) {
                // only a cache: the pull itself does not need it
            }
        }
        return image;
    }

    private static Optional<String> recordedDigest(Path rootfs) {
        return RootfsMetadata.of(rootfs).imageRecord().map(ImageRecord::manifestDigest);
    }

    /** Turns the changes in a rootfs pulled with git layers into a new layer. */
    public CommitResult commit(Path rootfs, String message, Compression compression) {
        try {
            return new GitLayers(store, rootfs).commit(message,
                    new CommitOptions(LayerWriter.Options.of(compression), Instant.now()));
        } catch (IOException e) {
            throw new io.krgo.error.FilesystemException("cannot commit " + rootfs + ": " + e.getMessage(), e);
        }
    }

    /** The image a rootfs stands for: its recorded layers (git layers), or the directory as one new layer. */
    public Image imageOf(Path rootfs, io.krgo.image.Platform platform, Compression compression) {
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

    /** Pushes a rootfs (git-layered or plain) to a registry. */
    public ImagePusher.Result push(PushRequest request, ImagePusher.Listener listener) {
        // asked of the layout, not GitLayers: a plain directory's push does not load JGit (~40 ms)
        boolean gitLayers = RootfsLayout.of(request.rootfs()).hasGitLayers();
        if (!gitLayers) {
            LayerWriter.preload(request.compression()); // beside the registry client's set-up
        }
        try (RegistryEndpoint target = RegistryEndpoint.writing(mirrors, request.target(), request.registry(),
                credentials)) {
            RegistryClient client = target.client();
            Set<String> streamed = new java.util.HashSet<>();
            Image image = gitLayers
                    ? imageOf(request.rootfs(), request.platform(), request.compression())
                    : streamDirectory(client, request, streamed);
            if (request.manifestType() != null) {
                image = Images.withManifestFormat(image, request.manifestType());
            }
            return new ImagePusher(client, PUSH_PARALLELISM).push(image, request.target(), listener, streamed);
        }
    }

    /**
     * A plain directory's one layer, uploaded while it is compressed into the content store (so the upload
     * costs no time of its own); {@code streamed} gets its digest when that worked. When it did not, the
     * pusher uploads the stored copy as usual, with its retries.
     */
    private Image streamDirectory(RegistryClient client, PushRequest request, Set<String> streamed) {
        String repo = request.target().repository();
        io.krgo.registry.BlobUpload upload = client.startStreamedUpload(repo);
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
        } catch (io.krgo.error.KrgoException e) {
            upload.abort(); // e.g. refused credentials: the regular upload reports them
        }
        return image;
    }

    /** Pulls any {@link Image} (e.g. {@link #ociImage} of a local layout) into a rootfs directory. */
    public PullResult pull(ImagePullRequest request, ProgressListener progress) {
        Path rootfs = request.rootfs();
        GitLayers git = request.gitLayers() ? new GitLayers(store, rootfs) : null;
        RootfsOptions options = RootfsOptions.defaults().withForce(request.force()
                || (git != null && !git.exists() && recordedDigest(rootfs)
                    .map(d -> d.equals(request.image().descriptor().digest())).orElse(false)));
        return new RootfsWriter(store).write(request.image(), request.reference(), rootfs, options, git, progress);
    }

    /** The image tagged {@code tag} (null: the only one) in the OCI layout {@code dir}, for {@code platform}. */
    public Image ociImage(Path dir, String tag, io.krgo.image.Platform platform) {
        if (!java.nio.file.Files.isRegularFile(dir.resolve("index.json"))) {
            throw new io.krgo.error.NotFoundException("not an OCI image layout (no index.json): " + dir);
        }
        trust.checkLayout(dir, tag);
        return new OciLayout(dir).image(tag, platform);
    }

    /**
     * Looks an image up without pulling it: the manifest or index the reference names and, for a single
     * image or when {@code platform} is given, that image's manifest and config.
     *
     * @param platform the platform to resolve an index to; null to describe the index itself
     */
    public ImageInfo inspect(Reference ref, io.krgo.image.Platform platform, RegistryOptions options) {
        try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, ref, options, credentials)) {
            RegistryClient client = at.client();
            Reference there = at.reference();
            RawManifest top = client.getManifest(there.repository(), there.identifier());
            if (top.isIndex()) {
                Index index = top.index();
                Optional<Image> image = Optional.empty();
                if (platform != null) {
                    image = Optional.of(RegistryImage.resolve(client,
                            there.withDigest(index.select(platform).digest()), platform));
                }
                return new ImageInfo(ref, top.descriptor(), top.bytes(), Optional.of(index), image);
            }
            Image image = RegistryImage.resolve(client, there.withDigest(top.digest().toString()),
                    io.krgo.image.Platform.host());
            return new ImageInfo(ref, top.descriptor(), top.bytes(), Optional.empty(), Optional.of(image));
        }
    }

    /** The digest of the manifest (or index) {@code ref} names, by a HEAD request where the registry allows. */
    public Descriptor digest(Reference ref, RegistryOptions options) {
        try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, ref, options, credentials)) {
            return at.client().headManifest(at.reference().repository(), at.reference().identifier())
                    .orElseThrow(() -> new io.krgo.error.NotFoundException("image not found: " + ref));
        }
    }

    /** Evaluates the trust policy for {@code ref} without pulling: its digest (HEAD) and its signatures. */
    public io.krgo.trust.ImageTrust.Evaluation verify(Reference ref, RegistryOptions options) {
        return verify(ref, io.krgo.image.Platform.host(), options);
    }

    /** As {@link #verify(Reference, RegistryOptions)}; for an index, of its image for {@code platform}, which pull checks. */
    public io.krgo.trust.ImageTrust.Evaluation verify(Reference ref, io.krgo.image.Platform platform,
                                                      RegistryOptions options) {
        Descriptor d = digest(ref, options);
        if (io.krgo.image.MediaTypes.isIndex(d.mediaType())) {
            try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, ref, options, credentials)) {
                d = at.client().getManifest(at.reference().repository(), d.digest()).index().select(platform);
            }
        }
        return trust.evaluate(ref, d.parsedDigest(), attachments(options));
    }

    /**
     * Signs that {@code digest} in {@code target}'s repository is {@code identity} with a cosign key; the
     * signature is appended to the {@code sha256-HEX.sig} tag there. Returns that tag.
     */
    public String signAttached(io.krgo.trust.CosignSigner signer, Reference target, String identity,
                               io.krgo.image.Digest digest, String creator, RegistryOptions options) {
        try (RegistryEndpoint at = RegistryEndpoint.writing(mirrors, target, options, credentials)) {
            return trust.signAttached(at.client(), signer, target, identity, digest, creator);
        }
    }

    /** cosign's signatures read through an open client (the registry the image comes from). */
    private static io.krgo.trust.SigstoreAttachments.Reader attachments(RegistryClient client) {
        return io.krgo.trust.SigstoreAttachments.through(client);
    }

    /** cosign's signatures read where registries.conf sends the image (its location's repository). */
    private static io.krgo.trust.SigstoreAttachments.Reader attachments(RegistryEndpoint at) {
        io.krgo.trust.SigstoreAttachments.Reader through = io.krgo.trust.SigstoreAttachments.through(at.client());
        return new io.krgo.trust.SigstoreAttachments.Reader() {
            @Override
            public List<io.krgo.trust.SigstoreAttachments.Attached> read(Reference r, io.krgo.image.Digest d) {
                return through.read(at.reference(), d);
            }

            @Override
            public List<String> referrerTypes(Reference r, io.krgo.image.Digest d) {
                return through.referrerTypes(at.reference(), d);
            }
        };
    }

    /** cosign's signatures read through a client opened for the purpose. */
    private io.krgo.trust.SigstoreAttachments.Reader attachments(RegistryOptions options) {
        return new io.krgo.trust.SigstoreAttachments.Reader() {
            @Override
            public List<io.krgo.trust.SigstoreAttachments.Attached> read(Reference r, io.krgo.image.Digest d) {
                try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, r, options, credentials)) {
                    return attachments(at).read(r, d);
                }
            }

            @Override
            public List<String> referrerTypes(Reference r, io.krgo.image.Digest d) {
                try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, r, options, credentials)) {
                    return attachments(at).referrerTypes(r, d);
                }
            }
        };
    }

    /** All tags of {@code repository}'s repository (its tag or digest is ignored), following pagination. */
    public List<String> tags(Reference repository, int pageSize, RegistryOptions options) {
        try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, repository, options, credentials)) {
            return at.client().listTags(at.reference().repository(), pageSize);
        }
    }

    /**
     * Copies an image from one repository to another, streaming blobs and mounting them when both are on
     * the same registry. With {@code all} and an index, every image of the index is copied and then the
     * index itself, byte for byte, so its digest is preserved; otherwise the image for {@code platform}.
     */
    public ImagePusher.Result copy(Reference source, RegistryOptions sourceOptions, Reference target,
                                   RegistryOptions targetOptions, io.krgo.image.Platform platform, boolean all,
                                   ImagePusher.Listener listener) {
        try (RegistryEndpoint reading = RegistryEndpoint.reading(mirrors, source, sourceOptions, credentials);
             RegistryEndpoint writing = RegistryEndpoint.writing(mirrors, target, targetOptions, credentials)) {
            RegistryClient from = reading.client();
            Reference there = reading.reference();
            ImagePusher pusher = new ImagePusher(writing.client(), PUSH_PARALLELISM);
            RawManifest top = from.getManifest(there.repository(), there.identifier());
            checkImages(source, top, all, platform, attachments(reading)); // before anything is written
            if (all && top.isIndex()) {
                return pusher.pushIndex(top.bytes(), top.mediaType(), indexImages(from, there, top, platform), target,
                        listener);
            }
            Reference pinned = there.withDigest(top.isIndex() ? top.index().select(platform).digest()
                    : top.digest().toString());
            return pusher.push(RegistryImage.resolve(from, pinned, platform), target, listener);
        }
    }

    /**
     * As {@link #exportOci(Reference, RegistryOptions, io.krgo.image.Platform, Path, String)}; with {@code all}
     * and an index, every image of the index and the index itself (byte for byte, same digest) are written,
     * and {@code tag} names the index. Returns the descriptor of what {@code tag} names.
     */
    public Descriptor exportOci(Reference source, RegistryOptions options, io.krgo.image.Platform platform, Path dir,
                                String tag, boolean all) {
        if (!all) {
            return exportOci(source, options, platform, dir, tag);
        }
        try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, source, options, credentials)) {
            RegistryClient client = at.client();
            Reference there = at.reference();
            RawManifest top = client.getManifest(there.repository(), there.identifier());
            checkImages(source, top, true, platform, attachments(at));
            if (!top.isIndex()) {
                RegistryImage image = RegistryImage.resolve(client, there.withDigest(top.digest().toString()), platform);
                new OciLayout(dir).write(image, tag);
                return image.descriptor();
            }
            new OciLayout(dir).writeIndex(top.bytes(), top.mediaType(), indexImages(client, there, top, platform), tag);
            return top.descriptor();
        }
    }

    /**
     * The policy for what copy and export read from {@code top}: each image of an index with {@code all}, else
     * the image for {@code platform} (containers/image checks the image manifests, not the index).
     */
    private void checkImages(Reference source, RawManifest top, boolean all, io.krgo.image.Platform platform,
                             io.krgo.trust.SigstoreAttachments.Reader attachments) {
        if (!top.isIndex()) {
            trust.check(source, top.digest(), attachments);
        } else if (!all) {
            trust.check(source, io.krgo.image.Digest.parse(top.index().select(platform).digest()), attachments);
        } else {
            for (Descriptor entry : top.index().manifests()) {
                trust.check(source, entry.parsedDigest(), attachments);
            }
        }
    }

    private static List<Image> indexImages(RegistryClient client, Reference source, RawManifest top,
                                           io.krgo.image.Platform platform) {
        List<Image> images = new java.util.ArrayList<>();
        for (Descriptor entry : top.index().manifests()) {
            if (io.krgo.image.MediaTypes.isIndex(entry.mediaType())) {
                throw new io.krgo.error.UnsafeImageException("index " + top.digest()
                        + " contains another index; nested indexes are unsupported");
            }
            images.add(RegistryImage.resolve(client, source.withDigest(entry.digest()), platform));
        }
        return images;
    }

    /** Writes the image for {@code platform} into the OCI layout {@code dir} (created or added to) as {@code tag}. */
    public Descriptor exportOci(Reference source, RegistryOptions options, io.krgo.image.Platform platform, Path dir,
                                String tag) {
        try (Source from = openSource(source, options, platform)) {
            trust.check(source, from.checked(null), attachments(from.client()));
            RegistryImage image = from.image();
            new OciLayout(dir).write(image, tag);
            return image.descriptor();
        }
    }

    /** Writes the image for {@code platform} as a docker-archive tarball ({@code docker load}) named {@code repoTags}. */
    public Descriptor exportTar(Reference source, RegistryOptions options, io.krgo.image.Platform platform, Path file,
                                List<String> repoTags) {
        try (Source from = openSource(source, options, platform)) {
            trust.check(source, from.checked(null), attachments(from.client()));
            RegistryImage image = from.image();
            DockerArchive.write(image, repoTags, file);
            return image.descriptor();
        }
    }

    /** Checks {@code credentials} against {@code registry} (a name as in references, e.g. {@code docker.io}). */
    public void checkLogin(String registry, Credentials credentials, RegistryOptions options) {
        Reference any = new Reference(registry, "library/krgo", Reference.DEFAULT_TAG, null);
        try (RegistryClient client = new RegistryClient(any.endpointHost(), options, credentials)) {
            client.checkLogin();
        }
    }

    /** Layers that came from a pull can be mounted from the repository they were pulled from. */
    private static Image withOrigin(Image image, BlobLocation origin, Set<String> originalDigests) {
        return Images.withLayers(image, image.layers().stream()
                .map(l -> l instanceof StoredLayer stored && originalDigests.contains(l.descriptor().digest())
                        ? stored.withOrigin(origin) : l)
                .toList());
    }

    /**
     * Removes from the content store the blobs no pulled rootfs references any more and the temp files of
     * killed writers (see {@link io.krgo.rootfs.ContentStoreGc}).
     */
    public io.krgo.rootfs.ContentStoreGc.Freed pruneStore() {
        return new io.krgo.rootfs.ContentStoreGc(store).collect();
    }

    /**
     * Runtime configs (OCI config.json, .nspawn, LXC) for rootfs directories this krgo pulled; without root,
     * OCI configs have a user namespace of their own that maps only the caller (runc's rootless mode).
     */
    public io.krgo.runtime.RuntimeConfigs runtimeConfigs() {
        io.krgo.runtime.RuntimeConfigs configs = io.krgo.runtime.RuntimeConfigs.forThisHost(store);
        if (io.krgo.layer.ApplyOptions.isRoot()) {
            return configs;
        }
        io.krgo.runtime.IdMapping me = io.krgo.runtime.IdMapping.forThisProcess();
        return configs.rootlessBundle(me.uid(), me.gid());
    }

    /**
     * Creates a container for {@code request} (not started): the image unpacked once into {@code state} (pulled
     * as its pull policy says) under a fresh overlay, or the rootfs in place. {@code warn} gets one-line notes.
     */
    public io.krgo.runtime.Container createContainer(RunRequest request, io.krgo.runtime.StateDir state,
                                                     ProgressListener progress,
                                                     java.util.function.Consumer<String> warn) {
        io.krgo.runtime.OciRuntime runtime = io.krgo.runtime.OciRuntime.find(request.runtime());
        boolean inPlace = request.rootfs() != null;
        io.krgo.runtime.Containers containers = new io.krgo.runtime.Containers(state);
        Path rootfs = inPlace ? RootfsLayout.of(request.rootfs()).dir()
                : new ImageCache(this, state, containers.userNamespace()).rootfs(request, progress);
        return containers.create(inPlace ? rootfs.toString() : request.image().toString(),
                rootfs, inPlace, request.options(), runtimeConfigs(), runtime, warn);
    }

    /** Runs a container to its end (no standard input) and returns its exit status; removes it when {@code remove}. */
    public int run(RunRequest request, io.krgo.runtime.StateDir state, boolean remove) throws InterruptedException {
        io.krgo.runtime.Container c = createContainer(request, state, ProgressListener.NONE, w -> { });
        try {
            c.start(false);
            return c.waitFor();
        } finally {
            if (remove) {
                c.remove();
            }
        }
    }

    @Override
    public void close() {
        // Nothing held between calls today; AutoCloseable so callers need not change when that changes.
    }
}
