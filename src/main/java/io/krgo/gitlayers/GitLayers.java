package io.krgo.gitlayers;

import io.krgo.error.FilesystemException;
import io.krgo.error.UsageException;
import io.krgo.image.ComposedImage;
import io.krgo.image.Compression;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Json;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.layer.AppliedChanges;
import io.krgo.layer.ContentTee;
import io.krgo.layer.FileInfo;
import io.krgo.layer.LayerBlob;
import io.krgo.layer.LayerChange;
import io.krgo.layer.LayerWriter;
import io.krgo.layer.LentAccess;
import io.krgo.layer.OwnerRead;
import io.krgo.layer.XattrReader;
import io.krgo.rootfs.LayerListener;
import io.krgo.store.BlobStore;
import io.krgo.store.StoredLayer;
import io.krgo.tar.ByteNames;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A rootfs directory kept as git branches, one per layer ({@code pull -g}), and {@code commit} of its
 * changes as a new layer.
 *
 * <p>Everything lives beside the rootfs, never inside it: {@code DIR/../.DIR.krgo/}
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
 * layer's branch is made on other threads while the next layer is applied; the last layer's
 * {@link #layerApplied} returns when everything is recorded.
 */
public final class GitLayers implements LayerListener {
    private static final Pattern BRANCH = Pattern.compile("layer_(\\d+)_([0-9a-f]{12})");
    private static final int PACK_COMPRESSION_LEVEL = 0;
    /**
     * JGit hashes with a collision-detecting pure-Java SHA-1 unless this system property is
     * {@code jdkNative}; the JDK's intrinsic SHA-1 halves pull -g's cost. Collision detection guards against
     * crafted objects from untrusted remotes; here every object is hashed from local content. The
     * launcher should set it (only the application may change JVM-wide settings; this class does not).
     */
    public static final String JGIT_SHA1_PROPERTY = "org.eclipse.jgit.util.sha1.implementation";
    /** Threads that read what a layer wrote (lstat, xattrs) while the applier waits: every core is free. */
    private static final int STAT_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private static final PersonIdent IDENT_TEMPLATE = new PersonIdent("krgo", "krgo@localhost");

    private final BlobStore store;
    private final Path dir;
    /** The metadata directory: the final one, or the staged one while a pull is in progress. */
    private Path meta;
    private final XattrReader xattrs = new XattrReader();

    /**
     * Tree state during a pull, carried from one layer to the next; between {@link #begin} and the last
     * layer's {@link #layerApplied} only the finishing thread (see {@link Pull}) touches it and the head.
     */
    private TreeMap<String, Recorded> pullState;
    private ObjectId pullHead;
    private int pullLayers;
    /** The running pull's threads; null outside a pull. */
    private Pull pull;

    public GitLayers(BlobStore store, Path dir) {
        this.store = store;
        this.dir = dir.toAbsolutePath().normalize();
        this.meta = metadataDir(this.dir);
    }

    /** {@code DIR/../.DIR.krgo}: krgo's metadata for a rootfs, beside it so nothing leaks into layers. */
    public static Path metadataDir(Path dir) {
        return io.krgo.rootfs.RootfsLayout.of(dir).metaDir();
    }

    public Path gitDir() {
        return meta.resolve("git");
    }

    /** True when DIR was pulled with git layers. */
    public boolean exists() {
        return Files.isDirectory(gitDir()) && Files.isRegularFile(meta.resolve("manifest.json"));
    }

    // ---------------------------------------------------------------- pull

    /**
     * The pull sink's start: records into the staged metadata directory, which the sink moves to
     * {@code DIR/../.DIR.krgo} together with the rootfs; {@link #pullFinished} switches back to the final one.
     */
    @Override
    public void pullStarted(Image image, Path stagedMetaDir) {
        meta = stagedMetaDir.toAbsolutePath().normalize();
        begin(image);
    }

    /**
     * Starts recording a pull of {@code image}: replaces any earlier repository and metadata, keeps the
     * manifest and config exactly as given. Call before the first {@link #layerApplied}.
     */
    public void begin(Image image) {
        abandonPull();
        try {
            deleteTree(gitDir());
            deleteTree(meta.resolve("layers"));
            Files.createDirectories(meta.resolve("layers"));
            writeAtomically(meta.resolve("manifest.json"), image.rawManifest());
            writeAtomically(meta.resolve("config.json"), image.rawConfig());
        } catch (IOException e) {
            throw new FilesystemException("cannot create the git repository in " + meta + ": " + e.getMessage(), e);
        }
        pullState = new TreeMap<>();
        pullHead = null;
        pullLayers = image.layers().size();
        // Created on the finishing thread, JGit's start-up off the pull's path and out of the blob thread's
        // way: packs are written beside the repository and moved in when complete.
        Path git = gitDir();
        pull = new Pull(git, this);
    }

    /** Sees every file's content as the pull writes it, so its blob needs no second read (see {@link BlobTee}). */
    @Override
    public ContentTee contentTee() {
        return pull == null ? null : pull.tee;
    }

    /**
     * Records layer {@code index}: what the layer wrote is read (lstat, xattrs) now, while the tree is as the
     * layer left it; the branch (trees, commit, the pack of the layer's blobs) and the metadata file are made
     * on another thread while the next layer is applied. The last layer's call returns when all is recorded.
     */
    @Override
    public void layerApplied(int index, Layer layer, Path root, AppliedChanges changes) throws IOException {
        if (pullState == null || pull == null) {
            throw new IllegalStateException("begin(image) must be called before the first layer");
        }
        boolean last = index >= pullLayers - 1;
        Pull p = pull;
        try {
            p.throwIfFailed();
            List<String> removed = changes.removed().stream().map(GitLayers::normalize).toList();
            Set<String> unique = new LinkedHashSet<>();
            changes.written().forEach(w -> {
                String n = normalize(w);
                if (!n.isEmpty()) {
                    unique.add(n);
                }
            });
            List<String> written = new ArrayList<>(unique);
            // lstat + xattrs of every written path on all cores; null: written, then removed again later in
            // the same layer.
            FileInfo[] infos = new FileInfo[written.size()];
            parallel(p.stats, STAT_THREADS, written.size(), i -> infos[i] = readIfExists(root, written.get(i)));
            feedUnseen(p.tee, root, written, infos);
            Future<BlobTee.LayerBlobs> blobs = p.tee.endLayer();
            p.finishing.add(p.finisher.submit(() -> {
                finishLayer(p, index, layer, root, written, removed, infos, blobs, last);
                return null;
            }));
            if (last) {
                p.awaitAll();
                p.close();
                pull = null;
            }
        } catch (IOException | RuntimeException | Error e) {
            abandonPull();
            throw e;
        }
    }

    /**
     * Regular files whose content the tee did not see (no tee was asked for, or a path was written by other
     * means) go through it now, from disk; names of one inode share the first name's blob.
     */
    private static void feedUnseen(BlobTee tee, Path root, List<String> written, FileInfo[] infos) throws IOException {
        Map<String, String> nameOfInode = new HashMap<>();
        byte[] buf = null;
        for (int i = 0; i < infos.length; i++) {
            FileInfo f = infos[i];
            String path = written.get(i);
            if (f == null || f.type() != FileInfo.Type.FILE || tee.touched(path)) {
                continue;
            }
            if (f.hardlinked()) {
                String first = nameOfInode.putIfAbsent(f.dev() + ":" + f.ino(), path);
                if (first != null) {
                    tee.linked(path, first);
                    continue;
                }
            }
            tee.file(path, f.size());
            if (buf == null) {
                buf = new byte[256 * 1024];
            }
            try (InputStream in = OwnerRead.open(ByteNames.resolve(root, path))) {
                long left = f.size();
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) {
                        throw new FilesystemException("'" + path + "' shrank while it was recorded in git");
                    }
                    tee.content(buf, 0, n);
                    left -= n;
                }
            }
        }
    }

    /** On the finishing thread, layer by layer: the state after the layer, its branch and its metadata file. */
    private void finishLayer(Pull p, int index, Layer layer, Path root, List<String> written, List<String> removed,
                             FileInfo[] infos, Future<BlobTee.LayerBlobs> blobsDone, boolean last) throws IOException {
        BlobTee.LayerBlobs blobs = await(blobsDone);
        PackWriter pack = blobs.pack() != null ? blobs.pack() : new PackWriter(p.gitDir, p.packDir, p.known, -1);
        try {
            // Links to paths this layer did not touch take the blob recorded below, before this layer changes it.
            Map<String, String> prior = new HashMap<>();
            blobs.priorLinks().forEach((path, target) -> {
                Recorded r = pullState.get(target);
                if (r != null && r.blob() != null) {
                    prior.put(path, r.blob());
                }
            });
            for (String r : removed) {
                removeSubtree(pullState, r);
            }
            for (int i = 0; i < written.size(); i++) {
                String path = written.get(i);
                FileInfo f = infos[i];
                if (f == null) {
                    removeSubtree(pullState, path);
                    continue;
                }
                addMissingAncestors(root, path);
                if (f.type() == FileInfo.Type.SOCKET) {
                    continue; // not representable in a layer
                }
                if (f.type() != FileInfo.Type.DIR) {
                    removeSubtree(pullState, path);
                }
                String blob = null;
                if (f.type() == FileInfo.Type.FILE) {
                    ObjectId id = blobs.ids().get(path);
                    blob = id != null ? id.name() : prior.get(path);
                    if (blob == null) {
                        throw new IllegalStateException("no content was recorded for '" + path + "'");
                    }
                } else if (f.type() == FileInfo.Type.SYMLINK) {
                    blob = pack.insert(Constants.OBJ_BLOB, ByteNames.encode(f.linkTarget())).name();
                }
                pullState.put(path, new Recorded(f, blob));
            }
            Repository repo = p.repository(this);
            org.eclipse.jgit.internal.storage.file.ObjectDirectory db = ((FileRepository) repo).getObjectDatabase();
            for (Path full : blobs.finished()) {
                db.openPack(full.toFile());
            }
            pack.registerIn(db);
            Digest digest = layer.descriptor().parsedDigest();
            String branch = "layer_" + index + "_" + digest.shortHex();
            // The on-disk index only matters for the checked-out (last) layer.
            pullHead = commitTree(repo, pack, pullState, pullHead, branch,
                    "layer " + index + ": " + digest + "\n", Instant.now(), last);
        } finally {
            pack.close();
        }
        writeLayerRecord(index, layer.descriptor(), layer.diffId().orElse(null));
        if (!last) {
            // Written beside the next layer's branch; the last state is written by pullFinished, once the sink
            // has set the directories' final metadata.
            TreeMap<String, Recorded> snapshot = new TreeMap<>(pullState);
            Path tsv = meta.resolve("layers").resolve(index + ".tsv");
            p.metaWrites.add(p.metaWriter.submit(() -> {
                MetaFile.write(tsv, snapshot);
                return null;
            }));
        }
    }

    /** One pull's threads and shared state: the blob tee, the stat pool and the finishing thread. */
    private static final class Pull {
        final Path packDir;
        final Path gitDir;
        /** Every object id stored so far: a blob or tree seen twice is stored once. */
        final Set<ObjectId> known = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final BlobTee tee;
        final ExecutorService stats = newPool(STAT_THREADS, "krgo-git-stat");
        final ExecutorService finisher = newPool(1, "krgo-git-commit");
        final ExecutorService metaWriter = newPool(1, "krgo-git-meta");
        /** Written by the finishing thread, awaited after it. */
        final List<Future<?>> metaWrites = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Future<?>> finishing = new ArrayList<>();
        /** Opened by the finishing thread for the whole pull. */
        private Repository repo;

        Pull(Path gitDir, GitLayers owner) {
            this.gitDir = gitDir;
            this.packDir = gitDir.resolve("objects").resolve("pack");
            Future<?> created = finisher.submit(() -> {
                repo = owner.openRepository(gitDir, true);
                return null;
            });
            finishing.add(created);
            this.tee = new BlobTee(gitDir, packDir, known, created);
        }

        Repository repository(GitLayers owner) throws IOException {
            if (repo == null) {
                repo = owner.openRepository(gitDir, false);
            }
            return repo;
        }

        /** Fails fast with what failed on the finishing thread, without waiting for what still runs. */
        void throwIfFailed() throws IOException {
            for (Future<?> f : finishing) {
                if (f.isDone()) {
                    await(f);
                }
            }
        }

        void awaitAll() throws IOException {
            for (Future<?> f : finishing) {
                await(f);
            }
            finishing.clear();
            for (Future<?> f : List.copyOf(metaWrites)) {
                await(f);
            }
            metaWrites.clear();
        }

        void close() {
            tee.shutdown();
            stats.shutdownNow();
            finisher.submit(() -> {
                if (repo != null) {
                    repo.close();
                }
            });
            finisher.shutdown();
            metaWriter.shutdown();
        }

        void abandon() {
            tee.abandon();
            stats.shutdownNow();
            finisher.shutdownNow();
            metaWriter.shutdownNow();
        }
    }

    private void abandonPull() {
        if (pull != null) {
            pull.abandon();
            pull = null;
        }
    }

    private interface IndexedTask {
        void run(int item) throws IOException;
    }

    /** Runs {@code task} for items 0..count-1 on {@code workers} threads. */
    private static void parallel(ExecutorService pool, int workers, int count, IndexedTask task) throws IOException {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < Math.min(workers, count); w++) {
            running.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    task.run(i);
                }
                return null;
            }));
        }
        for (Future<?> f : running) {
            await(f);
        }
    }

    private static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while recording git layers");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }

    /** Daemon threads that also end when idle: a failed pull never tells the listener, its pools just stop. */
    private static ExecutorService newPool(int threads, String name) {
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(threads, threads,
                5, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private FileInfo readIfExists(Path root, String path) {
        try {
            return FileInfo.read(root, path, xattrs);
        } catch (FilesystemException e) {
            if (e.getCause() instanceof java.nio.file.NoSuchFileException) {
                return null;
            }
            throw e;
        }
    }

    /**
     * Re-reads the directories of the last layer's state from the final DIR: a pull sink sets directory
     * mtimes after the last layer (and renames the staging directory), so what was seen per layer is
     * stale for directories only. Files keep their inode across the rename, so their records stay valid.
     */
    @Override
    public void pullFinished(Path target) throws IOException {
        if (pull != null) {
            // Every layer's call normally ends the pull; a caller that stops early gets what was recorded.
            Pull p = pull;
            pull = null;
            try {
                p.awaitAll();
            } finally {
                p.close();
            }
        }
        meta = metadataDir(target);
        if (pullState == null || pullState.isEmpty() && pullHead == null) {
            return;
        }
        int last = pullLayers - 1;
        try (LentAccess lent = LentAccess.open(target)) { // a rootless tree's dirs of mode 0000 hide what is below
            for (Map.Entry<String, Recorded> e : pullState.entrySet()) {
                if (e.getValue().info().type() == FileInfo.Type.DIR) {
                    e.setValue(new Recorded(FileInfo.read(target, e.getKey(), xattrs), null));
                }
            }
        }
        MetaFile.write(meta.resolve("layers").resolve(last + ".tsv"), pullState);
    }

    /** Tolerates tar-style spellings ("./a", "a/") of the contract's plain relative paths. */
    private static String normalize(String path) {
        String p = path;
        while (p.startsWith("./")) {
            p = p.substring(2);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.equals(".") ? "" : p;
    }

    private void addMissingAncestors(Path root, String path) {
        int slash = path.indexOf('/');
        while (slash > 0) {
            String parent = path.substring(0, slash);
            if (!pullState.containsKey(parent)) {
                pullState.put(parent, new Recorded(FileInfo.read(root, parent, xattrs), null));
            }
            slash = path.indexOf('/', slash + 1);
        }
    }

    // ---------------------------------------------------------------- queries

    /** The layer branches in layer order (numeric, so layer_10 follows layer_9). */
    public List<String> branches() {
        try (Repository repo = openRepository(false)) {
            List<String> names = new ArrayList<>();
            for (Ref r : repo.getRefDatabase().getRefsByPrefix(Constants.R_HEADS)) {
                String name = r.getName().substring(Constants.R_HEADS.length());
                if (BRANCH.matcher(name).matches()) {
                    names.add(name);
                }
            }
            names.sort(Comparator.comparingInt(GitLayers::layerNumber));
            return List.copyOf(names);
        } catch (IOException e) {
            throw new FilesystemException("cannot read the git repository " + gitDir() + ": " + e.getMessage(), e);
        }
    }

    /** The checked-out branch (HEAD's target). */
    public String currentBranch() {
        try (Repository repo = openRepository(false)) {
            return repo.getBranch();
        } catch (IOException e) {
            throw new FilesystemException("cannot read the git repository " + gitDir() + ": " + e.getMessage(), e);
        }
    }

    /** The image as recorded: original layers and committed ones, for push. */
    public Image image() {
        requireExists();
        byte[] rawManifest = read(meta.resolve("manifest.json"));
        byte[] rawConfig = read(meta.resolve("config.json"));
        Manifest manifest = Manifest.parse(rawManifest, null);
        List<Digest> diffIds = ImageConfig.parse(rawConfig).diffIds();
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            layers.add(new StoredLayer(store, manifest.layers().get(i), i < diffIds.size() ? diffIds.get(i) : null));
        }
        return new ComposedImage(rawManifest, null, rawConfig, layers);
    }

    private static int layerNumber(String branch) {
        Matcher m = BRANCH.matcher(branch);
        if (!m.matches()) {
            throw new UsageException("branch '" + branch + "' is not a krgo layer branch (layer_N_HEX)");
        }
        return Integer.parseInt(m.group(1));
    }

    // ---------------------------------------------------------------- commit

    /**
     * Turns DIR's changes since the checked-out (last) layer into a new layer: written into the content
     * store, appended to config and manifest, recorded as branch {@code layer_<n+1>_<hex>} (checked out).
     *
     * @throws UsageException when nothing changed, when DIR has no git layers, or HEAD is not the last layer
     */
    public CommitResult commit(String message, CommitOptions options) throws IOException {
        requireExists();
        // One commit at a time per rootfs: two would both build on the same parent and race for the image files.
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(meta.resolve("commit.lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             java.nio.channels.FileLock lock = tryLock(ch)) {
            if (lock == null) {
                throw new FilesystemException("another krgo commit is running on " + dir);
            }
            try (LentAccess lent = LentAccess.open(dir)) { // a rootless tree's dirs of mode 0000 hide what is below
                return commitLocked(message, options);
            }
        }
    }

    private static java.nio.channels.FileLock tryLock(java.nio.channels.FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException heldInThisJvm) {
            return null;
        }
    }

    private CommitResult commitLocked(String message, CommitOptions options) throws IOException {
        byte[] rawManifest = read(meta.resolve("manifest.json"));
        byte[] rawConfig = read(meta.resolve("config.json"));
        Manifest manifest = Manifest.parse(rawManifest, null);
        int last = manifest.layers().size() - 1;
        String head = currentBranch();
        int n = layerNumber(head);
        if (n != last) {
            throw new UsageException("HEAD is on " + head + " but the image's last layer is " + last
                    + "; check out the last layer branch before committing");
        }
        TreeMap<String, Recorded> old = MetaFile.read(meta.resolve("layers").resolve(n + ".tsv"));
        try (Repository repo = openRepository(false); PackInserter ins = packInserter(repo)) {
            List<FileInfo> deferred = new ArrayList<>();
            TreeMap<String, Recorded> now = scan(old, ins, deferred);
            List<LayerChange> changes = diff(old, now);
            if (changes.isEmpty()) {
                throw new UsageException("nothing to commit: " + dir.getFileName() + " is unchanged since " + head);
            }
            String layerType = layerMediaType(manifest.mediaType(), options.layer().compression());
            LayerBlob blob = writeLayerWhileHashing(ins, deferred, now, changes, options);

            Instant created = options.created() != null ? options.created() : Instant.now();
            String createdText = DateTimeFormatter.ISO_INSTANT.format(created.atOffset(ZoneOffset.UTC));
            ImageConfig config = ImageConfig.parse(rawConfig).withLayer(blob.diffId(), createdText, "krgo commit",
                    message);
            byte[] newConfig = config.toJson();
            Digest configDigest = Digest.sha256(newConfig);
            store.put(configDigest, newConfig.length, new java.io.ByteArrayInputStream(newConfig));
            Descriptor layerDesc = new Descriptor(layerType, blob.digest(), blob.size());
            List<Descriptor> layers = new ArrayList<>(manifest.layers());
            layers.add(layerDesc);
            Descriptor configDesc = new Descriptor(manifest.config().mediaType(), configDigest, newConfig.length);
            Manifest newManifest = new Manifest(2, manifest.mediaType(), manifest.artifactType(), configDesc, layers,
                    null, manifest.annotations());
            byte[] newRaw = newManifest.toJson();
            Digest manifestDigest = Digest.sha256(newRaw);
            store.put(manifestDigest, newRaw.length, new java.io.ByteArrayInputStream(newRaw));

            String branch = "layer_" + (n + 1) + "_" + blob.digest().shortHex();
            ObjectId parent = repo.resolve(Constants.HEAD);
            commitTree(repo, ins, now, parent, branch, message + "\n", created, true);
            writeLayerRecord(n + 1, layerDesc, blob.diffId());
            MetaFile.write(meta.resolve("layers").resolve((n + 1) + ".tsv"), now);
            // The image files last: until they change, the previous image is still the recorded one.
            writeAtomically(meta.resolve("config.json"), newConfig);
            writeAtomically(meta.resolve("manifest.json"), newRaw);
            return new CommitResult(branch, configDigest, manifest.config().parsedDigest(), blob.digest(),
                    blob.size(), blob.diffId());
        }
    }

    /**
     * Writes the layer while another thread puts the {@code deferred} files into the git pack (filling in
     * their blobs in {@code now}) and finishes the pack, which JGit reads back whole for its checksum: done
     * in turn, these cost the commit ~0.5 s per 100 MB of new files. The trees and the commit go into a
     * second, small pack later. A failed layer leaves the blob pack unreferenced (git gc removes it).
     */
    private LayerBlob writeLayerWhileHashing(PackInserter ins, List<FileInfo> deferred, TreeMap<String, Recorded> now,
                                             List<LayerChange> changes, CommitOptions options) throws IOException {
        java.util.concurrent.FutureTask<Map<String, String>> hashing = new java.util.concurrent.FutureTask<>(() -> {
            Map<String, String> blobs = new HashMap<>();
            for (FileInfo f : deferred) {
                blobs.put(f.path(), insertFile(ins, ByteNames.resolve(dir, f.path()), f.size()));
            }
            ins.flush();
            return blobs;
        });
        Thread t = new Thread(hashing, "krgo-git-blobs");
        t.setDaemon(true);
        t.start();
        LayerBlob blob;
        try {
            blob = new LayerWriter(store, xattrs).write(dir, changes, options.layer());
        } finally {
            awaitUninterruptibly(t); // the inserter is used again (or closed) only after this
        }
        Map<String, String> blobs;
        try {
            blobs = hashing.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while writing the git pack");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(c);
        }
        for (FileInfo f : deferred) {
            now.put(f.path(), new Recorded(f, blobs.get(f.path())));
        }
        return blob;
    }

    private static void awaitUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static String layerMediaType(String manifestType, Compression c) {
        boolean docker = MediaTypes.DOCKER_MANIFEST.equals(manifestType);
        return switch (c) {
            case GZIP -> docker ? MediaTypes.DOCKER_LAYER_GZIP : MediaTypes.OCI_LAYER_GZIP;
            case NONE -> docker ? "application/vnd.docker.image.rootfs.diff.tar" : MediaTypes.OCI_LAYER;
            case ZSTD -> {
                if (docker) {
                    throw new UsageException("zstd layers need an OCI image; this image has a Docker manifest, "
                            + "use gzip");
                }
                yield MediaTypes.OCI_LAYER_ZSTD;
            }
            default -> throw new UsageException("choose a layer compression: gzip, zstd or none");
        };
    }

    /**
     * DIR's current state; content is hashed only where the cheap stat comparison says it may differ. Files
     * that are new or whose metadata changed belong in the layer whatever their content: their blobs are
     * left for later ({@code deferred}, with a null blob in the result) so they can be hashed beside the
     * layer's writing.
     */
    private TreeMap<String, Recorded> scan(TreeMap<String, Recorded> old, ObjectInserter ins, List<FileInfo> deferred)
            throws IOException {
        TreeMap<String, Recorded> now = new TreeMap<>();
        List<String> paths = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                if (!d.equals(dir)) {
                    paths.add(relative(d));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                paths.add(relative(file));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                throw exc;
            }
        });
        for (String path : paths) {
            FileInfo f = FileInfo.read(dir, path, xattrs);
            if (f.type() == FileInfo.Type.SOCKET) {
                continue; // a tar cannot hold a socket; a running container's sockets are not image content
            }
            Recorded before = old.get(path);
            String blob = null;
            if (f.type() == FileInfo.Type.FILE) {
                if (before != null && before.blob() != null && before.info().sameStat(f)) {
                    blob = before.blob();
                } else if (before == null || before.info().type() != f.type() || !f.sameMetadata(before.info())) {
                    deferred.add(f); // added to the layer by diff() without looking at its blob
                } else {
                    blob = insertFile(ins, ByteNames.resolve(dir, path), f.size()); // diff() compares the content
                }
            } else if (f.type() == FileInfo.Type.SYMLINK) {
                blob = ins.insert(Constants.OBJ_BLOB, ByteNames.encode(f.linkTarget())).name();
            }
            now.put(path, new Recorded(f, blob));
        }
        return now;
    }

    private String relative(Path p) {
        return ByteNames.relative(dir, p);
    }

    /** The layer entries that turn {@code old} into {@code now}. */
    static List<LayerChange> diff(SortedMap<String, Recorded> old, SortedMap<String, Recorded> now) {
        Set<String> added = new TreeSet<>();
        Set<String> whiteouts = new TreeSet<>();
        for (Map.Entry<String, Recorded> e : now.entrySet()) {
            Recorded before = old.get(e.getKey());
            FileInfo f = e.getValue().info();
            if (before == null) {
                added.add(e.getKey());
            } else if (before.info().type() != f.type()) {
                whiteouts.add(e.getKey()); // the old object (maybe a whole directory) goes first
                added.add(e.getKey());
            } else if (!f.sameMetadata(before.info())
                    || !java.util.Objects.equals(before.blob(), e.getValue().blob())) {
                // Directories too: a changed mtime (a child came or went) is part of reproducing DIR exactly.
                added.add(e.getKey());
            }
        }
        for (String path : old.keySet()) {
            if (!now.containsKey(path)) {
                whiteouts.add(path);
            }
        }
        // A whiteout below an already whited-out (deleted or replaced) path is redundant.
        whiteouts.removeIf(p -> hasAncestorIn(p, whiteouts));

        // Opaque directory: every old child of a surviving directory is gone and at least two would need
        // whiteouts; one marker is smaller and also says "replaced wholesale".
        Map<String, List<String>> oldChildren = new HashMap<>();
        for (String p : old.keySet()) {
            oldChildren.computeIfAbsent(parent(p), k -> new ArrayList<>()).add(p);
        }
        Set<String> opaque = new TreeSet<>();
        for (Map.Entry<String, List<String>> e : oldChildren.entrySet()) {
            String d = e.getKey();
            if (d.isEmpty() || whiteouts.contains(d) || hasAncestorIn(d, whiteouts)) {
                continue;
            }
            Recorded nowDir = now.get(d);
            if (nowDir == null || nowDir.info().type() != FileInfo.Type.DIR) {
                continue;
            }
            List<String> kids = e.getValue();
            if (kids.size() >= 2 && kids.stream().noneMatch(now::containsKey)
                    && kids.stream().allMatch(whiteouts::contains)) {
                opaque.add(d);
            }
        }
        whiteouts.removeIf(p -> opaque.contains(parent(p)));

        // Hardlink groups: a link in the layer needs every name of its inode in the layer too.
        Map<String, List<String>> namesOfInode = new HashMap<>();
        for (Recorded r : now.values()) {
            if (r.info().hardlinked()) {
                namesOfInode.computeIfAbsent(r.info().dev() + ":" + r.info().ino(), k -> new ArrayList<>())
                        .add(r.info().path());
            }
        }
        for (String p : new ArrayList<>(added)) {
            FileInfo f = now.get(p).info();
            if (f.hardlinked()) {
                added.addAll(namesOfInode.getOrDefault(f.dev() + ":" + f.ino(), List.of()));
            }
        }

        List<LayerChange> out = new ArrayList<>();
        opaque.forEach(p -> out.add(new LayerChange.Opaque(p)));
        whiteouts.forEach(p -> out.add(new LayerChange.Whiteout(p)));
        added.forEach(p -> out.add(new LayerChange.Add(p)));
        return out;
    }

    private static boolean hasAncestorIn(String path, Set<String> set) {
        for (String p = parent(path); !p.isEmpty(); p = parent(p)) {
            if (set.contains(p)) {
                return true;
            }
        }
        return false;
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    // ---------------------------------------------------------------- git plumbing

    private Repository openRepository(boolean create) throws IOException {
        return openRepository(gitDir(), create);
    }

    private Repository openRepository(Path gitDir, boolean create) throws IOException {
        if (create) {
            // Created bare, then pointed at DIR: creating a non-bare repository would create DIR itself,
            // which a pull only creates by its final rename.
            // JGit probes whether the file system keeps an executable bit, and asks a shell for the umask to
            // do so (a fork and exec, ~0.1 s); any usual umask gives the same answer, so it is given one.
            org.eclipse.jgit.util.FS fs = org.eclipse.jgit.util.FS.DETECTED.newInstance();
            if (fs instanceof org.eclipse.jgit.util.FS_POSIX posix) {
                posix.setUmask(0022);
            }
            try (Repository bare = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setFS(fs).setBare().build()) {
                bare.create(true);
                StoredConfig cfg = bare.getConfig();
                cfg.setBoolean("core", null, "bare", false);
                // Relative, so moving DIR together with its metadata keeps `git --git-dir=... status` working.
                cfg.setString("core", null, "worktree", "../../" + dir.getFileName());
                cfg.setBoolean("core", null, "filemode", true);
                cfg.setBoolean("core", null, "symlinks", true);
                cfg.setBoolean("gc", null, "auto", false);
                cfg.save();
            }
        }
        return new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setWorkTree(dir.toFile())
                .setMustExist(true).build();
    }

    private static PackInserter packInserter(Repository repo) {
        // One pack per layer instead of one loose object file per path: far fewer files and syscalls.
        // Stored, not deflated: deflating every blob single-threaded made pull -g ~2-3x slower than a plain
        // pull (measured: 340 MB / 14k files, extract ~1.2-5 s, level 1 +11 s, level 0 +5 s). The repository
        // is then about the size of the content; `git gc` compacts it when space matters more than time.
        PackInserter ins = ((FileRepository) repo).getObjectDatabase().newPackInserter();
        ins.checkExisting(true);
        ins.setCompressionLevel(PACK_COMPRESSION_LEVEL);
        return ins;
    }

    private static String insertFile(ObjectInserter ins, Path file, long size) throws IOException {
        try (InputStream in = OwnerRead.open(file)) {
            return ins.insert(Constants.OBJ_BLOB, size, in).name();
        }
    }

    /** Builds the index from {@code state}, writes tree + commit, points {@code branch} and HEAD at it. */
    private ObjectId commitTree(Repository repo, ObjectInserter ins, SortedMap<String, Recorded> state,
                                ObjectId parent, String branch, String message, Instant when, boolean writeIndex)
            throws IOException {
        DirCache index = writeIndex ? DirCache.lock(repo.getIndexFile(), repo.getFS()) : DirCache.newInCore();
        try {
            DirCacheBuilder builder = index.builder();
            for (Recorded r : state.values()) {
                if (r.blob() == null) {
                    continue;
                }
                DirCacheEntry e;
                try {
                    e = new DirCacheEntry(ByteNames.encode(r.info().path()));
                } catch (IllegalArgumentException invalid) {
                    continue; // e.g. a .git path component: kept in the metadata only (see class comment)
                }
                FileInfo f = r.info();
                e.setFileMode(f.type() == FileInfo.Type.SYMLINK ? FileMode.SYMLINK
                        : (f.mode() & 0100) != 0 ? FileMode.EXECUTABLE_FILE : FileMode.REGULAR_FILE);
                e.setObjectId(ObjectId.fromString(r.blob()));
                e.setLength(f.type() == FileInfo.Type.FILE ? f.size() : ByteNames.encode(f.linkTarget()).length);
                e.setLastModified(Instant.ofEpochSecond(0, f.mtime()));
                builder.add(e);
            }
            builder.finish();
            ObjectId tree = index.writeTree(ins);
            CommitBuilder c = new CommitBuilder();
            c.setTreeId(tree);
            if (parent != null) {
                c.setParentId(parent);
            }
            PersonIdent ident = new PersonIdent(IDENT_TEMPLATE, java.util.Date.from(when), TimeZone.getTimeZone("UTC"));
            c.setAuthor(ident);
            c.setCommitter(ident);
            c.setMessage(message);
            ObjectId commit = ins.insert(c);
            ins.flush();
            if (writeIndex) {
                index.write();
                if (!index.commit()) {
                    throw new FilesystemException("cannot update the git index in " + gitDir());
                }
            }
            RefUpdate ru = repo.updateRef(Constants.R_HEADS + branch);
            ru.setNewObjectId(commit);
            ru.setRefLogMessage("krgo: " + branch, false);
            check(ru.forceUpdate(), branch);
            RefUpdate head = repo.updateRef(Constants.HEAD);
            check(head.link(Constants.R_HEADS + branch), "HEAD");
            return commit;
        } finally {
            if (writeIndex) {
                index.unlock();
            }
        }
    }

    private void check(RefUpdate.Result r, String what) {
        switch (r) {
            case NEW, FORCED, FAST_FORWARD, NO_CHANGE -> { }
            default -> throw new FilesystemException("cannot update " + what + " in " + gitDir() + ": " + r);
        }
    }

    private void writeLayerRecord(int index, Descriptor descriptor, Digest diffId) throws IOException {
        Map<String, Object> rec = new java.util.LinkedHashMap<>();
        rec.put("descriptor", descriptor);
        if (diffId != null) {
            rec.put("diffId", diffId.toString());
        }
        Path f = meta.resolve("layers").resolve(index + ".json");
        Files.createDirectories(f.getParent());
        writeAtomically(f, Json.write(rec));
    }

    private static void removeSubtree(TreeMap<String, Recorded> state, String path) {
        state.remove(path);
        state.subMap(path + "/", path + "0").clear(); // '0' is the character after '/'
    }

    private void requireExists() {
        if (!exists()) {
            throw new UsageException(dir + " was not pulled with git layers (-g); nothing is recorded in " + meta);
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new FilesystemException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    private static void writeAtomically(Path p, byte[] bytes) throws IOException {
        Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
