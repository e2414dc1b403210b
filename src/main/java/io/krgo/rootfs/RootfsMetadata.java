package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Json;
import io.krgo.image.Platform;
import io.krgo.sys.OutputFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code DIR/../.DIR.krgo/}: what krgo records about a rootfs directory, kept beside it so the tree stays exactly
 * the image's. The one place that knows the files in it and how each is read and written; everything else asks.
 * <ul>
 *   <li>{@code image.json} — {@link ImageRecord}: what was pulled (every pull; commit keeps it).</li>
 *   <li>{@code config.json} — the image config's exact bytes (pull, commit): running an image reads it.</li>
 *   <li>{@code source.json} — the index a manifest was chosen from ({@link PulledState}), so a re-pull of the
 *       same tag can stop at the index's HEAD.</li>
 *   <li>{@code manifest.json} — the manifest's exact bytes (pull -g, commit).</li>
 *   <li>{@code trust-verdict} — the remembered signature verdict (trust's {@code Verdicts}), so an up-to-date
 *       re-pull need not verify again.</li>
 *   <li>{@code git/}, {@code layers/N.tsv}, {@code layers/N.json}, {@code commit.lock} — git layers: the
 *       repository, the tree state after layer N, layer N's descriptor and diff id (see gitlayers).</li>
 * </ul>
 * An instance names one directory: the final one, or a pull's staged one that is moved into place with the rootfs.
 */
public final class RootfsMetadata {
    static final String IMAGE_JSON = "image.json";
    static final String CONFIG_JSON = "config.json";
    private static final String SOURCE_JSON = "source.json";
    private static final String MANIFEST_JSON = "manifest.json";
    /** Records read before Jackson is loaded are small; anything larger is not ours. */
    private static final int MAX_RECORD_BYTES = 4 * 1024 * 1024;

    private final Path dir;

    /** The metadata in {@code metaDir} (final or staged). */
    public RootfsMetadata(Path metaDir) {
        this.dir = metaDir.toAbsolutePath().normalize();
    }

    /** The metadata of the rootfs directory {@code rootfs}. */
    public static RootfsMetadata of(Path rootfs) {
        return RootfsLayout.of(rootfs).metadata();
    }

    public Path dir() {
        return dir;
    }

    public Path imageJson() {
        return dir.resolve(IMAGE_JSON);
    }

    public Path configJson() {
        return dir.resolve(CONFIG_JSON);
    }

    public Path manifestJson() {
        return dir.resolve(MANIFEST_JSON);
    }

    /** The git-layers repository ({@code pull -g}). */
    public Path gitDir() {
        return dir.resolve("git");
    }

    /** The tree state after layer {@code index}, with what git cannot hold (gitlayers' MetaFile). */
    public Path layerState(int index) {
        return dir.resolve("layers").resolve(index + ".tsv");
    }

    /** The remembered trust verdict of the last pull (written and read by trust's {@code Verdicts}). */
    public Path trustVerdict() {
        return dir.resolve("trust-verdict");
    }

    /** Held while a commit runs: one commit at a time per rootfs. */
    public Path commitLock() {
        return dir.resolve("commit.lock");
    }

    /** Whether DIR was pulled with git layers: the repository and the recorded manifest are there. */
    public boolean hasGitLayers() {
        return Files.isDirectory(gitDir()) && Files.isRegularFile(manifestJson());
    }

    /** What was pulled; empty when absent or unreadable ("not known to be up to date"). */
    public Optional<ImageRecord> imageRecord() {
        return ImageRecord.read(imageJson());
    }

    /** Writes {@code image.json} and the config's exact bytes as {@code config.json}. */
    public void writeImageRecord(ImageRecord record, byte[] rawConfig) throws IOException {
        Files.write(configJson(), rawConfig);
        record.write(imageJson());
    }

    /**
     * What an earlier pull left, read without Jackson (see {@link PulledState}); with {@code gitLayers}, only
     * when it was pulled with git layers too. Empty when there is no readable record.
     */
    Optional<PulledState> pulledState(boolean gitLayers) throws IOException {
        if (gitLayers && !hasGitLayers()) {
            return Optional.empty(); // without them the pull redoes DIR with git layers
        }
        Optional<byte[]> image = smallFile(imageJson());
        if (image.isEmpty()) {
            return Optional.empty();
        }
        return PulledState.parse(image.get(), smallFile(dir.resolve(SOURCE_JSON)).orElse(null));
    }

    /**
     * Notes in {@code source.json} that the manifest was selected from {@code indexDigest} for {@code wanted}.
     * Best effort: without the note the next pull just resolves the index again.
     */
    public void recordSource(String manifestDigest, String indexDigest, Platform wanted) {
        Path target = dir.resolve(SOURCE_JSON);
        Path temp = dir.resolve(SOURCE_JSON + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.writeString(temp, PulledState.sourceJson(manifestDigest, indexDigest, wanted), StandardCharsets.UTF_8);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // nothing more to do for a cache note
            }
        }
    }

    /** The recorded manifest's exact bytes (git layers). */
    public byte[] rawManifest() {
        return read(manifestJson());
    }

    /** The recorded config's exact bytes. */
    public byte[] rawConfig() {
        return read(configJson());
    }

    /**
     * Records the image, config first and the manifest last, each atomically: until the manifest changes the
     * previous image is still the recorded one.
     */
    public void writeImage(byte[] rawManifest, byte[] rawConfig) throws IOException {
        OutputFile.write(configJson(), rawConfig);
        OutputFile.write(manifestJson(), rawManifest);
    }

    /** Starts git layers afresh: no repository, an empty {@code layers/}. */
    public void resetGitLayers() throws IOException {
        deleteTree(gitDir());
        deleteTree(dir.resolve("layers"));
        Files.createDirectories(dir.resolve("layers"));
    }

    /** {@code layers/N.json}: layer N's descriptor and, when known, its diff id. */
    public void writeLayerRecord(int index, Descriptor descriptor, Digest diffId) throws IOException {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("descriptor", descriptor);
        if (diffId != null) {
            rec.put("diffId", diffId.toString());
        }
        Path f = dir.resolve("layers").resolve(index + ".json");
        Files.createDirectories(f.getParent());
        OutputFile.write(f, Json.write(rec));
    }

    private static Optional<byte[]> smallFile(Path p) throws IOException {
        if (!Files.isRegularFile(p) || Files.size(p) > MAX_RECORD_BYTES) {
            return Optional.empty();
        }
        return Optional.of(Files.readAllBytes(p));
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new FilesystemException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
