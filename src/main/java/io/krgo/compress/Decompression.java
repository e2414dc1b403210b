package io.krgo.compress;

import io.krgo.sys.NativeDigests;
import com.github.luben.zstd.ZstdInputStream;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Compression;
import io.krgo.image.MediaTypes;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Opens a layer blob stream as the tar stream inside it: by media type, with the magic bytes as fallback. */
public final class Decompression {
    static final int BUFFER = 1 << 20;

    private Decompression() {
    }

    /**
     * @param blob      the (verifying) blob stream; it is read to EOF by the returned stream's consumer
     * @param mediaType the layer's media type, or null to sniff
     */
    public static InputStream open(InputStream blob, String mediaType) throws IOException {
        BufferedInputStream in = new BufferedInputStream(blob, BUFFER);
        Compression c = MediaTypes.layerCompression(mediaType);
        if (c == Compression.UNKNOWN || c == Compression.NONE) {
            // Some registries label gzip layers as plain tar; the bytes decide.
            c = sniff(in);
        }
        return switch (c) {
            // The tar reader asks for 512-byte headers one at a time; the buffer turns those into few
            // native inflate/zstd calls (large data reads pass straight through it).
            case GZIP -> new BufferedInputStream(IsalGzipStream.usable() ? new IsalGzipStream(in)
                    : new GzipStream(in, BUFFER), 1 << 17);
            case ZSTD -> new BufferedInputStream(zstd(in), 1 << 17);
            default -> in;
        };
    }

    /** As {@link #open}, feeding every uncompressed byte read to {@code hasher} (null: none) for the diff_id. */
    public static InputStream openHashed(InputStream blob, String mediaType, java.security.MessageDigest hasher)
            throws IOException {
        InputStream tar = open(blob, mediaType);
        return hasher == null ? tar : new java.security.DigestInputStream(tar, hasher);
    }

    /**
     * Prepares on a background thread what a pull needs next, for a caller about to fetch a manifest: the
     * JSON mapper (~50 ms, else on the manifest's path), then the native decoder and digests (JNA's start-up
     * and ISA-L's self-test take ~60 ms, which otherwise land on the first layer's path).
     */
    public static void prepareInBackground() {
        Thread t = new Thread(() -> {
            // The manifest comes first, while the caller still waits for the registry's first answer.
            io.krgo.image.Json.warmUp();
            IsalGzipStream.usable();
            NativeDigests.available();
        }, "krgo-native-warmup");
        t.setDaemon(true);
        t.start();
    }

    /** The compression the first bytes show. */
    public static Compression sniff(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return Compression.GZIP;
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return Compression.ZSTD;
        }
        return Compression.NONE;
    }

    private static InputStream zstd(InputStream in) throws IOException {
        ZstdInputStream z = new ZstdInputStream(in);
        // zstd-jni reports a truncated frame only when asked to; without this a cut blob ends silently.
        z.setContinuous(false);
        return new java.io.FilterInputStream(z) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException e) {
                    throw new UnsafeImageException("layer is not valid zstd (truncated or corrupt): " + e.getMessage(), e);
                }
            }
        };
    }
}
