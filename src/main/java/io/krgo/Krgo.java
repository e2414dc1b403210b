package io.krgo;

import io.krgo.error.NotFoundException;
import io.krgo.gitlayers.CommitResult;
import io.krgo.image.Compression;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.Index;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.layer.ApplyOptions;
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
import io.krgo.rootfs.ContentStoreGc;
import io.krgo.rootfs.ProgressListener;
import io.krgo.rootfs.PullResult;
import io.krgo.rootfs.RootfsLayout;
import io.krgo.runtime.Container;
import io.krgo.runtime.Containers;
import io.krgo.runtime.IdMapping;
import io.krgo.runtime.OciRuntime;
import io.krgo.runtime.RuntimeConfigs;
import io.krgo.runtime.StateDir;
import io.krgo.store.BlobStore;
import io.krgo.store.OciLayout;
import io.krgo.trust.CosignSigner;
import io.krgo.trust.ImageTrust;
import io.krgo.trust.RegistryAttachments;
import io.krgo.trust.TrustFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

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
    static final int PUSH_PARALLELISM = 3;

    private final BlobStore store;
    private final CredentialResolver credentials;
    private final Mirrors mirrors;
    private final ImageTrust trust;

    public Krgo(BlobStore store, CredentialResolver credentials) {
        this(store, credentials, Mirrors.NONE);
    }

    /** @param mirrors pull-through caches tried, in order, before an image's own registry when reading images */
    public Krgo(BlobStore store, CredentialResolver credentials, Mirrors mirrors) {
        this.store = store;
        this.credentials = credentials;
        this.mirrors = mirrors;
        this.trust = ImageTrust.acceptAnything();
    }

    private Krgo(Krgo base, ImageTrust trust) {
        this.store = base.store;
        this.credentials = base.credentials;
        this.mirrors = base.mirrors;
        this.trust = trust;
    }

    /**
     * The same, deciding with {@code trust} which images pull, copy and export may use (checked before anything
     * is written). {@link #withDefaults()} uses the user's containers policy; the constructors accept anything.
     */
    public Krgo withTrust(ImageTrust trust) {
        return new Krgo(this, trust);
    }

    public ImageTrust trust() {
        return trust;
    }

    /** The user's content store ({@code $KRGO_CACHE}, else ~/.cache/krgo), Docker credentials and mirror file. */
    public static Krgo withDefaults() {
        return new Krgo(BlobStore.defaultStore(), CredentialResolver.fromSystem(), Mirrors.fromSystem())
                .withTrust(systemTrust());
    }

    private static ImageTrust systemTrust() {
        return new ImageTrust(TrustFiles.fromSystem(null, null), Clock.systemUTC());
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

    public BlobStore store() {
        return store;
    }

    /**
     * Pulls an image from a registry into a rootfs directory (with git layers when asked). When DIR already
     * holds the image (unless {@code force}), this costs one manifest HEAD, or no request at all for a
     * reference by digest, and writes nothing.
     */
    public PullResult pull(PullRequest request, ProgressListener progress) {
        return pulls().pull(request, progress);
    }

    /** Turns the changes in a rootfs pulled with git layers into a new layer. */
    public CommitResult commit(Path rootfs, String message, Compression compression) {
        return pushes().commit(rootfs, message, compression);
    }

    /** The image a rootfs stands for: its recorded layers (git layers), or the directory as one new layer. */
    public Image imageOf(Path rootfs, Platform platform, Compression compression) {
        return pushes().imageOf(rootfs, platform, compression);
    }

    /** Pushes a rootfs (git-layered or plain) to a registry. */
    public ImagePusher.Result push(PushRequest request, ImagePusher.Listener listener) {
        return pushes().push(request, listener);
    }

    /** Pulls any {@link Image} (e.g. {@link #ociImage} of a local layout) into a rootfs directory. */
    public PullResult pull(ImagePullRequest request, ProgressListener progress) {
        return pulls().pull(request, progress);
    }

    /** The image tagged {@code tag} (null: the only one) in the OCI layout {@code dir}, for {@code platform}. */
    public Image ociImage(Path dir, String tag, Platform platform) {
        if (!Files.isRegularFile(dir.resolve("index.json"))) {
            throw new NotFoundException("not an OCI image layout (no index.json): " + dir);
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
    public ImageInfo inspect(Reference ref, Platform platform, RegistryOptions options) {
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
            Image image = RegistryImage.resolve(client, there.withDigest(top.digest().toString()), Platform.host());
            return new ImageInfo(ref, top.descriptor(), top.bytes(), Optional.empty(), Optional.of(image));
        }
    }

    /** The digest of the manifest (or index) {@code ref} names, by a HEAD request where the registry allows. */
    public Descriptor digest(Reference ref, RegistryOptions options) {
        try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, ref, options, credentials)) {
            return at.client().headManifest(at.reference().repository(), at.reference().identifier())
                    .orElseThrow(() -> new NotFoundException("image not found: " + ref));
        }
    }

    /** Evaluates the trust policy for {@code ref} without pulling: its digest (HEAD) and its signatures. */
    public ImageTrust.Evaluation verify(Reference ref, RegistryOptions options) {
        return verify(ref, Platform.host(), options);
    }

    /** As {@link #verify(Reference, RegistryOptions)}; for an index, of its image for {@code platform}, which pull checks. */
    public ImageTrust.Evaluation verify(Reference ref, Platform platform, RegistryOptions options) {
        Descriptor d = digest(ref, options);
        if (MediaTypes.isIndex(d.mediaType())) {
            try (RegistryEndpoint at = RegistryEndpoint.reading(mirrors, ref, options, credentials)) {
                d = at.client().getManifest(at.reference().repository(), d.digest()).index().select(platform);
            }
        }
        return trust.evaluate(ref, d.parsedDigest(), RegistryAttachments.opening(mirrors, options, credentials));
    }

    /**
     * Signs that {@code digest} in {@code target}'s repository is {@code identity} with a cosign key; the
     * signature is appended to the {@code sha256-HEX.sig} tag there. Returns that tag.
     */
    public String signAttached(CosignSigner signer, Reference target, String identity, Digest digest, String creator,
                               RegistryOptions options) {
        try (RegistryEndpoint at = RegistryEndpoint.writing(mirrors, target, options, credentials)) {
            return trust.signAttached(at.client(), signer, target, identity, digest, creator);
        }
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
                                   RegistryOptions targetOptions, Platform platform, boolean all,
                                   ImagePusher.Listener listener) {
        return new Copies(credentials, mirrors, trust).copy(source, sourceOptions, target, targetOptions, platform,
                all, listener);
    }

    /**
     * As {@link #exportOci(Reference, RegistryOptions, Platform, Path, String)}; with {@code all}
     * and an index, every image of the index and the index itself (byte for byte, same digest) are written,
     * and {@code tag} names the index. Returns the descriptor of what {@code tag} names.
     */
    public Descriptor exportOci(Reference source, RegistryOptions options, Platform platform, Path dir,
                                String tag, boolean all) {
        return all ? new Copies(credentials, mirrors, trust).exportAll(source, options, platform, dir, tag)
                : exportOci(source, options, platform, dir, tag);
    }

    /** Writes the image for {@code platform} into the OCI layout {@code dir} (created or added to) as {@code tag}. */
    public Descriptor exportOci(Reference source, RegistryOptions options, Platform platform, Path dir, String tag) {
        return pulls().exportOci(source, options, platform, dir, tag);
    }

    /** Writes the image for {@code platform} as a docker-archive tarball ({@code docker load}) named {@code repoTags}. */
    public Descriptor exportTar(Reference source, RegistryOptions options, Platform platform, Path file,
                                List<String> repoTags) {
        return pulls().exportTar(source, options, platform, file, repoTags);
    }

    /** Checks {@code credentials} against {@code registry} (a name as in references, e.g. {@code docker.io}). */
    public void checkLogin(String registry, Credentials credentials, RegistryOptions options) {
        Reference any = new Reference(registry, "library/krgo", Reference.DEFAULT_TAG, null);
        try (RegistryClient client = new RegistryClient(any.endpointHost(), options, credentials)) {
            client.checkLogin();
        }
    }

    /**
     * Removes from the content store the blobs no pulled rootfs references any more and the temp files of
     * killed writers (see {@link ContentStoreGc}).
     */
    public ContentStoreGc.Freed pruneStore() {
        return new ContentStoreGc(store).collect();
    }

    /**
     * Runtime configs (OCI config.json, .nspawn, LXC) for rootfs directories this krgo pulled; without root,
     * OCI configs have a user namespace of their own that maps only the caller (runc's rootless mode).
     */
    public RuntimeConfigs runtimeConfigs() {
        RuntimeConfigs configs = RuntimeConfigs.forThisHost(store);
        if (ApplyOptions.isRoot()) {
            return configs;
        }
        IdMapping me = IdMapping.forThisProcess();
        return configs.rootlessBundle(me.uid(), me.gid());
    }

    /**
     * Runtime configs for {@code rootfs} with the rootless choice made by the caller ({@code config
     * --rootless/--no-rootless}): rootless, the OCI config's own user namespace maps one id to root: the
     * caller, or, for root, the owner of {@code rootfs} (a user's rootless pull is all that user's, so the
     * config is the one that user would get; root's own pull gives uid 0).
     */
    public RuntimeConfigs runtimeConfigs(Path rootfs, boolean rootless) {
        RuntimeConfigs configs = RuntimeConfigs.forThisHost(store);
        if (!rootless) {
            return configs;
        }
        if (!ApplyOptions.isRoot()) {
            IdMapping me = IdMapping.forThisProcess();
            return configs.rootlessBundle(me.uid(), me.gid());
        }
        Path dir = RootfsLayout.of(rootfs).dir();
        try {
            return configs.rootlessBundle(
                    ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue(),
                    ((Number) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue());
        } catch (IOException e) {
            throw new NotFoundException("no rootfs directory " + dir);
        }
    }

    /**
     * Creates a container for {@code request} (not started): the image unpacked once into {@code state} (pulled
     * as its pull policy says) under a fresh overlay, or the rootfs in place. {@code warn} gets one-line notes.
     */
    public Container createContainer(RunRequest request, StateDir state, ProgressListener progress,
                                     Consumer<String> warn) {
        OciRuntime runtime = OciRuntime.find(request.runtime());
        boolean inPlace = request.rootfs() != null;
        Containers containers = new Containers(state);
        // while an image is pulled, its container's seccomp section is converted on another thread
        AtomicReference<RuntimeConfigs> configs = new AtomicReference<>(runtimeConfigs());
        Path rootfs = inPlace ? RootfsLayout.of(request.rootfs()).dir()
                : new ImageCache(this, state, containers.userNamespace()).rootfs(request, progress,
                        () -> configs.set(configs.get().preloading(request.options())));
        return containers.create(inPlace ? rootfs.toString() : request.image().toString(),
                rootfs, inPlace, request.options(), configs.get(), runtime, warn);
    }

    /** Runs a container to its end (no standard input) and returns its exit status; removes it when {@code remove}. */
    public int run(RunRequest request, StateDir state, boolean remove) throws InterruptedException {
        Container c = createContainer(request, state, ProgressListener.NONE, w -> { });
        try {
            c.start(false);
            return c.waitFor();
        } finally {
            if (remove) {
                c.remove();
            }
        }
    }

    private Pulls pulls() {
        return new Pulls(store, credentials, mirrors, trust);
    }

    private Pushes pushes() {
        return new Pushes(store, credentials, mirrors);
    }

    @Override
    public void close() {
        // Nothing held between calls today; AutoCloseable so callers need not change when that changes.
    }
}
