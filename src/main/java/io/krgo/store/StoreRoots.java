package io.krgo.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.krgo.image.Digest;
import io.krgo.image.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * The content store's roots ({@code ROOT/roots/}): what keeps a blob from {@code krgo prune}. Every rootfs a
 * pull writes registers itself ({@code roots/<hash of its path>.json}: the rootfs path, the manifest
 * digest it was pulled from and the blobs it references); a root counts while that rootfs exists and its
 * record ({@code .DIR.krgo/image.json}) still names that manifest. A pull running meanwhile holds a pending
 * root ({@code roots/pending.krgo-PID-RANDOM.json}), which counts while process PID runs, so the blobs it
 * is using or about to use are never collected under it. Best effort: a root that cannot be written only
 * means its blobs may be downloaded again after a prune.
 */
public final class StoreRoots {
    static final String DIR = "roots";
    public static final String PENDING_PREFIX = "pending.krgo-";

    /** One root file's content. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Root(String rootfs, String manifest, List<String> blobs) {
        public Root {
            blobs = blobs == null ? List.of() : List.copyOf(blobs);
        }
    }

    private final Path dir;

    public StoreRoots(BlobStore store) {
        this.dir = store.root().resolve(DIR);
    }

    public Path dir() {
        return dir;
    }

    /** Registers {@code rootfs} as a root referencing {@code blobs} (replacing what its path had before). */
    public void register(Path rootfs, Digest manifest, List<Digest> blobs) {
        Path abs = rootfs.toAbsolutePath().normalize();
        write(dir.resolve(key(abs) + ".json"), new Root(abs.toString(), manifest.toString(),
                blobs.stream().map(Digest::toString).distinct().toList()));
    }

    /** The root of {@code from} now names {@code to} (a rootfs moved into place); nothing when none. */
    public void move(Path from, Path to) {
        Path old = dir.resolve(key(from.toAbsolutePath().normalize()) + ".json");
        try {
            Root r = Json.read(Files.readAllBytes(old), Root.class, old.toString());
            register(to, Digest.parse(r.manifest()), r.blobs().stream().map(Digest::parse).toList());
            Files.deleteIfExists(old);
        } catch (IOException | RuntimeException e) {
            // no root to move: the blobs stay collectable, never wrong
        }
    }

    /** A root held while this process pulls; closing it removes it. */
    public AutoCloseable pending(Digest manifest, List<Digest> blobs) {
        Path f = dir.resolve(PENDING_PREFIX + OwnerProcess.currentPid() + "-"
                + UUID.randomUUID().toString().substring(0, 8) + ".json");
        write(f, new Root(null, manifest.toString(), blobs.stream().map(Digest::toString).distinct().toList()));
        return () -> Files.deleteIfExists(f);
    }

    /**
     * {@code roots/.since}, made before the first blob or root this krgo writes to the store and never
     * changed: when this store began to record roots. A blob stored before it may belong to a rootfs that an older krgo pulled and never registered
     * (a {@code -g} rootfs needs its blobs for push), so prune keeps those.
     */
    public static final String SINCE = ".since";

    /** Makes {@code rootsDir/.since} unless it exists (the first write of a store by this krgo does). */
    static void markRecording(Path rootsDir) throws IOException {
        Path since = rootsDir.resolve(SINCE);
        if (!Files.exists(since)) {
            Files.createDirectories(rootsDir);
            try {
                Files.createFile(since);
            } catch (java.nio.file.FileAlreadyExistsException concurrent) {
                // another krgo made it first
            }
        }
    }

    private static void write(Path file, Root root) {
        try {
            markRecording(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + UUID.randomUUID().toString().substring(0, 8));
            try {
                Files.write(tmp, Json.write(root));
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            // best effort, as documented
        }
    }

    static String key(Path absolute) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(absolute.toString().getBytes(StandardCharsets.UTF_8))).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
