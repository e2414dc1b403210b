package io.krgo.store;

import io.krgo.error.FilesystemException;
import io.krgo.image.Digest;
import io.krgo.image.VerifyingInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A content-addressed blob store: {@code ROOT/blobs/ALGO/HEX}, the same shape as an OCI layout's blob
 * directory. A blob appears under its name only after its bytes were verified, by one atomic rename,
 * so concurrent writers of the same blob cannot corrupt it and a reader never sees a partial blob.
 * Beside them, {@code ROOT/diffids/ALGO/HEX} remembers what a layer blob was verified to decompress to.
 */
public final class BlobStore {
    /** Where writers' leases are (see {@link #takeLease}). */
    public static final String LEASES = "leases";
    private static final String TEMP_MARK = ".krgo-";
    private static final Pattern TEMP_NAME = Pattern.compile("[0-9a-z]+\\.krgo-([0-9]{1,18})-[^/]+\\.part");

    private final Path root;
    // Abandoned temp files are looked for once per store: one listing of tmp/ before its first write.
    private final AtomicBoolean swept = new AtomicBoolean();

    public BlobStore(Path root) {
        this.root = root;
    }

    /**
     * The default store: the {@code krgo.cache} system property, else {@code $KRGO_CACHE}, else
     * {@code $XDG_CACHE_HOME/krgo}, else {@code ~/.cache/krgo}.
     */
    public static BlobStore defaultStore() {
        String env = System.getProperty("krgo.cache", System.getenv("KRGO_CACHE"));
        if (env != null && !env.isBlank()) {
            return new BlobStore(Path.of(env));
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return new BlobStore(base.resolve("krgo"));
    }

    public Path root() {
        return root;
    }

    /** Where the blob lives (or would live). */
    public Path path(Digest digest) {
        return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }

    public boolean has(Digest digest) {
        return Files.isRegularFile(path(digest));
    }

    /** Opens a stored blob, verifying it again while it is read (a store on disk can rot). */
    public Optional<InputStream> open(Digest digest, long size) {
        Path p = path(digest);
        try {
            return Optional.of(new VerifyingInputStream(Files.newInputStream(p), digest, size, "cached blob " + digest));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new FilesystemException("cannot read cached blob " + digest + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies {@code in} to the store, verifying digest and size; the blob becomes visible only when the
     * whole of it matched. Returns its path.
     */
    public Path put(Digest digest, long size, InputStream in) throws IOException {
        Path dest = path(digest);
        Path tmp = newTempFile(digest);
        try (InputStream verified = new VerifyingInputStream(in, digest, size, "blob " + digest);
             OutputStream out = Files.newOutputStream(tmp)) {
            verified.transferTo(out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        commit(tmp, dest);
        return dest;
    }

    /**
     * The diff_id that an earlier pull saw this blob decompress to ({@link #recordDiffId}), if any. What a
     * blob decompresses to is a function of its bytes, so a pull that verifies the blob's own digest (every
     * pull does) may compare the config's diff_id with this instead of hashing the whole uncompressed tar
     * again (~170 ms of CPU for the realistic image's 219 MB). Absent or unreadable: empty (hash again).
     */
    public Optional<Digest> recordedDiffId(Digest blob) {
        Path p = diffIdPath(blob);
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Digest.parse(Files.readString(p).strip()));
        } catch (IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    /**
     * Records that {@code blob}, verified, decompressed to bytes hashing to {@code diffId}. Best effort:
     * the record only saves work later, so a store that cannot take it changes nothing.
     */
    public void recordDiffId(Digest blob, Digest diffId) {
        Path p = diffIdPath(blob);
        try {
            Files.createDirectories(p.getParent());
            Path tmp = newTempFile(blob);
            try {
                Files.writeString(tmp, diffId + "\n");
                Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException ignored) {
            // a later pull hashes again
        }
    }

    private Path diffIdPath(Digest blob) {
        return root.resolve("diffids").resolve(blob.algorithm()).resolve(blob.hex());
    }

    /**
     * A temp file inside the store (same file system, so the final rename is atomic), named
     * {@code PREFIX.krgo-PID-RANDOM.part} so a later run can tell whether its owner still runs. The first call
     * on this store also removes the temp files of owners that are gone ({@link #removeAbandonedTempFiles}).
     */
    public Path newTempFile(Digest digest) throws IOException {
        Path dir = root.resolve("tmp");
        Files.createDirectories(dir);
        if (swept.compareAndSet(false, true)) {
            takeLease();
            removeAbandonedTempFiles(dir);
        }
        return Files.createTempFile(dir, (digest == null ? "blob" : digest.hex().substring(0, 12))
                + TEMP_MARK + OwnerProcess.currentPid() + "-", ".part");
    }

    /**
     * Marks this process as a writer of the store, before its first blob: {@code leases/krgo-PID-RANDOM.lease}.
     * A blob written after the lease of a process that still runs may not be registered by a root yet (a
     * commit between its layer and its manifest, a push between storing and uploading a layer), so
     * {@code krgo prune} keeps it. The file stays after the process (krgo ends with halt()); a prune removes it
     * once process PID is gone.
     */
    private void takeLease() {
        try {
            Path leases = root.resolve(LEASES);
            Files.createDirectories(leases);
            Files.createTempFile(leases, "krgo-" + OwnerProcess.currentPid() + "-", ".lease");
            StoreRoots.markRecording(root.resolve(StoreRoots.DIR)); // before this krgo's first blob
        } catch (IOException | RuntimeException e) {
            // without a lease a concurrent prune may collect a blob not registered yet; it is downloaded again
        }
    }

    /**
     * Deletes the temp files that a writer killed before it could clean up (SIGKILL, as CI cancels jobs) left in
     * {@code tmp/}: those whose owning process is gone. A live owner's (a concurrent pull) are kept, and so is
     * every name this code did not make. Best effort: a leftover costs only space, never a pull.
     */
    static void removeAbandonedTempFiles(Path dir) {
        removeAbandonedTempFiles(dir, (n, b) -> { });
    }

    /** Removes the temp files of writers that are gone (as the first write does), telling {@code removed} each one's size. */
    public void removeAbandonedTempFiles(java.util.function.ObjLongConsumer<Path> removed) {
        removeAbandonedTempFiles(root.resolve("tmp"), removed);
    }

    private static void removeAbandonedTempFiles(Path dir, java.util.function.ObjLongConsumer<Path> removed) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + TEMP_MARK + "*.part")) {
            for (Path p : ds) {
                Matcher m = TEMP_NAME.matcher(p.getFileName().toString());
                try {
                    if (m.matches() && OwnerProcess.isGone(Long.parseLong(m.group(1)), p)) {
                        long size = Files.size(p);
                        if (Files.deleteIfExists(p)) {
                            removed.accept(p, size);
                        }
                    }
                } catch (IOException | NumberFormatException skipped) {
                    // gone meanwhile, or not ours after all
                }
            }
        } catch (IOException | DirectoryIteratorException ignored) {
            // a later run tries again
        }
    }

    /** Moves a fully written and verified temp file to its content address. */
    public Path commit(Path tmp, Digest digest) throws IOException {
        Path dest = path(digest);
        commit(tmp, dest);
        return dest;
    }

    private static void commit(Path tmp, Path dest) throws IOException {
        Files.createDirectories(dest.getParent());
        try {
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            // Another writer finished the same content first; identical bytes by construction.
            Files.deleteIfExists(tmp);
        }
    }
}
