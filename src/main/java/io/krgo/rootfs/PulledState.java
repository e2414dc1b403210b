package io.krgo.rootfs;

import io.krgo.image.Digest;
import io.krgo.image.Platform;
import io.krgo.sys.Trees;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What an earlier pull left in DIR, as far as deciding "already up to date" before anything else needs it:
 * the manifest digest and layer count from {@code image.json}, and, when that manifest was chosen from an
 * index, the index's digest and the platform asked for (kept in {@code source.json} beside it).
 *
 * <p>Read by {@link TopLevelFields}, not Jackson: a re-pull of an unchanged image should cost about one
 * manifest HEAD, and Jackson's first use (data binding ~0.1 s; even its streaming parser's class
 * initialisation, ~15 ms) would be a good part of that.
 *
 * @param manifestDigest the image manifest DIR holds
 * @param layers         its layer count
 * @param indexDigest    the index it was selected from, or null (unknown, or pulled by a manifest)
 * @param platform       the platform asked for when it was selected from {@code indexDigest}, or null
 */
public record PulledState(String manifestDigest, int layers, String indexDigest, String platform) {
    /**
     * The state of {@code rootfs} when it is a non-empty directory with a readable record (as the rootfs sink
     * checks); with {@code gitLayers}, only when it was pulled with git layers too. Empty means "not known
     * to be up to date": the full pull path decides, and reports any problem.
     */
    public static Optional<PulledState> read(Path rootfs, boolean gitLayers) {
        try {
            RootfsLayout layout = RootfsLayout.of(rootfs);
            if (layout.dirIsEmptyOrAbsent()) {
                return Optional.empty();
            }
            return layout.metadata().pulledState(gitLayers);
        } catch (IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    /**
     * The answer for {@code rootfs} found up to date before the rootfs sink was needed; as the sink, it clears
     * the staging directories killed pulls left.
     */
    public PullResult upToDate(Path rootfs, List<String> warnings) {
        RootfsLayout.of(rootfs).abandonedStagingDirs().forEach(Trees::deleteQuietly);
        return new PullResult(Digest.parse(manifestDigest), true, layers, 0, 0, warnings);
    }

    /** From {@code image.json}'s bytes and, if there is one, {@code source.json}'s. */
    static Optional<PulledState> parse(byte[] imageJson, byte[] sourceJson) throws IOException {
        String[] image = TopLevelFields.read(imageJson, "manifestDigest", "layers");
        if (image[0] == null) {
            return Optional.empty();
        }
        Digest.parse(image[0]); // a malformed record is no record
        int layers = image[1] == null ? 0 : Integer.parseInt(image[1]);
        if (sourceJson != null) {
            String[] source = TopLevelFields.read(sourceJson, "manifestDigest", "indexDigest", "platform");
            // Written after image.json: it counts only when it speaks of the manifest image.json names.
            if (image[0].equals(source[0]) && source[1] != null && source[2] != null) {
                return Optional.of(new PulledState(image[0], layers, source[1], source[2]));
            }
        }
        return Optional.of(new PulledState(image[0], layers, null, null));
    }

    /**
     * True when the registry's answer for the reference (the digest of the manifest or index it names)
     * means DIR already holds what a pull for {@code wanted} would write.
     */
    public boolean holds(String servedDigest, Platform wanted) {
        if (servedDigest.equals(manifestDigest)) {
            return true;
        }
        // The same index resolved for the same requested platform selects the same manifest.
        return servedDigest.equals(indexDigest) && wanted.toString().equals(platform);
    }

    /**
     * Notes beside {@code image.json} that DIR's manifest was selected from {@code indexDigest} for
     * {@code wanted}, so the next re-pull of the same tag can stop at the index's HEAD. Best effort: without
     * the note the next pull just resolves the index again.
     */
    public static void recordSource(Path rootfs, String manifestDigest, String indexDigest, Platform wanted) {
        RootfsMetadata.of(rootfs).recordSource(manifestDigest, indexDigest, wanted);
    }

    static String sourceJson(String manifestDigest, String indexDigest, Platform wanted) {
        return "{\"manifestDigest\":" + TopLevelFields.quote(manifestDigest)
                + ",\"indexDigest\":" + TopLevelFields.quote(indexDigest)
                + ",\"platform\":" + TopLevelFields.quote(wanted.toString()) + "}";
    }
}
