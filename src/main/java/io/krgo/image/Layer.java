package io.krgo.image;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** One layer of an image: its descriptor and a way to read its (compressed) bytes. */
public interface Layer {
    /** The blob as the manifest lists it: media type, digest and size of the compressed bytes. */
    Descriptor descriptor();

    /** The digest of the uncompressed tar, when known (from the config's rootfs.diff_ids). */
    Optional<Digest> diffId();

    /**
     * Opens the blob's bytes exactly as stored (compressed). The stream verifies size and digest while it
     * is read and throws {@link io.krgo.error.IntegrityException} at the end when they do not match, so a
     * consumer must read to EOF before trusting what it made from the bytes.
     */
    InputStream open() throws IOException;

    /** A registry repository known to hold this blob (a push to that registry can mount it), if any. */
    default Optional<BlobLocation> origin() {
        return Optional.empty();
    }
}
