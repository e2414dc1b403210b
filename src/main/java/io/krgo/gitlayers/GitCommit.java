package io.krgo.gitlayers;

import io.krgo.error.FilesystemException;
import io.krgo.error.UsageException;
import io.krgo.image.Appended;
import io.krgo.image.Compression;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.layer.FileInfo;
import io.krgo.layer.LayerBlob;
import io.krgo.layer.LayerChange;
import io.krgo.layer.LayerWriter;
import io.krgo.layer.LentAccess;
import io.krgo.layer.XattrReader;
import io.krgo.rootfs.RootfsMetadata;
import io.krgo.store.BlobStore;
import io.krgo.tar.ByteNames;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectInserter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.FutureTask;

/**
 * {@code commit}: DIR's changes since the checked-out (last) layer become a new layer, written into the content
 * store, appended to config and manifest ({@link Appended}), recorded as the next layer branch (checked out).
 */
record GitCommit(BlobStore store, Path dir, RootfsMetadata meta, XattrReader xattrs) {
    CommitResult commit(String message, CommitOptions options) throws IOException {
        // One commit at a time per rootfs: two would both build on the same parent and race for the image files.
        try (FileChannel ch = FileChannel.open(meta.commitLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = tryLock(ch)) {
            if (lock == null) {
                throw new FilesystemException("another krgo commit is running on " + dir);
            }
            try (LentAccess lent = LentAccess.open(dir)) { // a rootless tree's dirs of mode 0000 hide what is below
                return commitLocked(message, options);
            }
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException heldInThisJvm) {
            return null;
        }
    }

    private CommitResult commitLocked(String message, CommitOptions options) throws IOException {
        byte[] rawManifest = meta.rawManifest();
        byte[] rawConfig = meta.rawConfig();
        Manifest manifest = Manifest.parse(rawManifest, null);
        int last = manifest.layers().size() - 1;
        try (LayerRepository repo = openRepository();
             ObjectInserter ins = repo.newPackInserter()) {
            String head = repo.currentBranch();
            int n = LayerRepository.layerNumber(head);
            if (n != last) {
                throw new UsageException("HEAD is on " + head + " but the image's last layer is " + last
                        + "; check out the last layer branch before committing");
            }
            TreeMap<String, Recorded> old = MetaFile.read(meta.layerState(n));
            List<FileInfo> deferred = new ArrayList<>();
            TreeMap<String, Recorded> now = scan(old, ins, deferred);
            List<LayerChange> changes = TreeDiff.diff(old, now);
            if (changes.isEmpty()) {
                throw new UsageException("nothing to commit: " + dir.getFileName() + " is unchanged since " + head);
            }
            String layerType = layerMediaType(manifest.mediaType(), options.layer().compression());
            LayerBlob blob = writeLayerWhileHashing(ins, deferred, now, changes, options);

            Instant created = options.created() != null ? options.created() : Instant.now();
            String createdText = DateTimeFormatter.ISO_INSTANT.format(created.atOffset(ZoneOffset.UTC));
            Descriptor layerDesc = new Descriptor(layerType, blob.digest(), blob.size());
            Appended image = Appended.append(rawManifest, rawConfig, layerDesc, blob.diffId(), createdText,
                    "krgo commit", message);
            store.put(image.config().parsedDigest(), image.rawConfig().length,
                    new ByteArrayInputStream(image.rawConfig()));
            Digest manifestDigest = image.manifestDigest();
            store.put(manifestDigest, image.rawManifest().length, new ByteArrayInputStream(image.rawManifest()));

            String branch = LayerRepository.branchName(n + 1, blob.digest());
            repo.commitTree(ins, now, repo.head(), branch, message + "\n", created, true);
            meta.writeLayerRecord(n + 1, layerDesc, blob.diffId());
            MetaFile.write(meta.layerState(n + 1), now);
            // The image files last: until they change, the previous image is still the recorded one.
            meta.writeImage(image.rawManifest(), image.rawConfig());
            return new CommitResult(branch, image.config().parsedDigest(), manifest.config().parsedDigest(),
                    blob.digest(), blob.size(), blob.diffId());
        }
    }

    private LayerRepository openRepository() {
        try {
            return LayerRepository.open(meta.gitDir(), dir, false);
        } catch (IOException e) {
            throw new FilesystemException("cannot read the git repository " + meta.gitDir() + ": " + e.getMessage(), e);
        }
    }

    private static String layerMediaType(String manifestType, Compression c) {
        if (c == Compression.UNKNOWN) {
            throw new UsageException("choose a layer compression: gzip, zstd or none");
        }
        return MediaTypes.layerType(manifestType, c).orElseThrow(() -> new UsageException(
                "zstd layers need an OCI image; this image has a Docker manifest, use gzip"));
    }

    /**
     * Writes the layer while another thread puts the {@code deferred} files into the git pack (filling in
     * their blobs in {@code now}) and finishes the pack, which JGit reads back whole for its checksum: done
     * in turn, these cost the commit ~0.5 s per 100 MB of new files. The trees and the commit go into a
     * second, small pack later. A failed layer leaves the blob pack unreferenced (git gc removes it).
     */
    private LayerBlob writeLayerWhileHashing(ObjectInserter ins, List<FileInfo> deferred,
                                             TreeMap<String, Recorded> now, List<LayerChange> changes,
                                             CommitOptions options) throws IOException {
        FutureTask<Map<String, String>> hashing = new FutureTask<>(() -> {
            Map<String, String> blobs = new HashMap<>();
            for (FileInfo f : deferred) {
                blobs.put(f.path(), LayerRepository.insertFile(ins, ByteNames.resolve(dir, f.path()), f.size()));
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
        Map<String, String> blobs = PullThreads.await(hashing, "writing the git pack");
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
                    paths.add(ByteNames.relative(dir, d));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                paths.add(ByteNames.relative(dir, file));
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
                    deferred.add(f); // added to the layer by the diff without looking at its blob
                } else {
                    blob = LayerRepository.insertFile(ins, ByteNames.resolve(dir, path), f.size()); // diff compares
                }
            } else if (f.type() == FileInfo.Type.SYMLINK) {
                blob = ins.insert(Constants.OBJ_BLOB, ByteNames.encode(f.linkTarget())).name();
            }
            now.put(path, new Recorded(f, blob));
        }
        return now;
    }
}
