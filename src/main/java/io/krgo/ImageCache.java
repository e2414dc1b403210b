package io.krgo;

import io.krgo.error.FilesystemException;
import io.krgo.error.NotFoundException;
import io.krgo.sys.KeyHash;
import io.krgo.sys.Trees;
import io.krgo.rootfs.ProgressListener;
import io.krgo.rootfs.PullResult;
import io.krgo.runtime.StateDir;
import io.krgo.runtime.UserNamespace;
import io.krgo.store.StoreRoots;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Images unpacked once for {@code run}: {@code images/<manifest hex>/rootfs} in the state directory, pulled
 * from the content store or the registry like any pull, and {@code refs/<key>} naming the image a reference
 * (and platform) resolved to, so {@code --pull missing} with the image there makes no request. A lock per
 * reference makes two first runs at once unpack it once.
 */
final class ImageCache {
    private final Krgo krgo;
    private final StateDir state;
    /** Rootless: the caller's user namespace (images are unpacked and removed in it); null as root. */
    private final UserNamespace userns;

    ImageCache(Krgo krgo, StateDir state, UserNamespace userns) {
        this.krgo = krgo;
        this.state = state;
        this.userns = userns;
    }

    Path rootfs(RunRequest request, ProgressListener progress) {
        String refKey = request.image() + " " + request.platform();
        String key = KeyHash.of(refKey);
        Path refFile = state.refs().resolve(key);
        if (request.pull() != RunRequest.PullPolicy.ALWAYS) {
            Path known = known(refFile, refKey);
            if (known != null) {
                return known;
            }
            if (request.pull() == RunRequest.PullPolicy.NEVER) {
                throw new NotFoundException("image " + request.image() + " is not unpacked here (--pull never)");
            }
        }
        try {
            Files.createDirectories(state.refs());
            Files.createDirectories(state.images());
            try (FileChannel lockFile = FileChannel.open(state.refs().resolve(key + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
                if (request.pull() == RunRequest.PullPolicy.MISSING) {
                    Path known = known(refFile, refKey); // another run may have unpacked it while we waited
                    if (known != null) {
                        return known;
                    }
                }
                Path staging = state.images().resolve(".pull-" + ProcessHandle.current().pid() + "-"
                        + UUID.randomUUID().toString().substring(0, 8));
                try {
                    String hex = unpack(request, staging, progress);
                    Path image = state.image(hex);
                    if (!Files.isDirectory(image.resolve("rootfs"))) {
                        delete(image);
                        Files.move(staging, image, StandardCopyOption.ATOMIC_MOVE);
                        // the store's root names where the rootfs now is, so prune keeps its blobs
                        new StoreRoots(krgo.store()).move(staging.resolve("rootfs"), image.resolve("rootfs"));
                    }
                    Path tmp = refFile.resolveSibling(key + ".tmp");
                    Files.writeString(tmp, hex + "\n" + refKey + "\n", StandardCharsets.UTF_8);
                    Files.move(tmp, refFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    return image.resolve("rootfs");
                } finally {
                    delete(staging);
                }
            }
        } catch (IOException e) {
            throw new FilesystemException("cannot unpack " + request.image() + " into " + state.images() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Unpacks into {@code staging/rootfs}; returns the manifest digest's hex. Rootless with subordinate ids, in
     * the user namespace (the image's owners become real); else (root, or a user without ranges, whose
     * namespace maps only the caller: every owner is root in it) as any pull.
     */
    private String unpack(RunRequest request, Path staging, ProgressListener progress) throws IOException {
        if (userns != null && userns.mapping().hasRanges()) {
            Files.createDirectories(staging);
            return new NamespacedUnpack(krgo, userns).unpack(request, staging);
        }
        PullResult r = krgo.pull(new PullRequest(request.image(), staging.resolve("rootfs"), request.platform(), false,
                false, request.registry()), progress);
        return r.manifestDigest().hex();
    }

    private void delete(Path p) {
        if (userns != null && userns.mapping().hasRanges()) {
            try {
                userns.delete(p);
                return;
            } catch (RuntimeException e) {
                // fall through: what the caller owns itself still goes
            }
        }
        Trees.deleteQuietly(p);
    }

    /** The unpacked image {@code refFile} names, if it is there; the file holds its key (its name is a hash). */
    private Path known(Path refFile, String refKey) {
        try {
            String[] lines = Files.readString(refFile, StandardCharsets.UTF_8).split("\n", -1);
            if (lines.length < 2 || !lines[1].equals(refKey) || !lines[0].matches("[0-9a-f]{64}")) {
                return null;
            }
            Path rootfs = state.image(lines[0]).resolve("rootfs");
            return Files.isDirectory(rootfs) ? rootfs : null;
        } catch (IOException e) {
            return null;
        }
    }
}
