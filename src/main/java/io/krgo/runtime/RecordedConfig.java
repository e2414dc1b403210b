package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.FilesystemException;
import io.krgo.error.NotFoundException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Digest;
import io.krgo.image.Json;
import io.krgo.rootfs.ImageRecord;
import io.krgo.rootfs.RootfsLayout;
import io.krgo.store.BlobStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The image config recorded beside a rootfs ({@code .DIR.krgo/config.json}, written by every pull and by
 * commit). A rootfs pulled by an older krgo, which recorded only the config's digest, falls back to the
 * content store; neither needs the network.
 */
final class RecordedConfig {
    private RecordedConfig() {
    }

    static JsonNode read(Path rootfs, BlobStore store) {
        RootfsLayout layout = RootfsLayout.of(rootfs);
        if (!Files.isDirectory(layout.dir(), LinkOption.NOFOLLOW_LINKS)) {
            throw new NotFoundException("no rootfs directory " + layout.dir());
        }
        Path file = layout.metadata().configJson();
        try {
            if (Files.size(file) > Json.MAX_DOCUMENT_BYTES) {
                throw new UnsafeImageException(file + " is larger than " + Json.MAX_DOCUMENT_BYTES + " bytes");
            }
            return object(Files.readAllBytes(file), file.toString());
        } catch (NoSuchFileException absent) {
            return fromStore(layout, store).orElseThrow(() -> new NotFoundException("no image config recorded for "
                    + layout.dir() + " (" + file + "); pull the image into it again"));
        } catch (IOException e) {
            throw new FilesystemException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Optional<JsonNode> fromStore(RootfsLayout layout, BlobStore store) {
        Optional<ImageRecord> record = layout.metadata().imageRecord();
        if (record.isEmpty() || record.get().configDigest() == null || store == null) {
            return Optional.empty();
        }
        Optional<InputStream> in = store.open(Digest.parse(record.get().configDigest()), -1);
        if (in.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream s = in.get()) {
            byte[] bytes = s.readNBytes(Json.MAX_DOCUMENT_BYTES + 1);
            s.read(); // at the end: the stream checks the digest
            return Optional.of(object(bytes, record.get().configDigest()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static JsonNode object(byte[] bytes, String what) {
        if (bytes.length > Json.MAX_DOCUMENT_BYTES) {
            throw new UnsafeImageException("image config " + what + " is larger than " + Json.MAX_DOCUMENT_BYTES + " bytes");
        }
        JsonNode n = Json.readTree(bytes, "image config " + what);
        if (!n.isObject()) {
            throw new UnsafeImageException("image config " + what + " is not a JSON object");
        }
        return n;
    }
}
