package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.image.Digest;
import io.krgo.image.Json;
import io.krgo.image.Manifest;
import io.krgo.store.BlobStore;
import io.krgo.store.OwnerProcess;
import io.krgo.store.StoreRoots;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes from the content store what nothing references: blobs no root names (see {@link StoreRoots}),
 * their diff_id records, the temp files of writers that are gone, and stale roots and leases.
 *
 * <p>What counts: a root whose rootfs exists and whose {@code .DIR.krgo/image.json} still names the
 * manifest it registered (with {@code -g} also the blobs of the current {@code .DIR.krgo/manifest.json}, so
 * committed layers and the pulled ones under them stay for push); a pending root of a pull whose process
 * runs. What is never removed although unreferenced: a blob written after a live process took its lease
 * (its first write to the store), since that process may not have registered it yet; a blob stored before
 * the store began to record roots ({@link StoreRoots#SINCE}), since a rootfs an older krgo pulled may need
 * it. OCI layouts and docker archives hold their own copies of their blobs and need nothing from the store.
 */
public final class ContentStoreGc {
    private static final Pattern OWNED = Pattern.compile("(?:pending\\.)?krgo-([0-9]{1,18})-.*");

    private final BlobStore store;

    public ContentStoreGc(BlobStore store) {
        this.store = store;
    }

    /** What a collection freed. */
    public record Freed(int blobs, long blobBytes, int tempFiles, long tempBytes, int staleRoots) {
        public long bytes() {
            return blobBytes + tempBytes;
        }
    }

    public Freed collect() {
        Set<String> live = new HashSet<>();
        int staleRoots = 0;
        Path roots = new StoreRoots(store).dir();
        for (Path f : list(roots)) {
            String name = f.getFileName().toString();
            if (!name.endsWith(".json")) {
                continue; // a root being written, or .since
            }
            boolean pending = name.startsWith(StoreRoots.PENDING_PREFIX);
            Optional<StoreRoots.Root> root = read(f);
            if (root.isPresent() && (pending ? !ownerGone(f) : stillThere(root.get(), live))) {
                live.addAll(root.get().blobs());
            } else if (!pending || ownerGone(f)) {
                delete(f);
                staleRoots++;
            }
        }
        FileTime oldestLease = null; // of a live writer other than this process
        for (Path f : list(store.root().resolve(BlobStore.LEASES))) {
            if (ownerGone(f)) {
                delete(f);
            } else if (OwnerProcess.currentPid() != pid(f)) {
                FileTime t = mtime(f);
                if (t != null && (oldestLease == null || t.compareTo(oldestLease) < 0)) {
                    oldestLease = t;
                }
            }
        }
        FileTime recording = mtime(roots.resolve(StoreRoots.SINCE)); // null: no root ever recorded, keep all
        int blobs = 0;
        long blobBytes = 0;
        for (Path algo : list(store.root().resolve("blobs"))) {
            for (Path blob : list(algo)) {
                FileTime t = mtime(blob);
                if (live.contains(algo.getFileName() + ":" + blob.getFileName()) || t == null || recording == null
                        || t.compareTo(recording) < 0 || (oldestLease != null && t.compareTo(oldestLease) >= 0)) {
                    continue;
                }
                try {
                    long size = Files.size(blob);
                    if (Files.deleteIfExists(blob)) {
                        blobs++;
                        blobBytes += size;
                    }
                    Files.deleteIfExists(store.root().resolve("diffids").resolve(algo.getFileName())
                            .resolve(blob.getFileName()));
                } catch (IOException e) {
                    throw new FilesystemException("cannot remove " + blob + ": " + e.getMessage(), e);
                }
            }
        }
        int[] temps = {0};
        long[] tempBytes = {0};
        store.removeAbandonedTempFiles((f, size) -> {
            temps[0]++;
            tempBytes[0] += size;
        });
        return new Freed(blobs, blobBytes, temps[0], tempBytes[0], staleRoots);
    }

    /** Whether a registered rootfs still is what it registered; adds a {@code -g} rootfs's current blobs. */
    private static boolean stillThere(StoreRoots.Root root, Set<String> live) {
        if (root.rootfs() == null || !Files.isDirectory(Path.of(root.rootfs()), LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        RootfsLayout layout = RootfsLayout.of(Path.of(root.rootfs()));
        Optional<ImageRecord> record = ImageRecord.read(layout.imageJson());
        if (record.isEmpty() || !root.manifest().equals(record.get().manifestDigest())) {
            return false;
        }
        Path gitManifest = layout.metaDir().resolve("manifest.json");
        if (Files.isRegularFile(gitManifest)) {
            try {
                byte[] raw = Files.readAllBytes(gitManifest);
                Manifest m = Manifest.parse(raw, null);
                live.add(Digest.sha256(raw).toString());
                live.add(m.config().digest());
                m.layers().forEach(l -> live.add(l.digest()));
            } catch (IOException | RuntimeException unreadable) {
                // the registered blobs still count
            }
        }
        return true;
    }

    private static Optional<StoreRoots.Root> read(Path f) {
        try {
            return Optional.of(Json.read(Files.readAllBytes(f), StoreRoots.Root.class, f.toString()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static long pid(Path f) {
        Matcher m = OWNED.matcher(f.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static boolean ownerGone(Path f) {
        long pid = pid(f);
        try {
            return pid < 0 || OwnerProcess.isGone(pid, f);
        } catch (IOException e) {
            return false;
        }
    }

    private static FileTime mtime(Path f) {
        try {
            return Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    private static void delete(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            // a later prune tries again
        }
    }

    private static List<Path> list(Path dir) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            List<Path> out = new ArrayList<>();
            ds.forEach(out::add);
            return out;
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException none) {
            return List.of(); // nothing there yet
        } catch (IOException e) {
            throw new FilesystemException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
