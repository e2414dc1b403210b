package io.krgo.gitlayers;

import io.krgo.error.FilesystemException;
import io.krgo.error.UsageException;
import io.krgo.image.ComposedImage;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.layer.AppliedChanges;
import io.krgo.layer.ContentTee;
import io.krgo.layer.XattrReader;
import io.krgo.rootfs.LayerListener;
import io.krgo.rootfs.RootfsLayout;
import io.krgo.rootfs.RootfsMetadata;
import io.krgo.store.BlobStore;
import io.krgo.store.StoredLayer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A rootfs directory kept as git branches, one per layer ({@code pull -g}), and {@code commit} of its
 * changes as a new layer.
 *
 * <p>Everything lives beside the rootfs, never inside it, in {@code DIR/../.DIR.krgo/} ({@link RootfsMetadata}):
 * <ul>
 *   <li>{@code git/} — the repository (work tree = DIR, via a relative {@code core.worktree}); branch
 *       {@code layer_<n>_<12 hex of the layer digest>} per layer, each child of the previous, HEAD on the last.
 *       Branch numbers are not zero-padded; {@link #branches()} lists them in layer order.</li>
 *   <li>{@code layers/<n>.tsv} — the full tree state after layer n with everything git cannot hold
 *       (owners, modes, empty dirs, devices, fifos, xattrs, hardlink groups, mtimes); see {@link MetaFile}.</li>
 *   <li>{@code layers/<n>.json} — layer n's descriptor (digest, size, media type) and diff_id.</li>
 *   <li>{@code manifest.json}, {@code config.json} — the current image, exactly as pulled or committed; the
 *       layer blobs themselves are in the {@link BlobStore}.</li>
 * </ul>
 * A {@code .git} file or directory inside the image cannot be in a git tree (git and JGit refuse the
 * path component), so it is left out of the branches' trees; it is still recorded in the layer
 * metadata, stays in DIR and is carried by {@code commit} and {@code push} like any other path.
 * {@code .gitignore} files are ordinary content: the index is built by krgo, never by git's ignore rules.
 * The root directory itself is not tracked.
 *
 * <p>An instance serves one rootfs; it is not thread-safe (a pull calls the listener sequentially). During a
 * pull, file contents are hashed as the applier writes them ({@link #contentTee()}, {@link BlobTee}) and each
 * layer's branch is made on other threads while the next layer is applied ({@link GitPull}); the last layer's
 * {@link #layerApplied} returns when everything is recorded. {@link GitCommit} makes a new layer,
 * {@link TreeDiff} decides its entries, {@link LayerRepository} holds the branches.
 */
public final class GitLayers implements LayerListener {
    /**
     * JGit hashes with a collision-detecting pure-Java SHA-1 unless this system property is
     * {@code jdkNative}; the JDK's intrinsic SHA-1 halves pull -g's cost. Collision detection guards against
     * crafted objects from untrusted remotes; here every object is hashed from local content. The
     * launcher should set it (only the application may change JVM-wide settings; this class does not).
     */
    public static final String JGIT_SHA1_PROPERTY = "org.eclipse.jgit.util.sha1.implementation";

    private final BlobStore store;
    private final Path dir;
    /** The metadata directory: the final one, or the staged one while a pull is in progress. */
    private RootfsMetadata meta;
    private final XattrReader xattrs = new XattrReader();
    /** The pull being recorded, from {@link #begin} to {@link #pullFinished}; null otherwise. */
    private GitPull pull;

    public GitLayers(BlobStore store, Path dir) {
        this.store = store;
        this.dir = dir.toAbsolutePath().normalize();
        this.meta = RootfsMetadata.of(this.dir);
    }

    /** {@code DIR/../.DIR.krgo}: krgo's metadata for a rootfs, beside it so nothing leaks into layers. */
    public static Path metadataDir(Path dir) {
        return RootfsLayout.of(dir).metaDir();
    }

    public Path gitDir() {
        return meta.gitDir();
    }

    /** True when DIR was pulled with git layers. */
    public boolean exists() {
        return meta.hasGitLayers();
    }

    // ---------------------------------------------------------------- pull (see GitPull)

    /**
     * The pull sink's start: records into the staged metadata directory, which the sink moves to
     * {@code DIR/../.DIR.krgo} together with the rootfs; {@link #pullFinished} switches back to the final one.
     */
    @Override
    public void pullStarted(Image image, Path stagedMetaDir) {
        meta = new RootfsMetadata(stagedMetaDir);
        begin(image);
    }

    /**
     * Starts recording a pull of {@code image}: replaces any earlier repository and metadata, keeps the
     * manifest and config exactly as given. Call before the first {@link #layerApplied}.
     */
    public void begin(Image image) {
        if (pull != null) {
            pull.abandon();
            pull = null;
        }
        try {
            meta.resetGitLayers();
            meta.writeImage(image.rawManifest(), image.rawConfig());
        } catch (IOException e) {
            throw new FilesystemException("cannot create the git repository in " + meta.dir() + ": "
                    + e.getMessage(), e);
        }
        pull = new GitPull(dir, meta, xattrs, image.layers().size());
    }

    /** Sees every file's content as the pull writes it, so its blob needs no second read (see {@link BlobTee}). */
    @Override
    public ContentTee contentTee() {
        return pull == null ? null : pull.contentTee();
    }

    /**
     * Records layer {@code index}: what the layer wrote is read (lstat, xattrs) now, while the tree is as the
     * layer left it; the branch (trees, commit, the pack of the layer's blobs) and the metadata file are made
     * on another thread while the next layer is applied. The last layer's call returns when all is recorded.
     */
    @Override
    public void layerApplied(int index, Layer layer, Path root, AppliedChanges changes) throws IOException {
        if (pull == null) {
            throw new IllegalStateException("begin(image) must be called before the first layer");
        }
        pull.layerApplied(index, layer, root, changes);
    }

    /**
     * Re-reads the directories of the last layer's state from the final DIR: a pull sink sets directory
     * mtimes after the last layer (and renames the staging directory), so what was seen per layer is
     * stale for directories only.
     */
    @Override
    public void pullFinished(Path target) throws IOException {
        meta = RootfsMetadata.of(target);
        if (pull != null) {
            GitPull p = pull;
            pull = null;
            p.finish(target, meta);
        }
    }

    // ---------------------------------------------------------------- queries

    /** The layer branches in layer order (numeric, so layer_10 follows layer_9). */
    public List<String> branches() {
        try (LayerRepository repo = LayerRepository.open(gitDir(), dir, false)) {
            return repo.branches();
        } catch (IOException e) {
            throw new FilesystemException("cannot read the git repository " + gitDir() + ": " + e.getMessage(), e);
        }
    }

    /** The checked-out branch (HEAD's target). */
    public String currentBranch() {
        try (LayerRepository repo = LayerRepository.open(gitDir(), dir, false)) {
            return repo.currentBranch();
        } catch (IOException e) {
            throw new FilesystemException("cannot read the git repository " + gitDir() + ": " + e.getMessage(), e);
        }
    }

    /** The image as recorded: original layers and committed ones, for push. */
    public Image image() {
        requireExists();
        byte[] rawManifest = meta.rawManifest();
        byte[] rawConfig = meta.rawConfig();
        Manifest manifest = Manifest.parse(rawManifest, null);
        List<Digest> diffIds = ImageConfig.parse(rawConfig).diffIds();
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            layers.add(new StoredLayer(store, manifest.layers().get(i), i < diffIds.size() ? diffIds.get(i) : null));
        }
        return new ComposedImage(rawManifest, null, rawConfig, layers);
    }

    // ---------------------------------------------------------------- commit (see GitCommit)

    /**
     * Turns DIR's changes since the checked-out (last) layer into a new layer: written into the content
     * store, appended to config and manifest, recorded as branch {@code layer_<n+1>_<hex>} (checked out).
     *
     * @throws UsageException when nothing changed, when DIR has no git layers, or HEAD is not the last layer
     */
    public CommitResult commit(String message, CommitOptions options) throws IOException {
        requireExists();
        return new GitCommit(store, dir, meta, xattrs).commit(message, options);
    }

    private void requireExists() {
        if (!exists()) {
            throw new UsageException(dir + " was not pulled with git layers (-g); nothing is recorded in "
                    + meta.dir());
        }
    }
}
