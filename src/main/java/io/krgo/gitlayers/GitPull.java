package io.krgo.gitlayers;

import io.krgo.error.FilesystemException;
import io.krgo.image.Digest;
import io.krgo.image.Layer;
import io.krgo.layer.AppliedChanges;
import io.krgo.layer.ContentTee;
import io.krgo.layer.FileInfo;
import io.krgo.layer.LentAccess;
import io.krgo.layer.OwnerRead;
import io.krgo.layer.XattrReader;
import io.krgo.rootfs.RootfsMetadata;
import io.krgo.tar.ByteNames;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;

/**
 * One pull into layer branches: what each layer wrote is read (lstat, xattrs) as the layer leaves the tree, and
 * its branch (trees, commit, the pack of its blobs) and metadata file are made on other threads while the next
 * layer is applied. Called sequentially by {@link GitLayers}, the pull's listener.
 */
final class GitPull {
    private final Path dir;
    private final RootfsMetadata meta;
    private final XattrReader xattrs;
    private final int layers;
    /**
     * Tree state, carried from one layer to the next; until the last layer's {@link #layerApplied} only the
     * finishing thread (see {@link PullThreads}) touches it and the head.
     */
    private final TreeMap<String, Recorded> state = new TreeMap<>();
    private ObjectId head;
    /** The running pull's threads; null once the last layer is recorded or the pull failed. */
    private PullThreads threads;

    /** Starts recording a pull of {@code layers} layers into rootfs {@code dir}, its metadata in {@code meta}. */
    GitPull(Path dir, RootfsMetadata meta, XattrReader xattrs, int layers) {
        this.dir = dir;
        this.meta = meta;
        this.xattrs = xattrs;
        this.layers = layers;
        this.threads = new PullThreads(meta.gitDir(), dir);
    }

    /** Sees every file's content as the pull writes it (see {@link BlobTee}); null outside the layers. */
    ContentTee contentTee() {
        return threads == null ? null : threads.tee;
    }

    void layerApplied(int index, Layer layer, Path root, AppliedChanges changes) throws IOException {
        if (threads == null) {
            throw new IllegalStateException("begin(image) must be called before the first layer");
        }
        boolean last = index >= layers - 1;
        PullThreads p = threads;
        try {
            p.throwIfFailed();
            List<String> removed = changes.removed().stream().map(GitPull::normalize).toList();
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
            PullThreads.parallel(p.stats, PullThreads.STAT_THREADS, written.size(),
                    i -> infos[i] = readIfExists(root, written.get(i)));
            feedUnseen(p.tee, root, written, infos);
            Future<BlobTee.LayerBlobs> blobs = p.tee.endLayer();
            p.finishing.add(p.finisher.submit(() -> {
                finishLayer(p, index, layer, root, written, removed, infos, blobs, last);
                return null;
            }));
            if (last) {
                p.awaitAll();
                p.close();
                threads = null;
            }
        } catch (IOException | RuntimeException | Error e) {
            abandon();
            throw e;
        }
    }

    /** Stops the pull's threads; what they were doing is left unfinished. */
    void abandon() {
        if (threads != null) {
            threads.abandon();
            threads = null;
        }
    }

    /**
     * Re-reads the directories of the last layer's state from the final DIR ({@code target}) and writes it to
     * {@code finalMeta}: a pull sink sets directory mtimes after the last layer (and renames the staging
     * directory), so what was seen per layer is stale for directories only. Files keep their inode across the
     * rename, so their records stay valid.
     */
    void finish(Path target, RootfsMetadata finalMeta) throws IOException {
        if (threads != null) {
            // Every layer's call normally ends the pull; a caller that stops early gets what was recorded.
            PullThreads p = threads;
            threads = null;
            try {
                p.awaitAll();
            } finally {
                p.close();
            }
        }
        if (state.isEmpty() && head == null) {
            return;
        }
        try (LentAccess lent = LentAccess.open(target)) { // a rootless tree's dirs of mode 0000 hide what is below
            for (Map.Entry<String, Recorded> e : state.entrySet()) {
                if (e.getValue().info().type() == FileInfo.Type.DIR) {
                    e.setValue(new Recorded(FileInfo.read(target, e.getKey(), xattrs), null));
                }
            }
        }
        MetaFile.write(finalMeta.layerState(layers - 1), state);
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
    private void finishLayer(PullThreads p, int index, Layer layer, Path root, List<String> written,
                             List<String> removed, FileInfo[] infos, Future<BlobTee.LayerBlobs> blobsDone,
                             boolean last) throws IOException {
        BlobTee.LayerBlobs blobs = PullThreads.await(blobsDone);
        PackWriter pack = blobs.pack() != null ? blobs.pack() : new PackWriter(p.gitDir, p.packDir, p.known, -1);
        try {
            // Links to paths this layer did not touch take the blob recorded below, before this layer changes it.
            Map<String, String> prior = new HashMap<>();
            blobs.priorLinks().forEach((path, target) -> {
                Recorded r = state.get(target);
                if (r != null && r.blob() != null) {
                    prior.put(path, r.blob());
                }
            });
            for (String r : removed) {
                TreeDiff.removeSubtree(state, r);
            }
            for (int i = 0; i < written.size(); i++) {
                String path = written.get(i);
                FileInfo f = infos[i];
                if (f == null) {
                    TreeDiff.removeSubtree(state, path);
                    continue;
                }
                addMissingAncestors(root, path);
                if (f.type() == FileInfo.Type.SOCKET) {
                    continue; // not representable in a layer
                }
                if (f.type() != FileInfo.Type.DIR) {
                    TreeDiff.removeSubtree(state, path);
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
                state.put(path, new Recorded(f, blob));
            }
            LayerRepository repo = p.repository();
            repo.addPacks(blobs.finished(), pack);
            Digest digest = layer.descriptor().parsedDigest();
            String branch = LayerRepository.branchName(index, digest);
            // The on-disk index only matters for the checked-out (last) layer.
            head = repo.commitTree(pack, state, head, branch, "layer " + index + ": " + digest + "\n",
                    Instant.now(), last);
        } finally {
            pack.close();
        }
        meta.writeLayerRecord(index, layer.descriptor(), layer.diffId().orElse(null));
        if (!last) {
            // Written beside the next layer's branch; the last state is written by finish(), once the sink
            // has set the directories' final metadata.
            TreeMap<String, Recorded> snapshot = new TreeMap<>(state);
            Path tsv = meta.layerState(index);
            p.metaWrites.add(p.metaWriter.submit(() -> {
                MetaFile.write(tsv, snapshot);
                return null;
            }));
        }
    }

    private FileInfo readIfExists(Path root, String path) {
        try {
            return FileInfo.read(root, path, xattrs);
        } catch (FilesystemException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                return null;
            }
            throw e;
        }
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
            if (!state.containsKey(parent)) {
                state.put(parent, new Recorded(FileInfo.read(root, parent, xattrs), null));
            }
            slash = path.indexOf('/', slash + 1);
        }
    }
}
