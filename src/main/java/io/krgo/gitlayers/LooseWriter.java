package io.krgo.gitlayers;

import io.krgo.compress.FastAdler32;
import io.krgo.sys.NativeDigests;
import io.krgo.compress.StoredBlock;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Set;

/**
 * Writes large blobs as loose objects ({@code objects/xx/yyyy...}: one zlib stream of stored blocks of
 * {@code "blob <size>\0"} and the content), streaming like {@link PackWriter}. Why: a pack's trailer hashes
 * every byte of the pack a second time; a loose object has no trailer, and for a large file one more file
 * costs far less than hashing it twice. Not thread-safe.
 */
final class LooseWriter {
    private static final int BUFFER = 1 << 20;

    private final Path tmpDir;
    private final Path objectsDir;
    private final Set<ObjectId> known;
    private final Set<String> fanOutDirs = new HashSet<>();
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
    private final MessageDigest sha = new NativeDigests.Sha1();
    private final FastAdler32 adler = new FastAdler32();
    private final byte[] small = new byte[8];

    private Path tmp;
    private FileChannel ch;
    private long remaining;
    private int blockLeft;
    private long dataLeft;

    /**
     * @param tmpDir     where an object is written until it is complete (same file system as {@code objectsDir})
     * @param objectsDir the repository's {@code objects}; must exist when {@link #end} is called
     * @param known      ids already stored (added to); a known object is not written again
     */
    LooseWriter(Path tmpDir, Path objectsDir, Set<ObjectId> known) {
        this.tmpDir = tmpDir;
        this.objectsDir = objectsDir;
        this.known = known;
    }

    /** Starts a blob of {@code size} bytes; exactly that many follow through {@link #content}. */
    void begin(long size) throws IOException {
        if (ch != null) {
            throw new IllegalStateException("the previous object is incomplete");
        }
        Files.createDirectories(tmpDir);
        tmp = Files.createTempFile(tmpDir, "tmp_obj_krgo_", "");
        ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
        buf.clear();
        sha.reset();
        adler.reset();
        byte[] header = (Constants.TYPE_BLOB + " " + size + "\0").getBytes(StandardCharsets.US_ASCII);
        remaining = size;
        dataLeft = header.length + size; // zlib's data: the header, then the content
        blockLeft = 0;
        put(new byte[] {0x78, 0x01}, 0, 2, false); // zlib: deflate, 32 KiB window, stored
        put(header, 0, header.length, true);
    }

    /** The next bytes of the blob; returns its id when they complete it, else null. */
    ObjectId content(byte[] b, int off, int len) throws IOException {
        if (ch == null || len > remaining) {
            throw new IllegalStateException("content without a blob, or more than its size");
        }
        put(b, off, len, true);
        remaining -= len;
        return remaining == 0 ? end() : null;
    }

    /**
     * Appends zlib data (framed in stored blocks; hashed into the id and the Adler-32) or, {@code data} false,
     * zlib's own bytes.
     */
    private void put(byte[] b, int off, int len, boolean data) throws IOException {
        while (len > 0) {
            if (data && blockLeft == 0) {
                int n = (int) Math.min(StoredBlock.MAX_LENGTH, dataLeft);
                put(small, 0, StoredBlock.header(small, 0, n, n == dataLeft), false);
                blockLeft = n;
            }
            if (!buf.hasRemaining()) {
                drain();
            }
            int n = Math.min(len, buf.remaining());
            if (data) {
                n = Math.min(n, blockLeft);
            }
            int at = buf.position();
            buf.put(b, off, n);
            if (data) {
                ByteBuffer region = buf.slice(at, n);
                adler.update(region);
                region.rewind();
                sha.update(region);
                blockLeft -= n;
                dataLeft -= n;
            }
            off += n;
            len -= n;
        }
    }

    private void drain() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }

    private ObjectId end() throws IOException {
        int a = (int) adler.getValue();
        put(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a}, 0, 4, false);
        drain();
        ch.close();
        ch = null;
        ObjectId id = ObjectId.fromRaw(sha.digest());
        if (!known.add(id)) {
            Files.delete(tmp); // stored already
            return id;
        }
        String name = id.name();
        Path dir = objectsDir.resolve(name.substring(0, 2));
        if (fanOutDirs.add(name.substring(0, 2))) {
            Files.createDirectories(dir);
        }
        Files.move(tmp, dir.resolve(name.substring(2)), StandardCopyOption.ATOMIC_MOVE);
        return id;
    }

    /** Abandons an incomplete object. */
    void close() {
        if (ch != null) {
            try {
                ch.close();
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a temporary file beside the repository is harmless
            }
            ch = null;
        }
    }
}
