package io.krgo.gitlayers;

import io.krgo.compress.FastAdler32;
import io.krgo.sys.NativeDigests;
import io.krgo.compress.StoredBlock;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.PackIndexWriter;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.transport.PackParser;
import org.eclipse.jgit.transport.PackedObjectInfo;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.zip.Adler32;
import java.util.zip.CRC32;

/**
 * Writes one git pack file, streaming: an object's bytes arrive in pieces ({@link #begin}, {@link #content})
 * and are stored as they come, its id (SHA-1) and the index's CRC-32 computed on the way. Objects are stored,
 * not deflated: zlib streams of stored blocks, which every git reads; {@code git gc} compacts them when
 * space matters more than time.
 *
 * <p>Why not JGit's PackInserter: it deflates through a {@link java.util.zip.Deflater} (a copy and an
 * Adler-32 even at level 0), writes in small pieces (ext4 then zeroes the rest of each new page first) and
 * needs each object whole or as a stream it pulls from, where a pull has the bytes on another thread.
 *
 * <p>An object whose id is in {@code known} (shared by the packs of one repository) is taken out again;
 * so is any object already written to this pack. {@link #flush} completes the file (header count, trailer),
 * writes its {@code .idx} and moves both into place; until then nothing is visible to git. Not thread-safe.
 */
final class PackWriter extends ObjectInserter {
    private static final int BUFFER = 1 << 20;
    private static final byte[] HEADER = {'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0};

    private final Path packDir;
    private final Path tmpDir;
    private final Set<ObjectId> known;
    private final Path tmp;
    private final FileChannel ch;
    /** Direct: written to the channel and hashed by libcrypto without a copy. */
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
    /** File offset of {@code buf}'s first byte. */
    private long bufStart;
    private final List<PackedObjectInfo> objects = new ArrayList<>();
    private final MessageDigest sha = new NativeDigests.Sha1();
    private final FastAdler32 adler = new FastAdler32();
    /** The objects this pack will hold, written in its header up front; -1: unknown until {@link #finish}. */
    private int declared;
    /**
     * With a declared count, the trailer's SHA-1 is computed as the bytes are written: of everything up to
     * {@code hashedTo}. {@code atObjectStart}: its state where the current object began, taken when a write
     * passed that point, to take the object back out if it turns out to be stored already.
     */
    private MessageDigest packSha;
    private long hashedTo;
    private MessageDigest atObjectStart;
    private final CRC32 crc = new CRC32();
    private final byte[] small = new byte[32];

    /** The object being written: its offset, the bytes still due and the bytes left in its current block. */
    private long objectStart = -1;
    private long remaining;
    private int blockLeft;
    private ObjectId last;
    private boolean closed;
    /** Told of the finished pack, so a repository open in this JVM finds its objects at once. */
    private ObjectDirectory registry;

    /**
     * @param packDir the repository's {@code objects/pack}
     * @param known   ids already stored in the repository (added to as objects are written); thread-safe if shared
     */
    PackWriter(Path packDir, Set<ObjectId> known) throws IOException {
        this(packDir, packDir, known, -1);
    }

    PackWriter(Path packDir, Set<ObjectId> known, int declared) throws IOException {
        this(packDir, packDir, known, declared);
    }

    /**
     * @param tmpDir   where the pack is written until {@link #finish} moves it into {@code packDir} (same file
     *                 system); {@code packDir} need not exist before then
     * @param declared the number of objects the pack will hold (it is {@link #full()} then), or -1 for as many
     *                 as come: the header's count is then written at the end and the file read back once
     *                 for its checksum
     */
    PackWriter(Path tmpDir, Path packDir, Set<ObjectId> known, int declared) throws IOException {
        this.packDir = packDir;
        this.tmpDir = tmpDir;
        this.known = known;
        this.declared = declared;
        Files.createDirectories(tmpDir);
        this.tmp = Files.createTempFile(tmpDir, "tmp_pack_krgo_", "");
        this.ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.READ);
        buf.put(HEADER);
        if (declared >= 0) {
            buf.putInt(8, declared);
            packSha = new NativeDigests.Sha1();
        }
    }

    /**
     * Drops the declared count: more or fewer objects may follow, and {@link #finish} reads the file back for
     * the checksum.
     */
    void undeclare() {
        declared = -1;
        packSha = null;
        atObjectStart = null;
    }

    /** Whether the declared number of objects has been written (then only {@link #finish} is left). */
    boolean full() {
        return objects.size() == declared;
    }

    /** Makes {@link #finish} announce the pack to {@code db} (as JGit's own inserters do). */
    void registerIn(ObjectDirectory db) {
        this.registry = db;
    }

    /** Objects in this pack so far. */
    int objectCount() {
        return objects.size();
    }

    /** Starts an object of {@code size} bytes; exactly that many follow through {@link #content}. */
    void begin(int type, long size) throws IOException {
        if (objectStart >= 0) {
            throw new IllegalStateException("the previous object is incomplete");
        }
        if (full()) {
            throw new IllegalStateException("the pack holds its declared " + declared + " objects already");
        }
        objectStart = position();
        atObjectStart = null;
        crc.reset();
        adler.reset();
        sha.reset();
        // The id hashes "<type> <size>\0" and the content.
        byte[] typeName = Constants.encodedTypeString(type);
        byte[] sizeText = Long.toString(size).getBytes(StandardCharsets.US_ASCII);
        byte[] prefix = new byte[typeName.length + sizeText.length + 2];
        System.arraycopy(typeName, 0, prefix, 0, typeName.length);
        prefix[typeName.length] = ' ';
        System.arraycopy(sizeText, 0, prefix, typeName.length + 1, sizeText.length);
        sha.update(prefix);
        int n = 0;
        long s = size;
        int c = (type << 4) | (int) (s & 15);
        s >>>= 4;
        while (s != 0) {
            small[n++] = (byte) (c | 0x80);
            c = (int) (s & 0x7f);
            s >>>= 7;
        }
        small[n++] = (byte) c;
        small[n++] = 0x78; // zlib: deflate, 32 KiB window, no dictionary, "fastest" (stored)
        small[n++] = 0x01;
        putFraming(small, 0, n);
        remaining = size;
        blockLeft = 0;
        if (size == 0) {
            startBlock(0, true);
            end();
        }
    }

    /** The next bytes of the object begun last; returns true when they completed it (see {@link #lastId}). */
    boolean content(byte[] b, int off, int len) throws IOException {
        if (len > remaining) {
            throw new IllegalStateException("more content than the object's size");
        }
        while (len > 0) {
            if (blockLeft == 0) {
                int n = (int) Math.min(StoredBlock.MAX_LENGTH, remaining);
                startBlock(n, n == remaining);
            }
            if (!buf.hasRemaining()) {
                drain();
            }
            int n = Math.min(len, Math.min(blockLeft, buf.remaining()));
            int at = buf.position();
            buf.put(b, off, n);
            ByteBuffer region = buf.slice(at, n);
            crc.update(region);
            region.rewind();
            adler.update(region);
            region.rewind();
            sha.update(region);
            off += n;
            len -= n;
            blockLeft -= n;
            remaining -= n;
        }
        if (remaining == 0 && objectStart >= 0) {
            end();
            return true;
        }
        return false;
    }

    /** The id of the object completed last. */
    ObjectId lastId() {
        return last;
    }

    private void startBlock(int n, boolean fin) throws IOException {
        putFraming(small, 0, StoredBlock.header(small, 0, n, fin));
        blockLeft = n;
    }

    private void end() throws IOException {
        int a = (int) adler.getValue();
        byte[] t = {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
        putFraming(t, 0, 4);
        ObjectId id = ObjectId.fromRaw(sha.digest());
        last = id;
        long start = objectStart;
        objectStart = -1;
        MessageDigest before = atObjectStart;
        atObjectStart = null;
        if (!known.add(id)) {
            rewind(start); // stored already: in an earlier pack, or earlier in this one
            if (before != null) {
                packSha = before;
                hashedTo = start;
            }
            return;
        }
        PackedObjectInfo info = new PackedObjectInfo(id);
        info.setOffset(start);
        info.setCRC((int) crc.getValue());
        objects.add(info);
    }

    private void putFraming(byte[] b, int off, int len) throws IOException {
        crc.update(b, off, len);
        for (int i = 0; i < len; i++) {
            if (!buf.hasRemaining()) {
                drain();
            }
            buf.put(b[off + i]);
        }
    }

    private long position() {
        return bufStart + buf.position();
    }

    private void drain() throws IOException {
        if (packSha != null) {
            long end = position();
            if (objectStart >= 0 && atObjectStart == null && objectStart >= hashedTo) {
                hashTo(objectStart);
                try {
                    atObjectStart = (MessageDigest) packSha.clone();
                } catch (CloneNotSupportedException e) {
                    throw new IllegalStateException("SHA-1 cannot be cloned", e);
                }
            }
            hashTo(end);
        }
        buf.flip();
        long at = bufStart;
        while (buf.hasRemaining()) {
            at += ch.write(buf, at);
        }
        bufStart = at;
        buf.clear();
    }

    /** Feeds the trailer's digest the buffered bytes up to file offset {@code to}. */
    private void hashTo(long to) {
        if (to > hashedTo) {
            packSha.update(buf.slice((int) (hashedTo - bufStart), (int) (to - hashedTo)));
            hashedTo = to;
        }
    }

    private void rewind(long to) throws IOException {
        if (to >= bufStart) {
            buf.position((int) (to - bufStart));
            return;
        }
        ch.truncate(to);
        bufStart = to;
        buf.clear();
    }

    @Override
    public ObjectId insert(int type, byte[] data, int off, int len) throws IOException {
        begin(type, len);
        if (len > 0) {
            content(data, off, len);
        }
        return last;
    }

    @Override
    public ObjectId insert(int type, long length, InputStream in) throws IOException {
        begin(type, length);
        byte[] b = new byte[(int) Math.min(length, 64 * 1024)];
        long left = length;
        while (left > 0) {
            int n = in.read(b, 0, (int) Math.min(b.length, left));
            if (n < 0) {
                throw new java.io.EOFException("object content ended " + left + " bytes early");
            }
            content(b, 0, n);
            left -= n;
        }
        return last;
    }

    @Override
    public PackParser newPackParser(InputStream in) {
        throw new UnsupportedOperationException("krgo's pack writer does not parse packs");
    }

    @Override
    public ObjectReader newReader() {
        throw new UnsupportedOperationException("krgo's pack writer does not read objects");
    }

    /**
     * Completes the pack and moves it and its index into {@code objects/pack}; returns the {@code .pack} file,
     * or null when nothing was written (no file is left then). The writer is closed afterwards.
     */
    Path finish() throws IOException {
        if (objectStart >= 0) {
            throw new IllegalStateException("an object is incomplete");
        }
        try {
            if (objects.isEmpty()) {
                return null;
            }
            if (declared >= 0 && !full()) {
                throw new IllegalStateException("the pack declares " + declared + " objects but holds " + objects.size());
            }
            drain();
            long size = bufStart;
            byte[] checksum = packSha != null ? packSha.digest() : checksumFromDisk(size);
            ch.write(ByteBuffer.wrap(checksum), size);
            ch.close();
            closed = true;

            String name = "pack-" + HexFormat.of().formatHex(checksum);
            Path idxTmp = Files.createTempFile(tmpDir, "tmp_idx_krgo_", "");
            Collections.sort(objects);
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(idxTmp), 64 * 1024)) {
                PackIndexWriter.createVersion(out, 2).write(objects, checksum);
            }
            Path pack = Files.createDirectories(packDir).resolve(name + ".pack");
            // The pack first: git and JGit find a pack through its index.
            Files.move(tmp, pack, StandardCopyOption.ATOMIC_MOVE);
            Files.move(idxTmp, packDir.resolve(name + ".idx"), StandardCopyOption.ATOMIC_MOVE);
            if (registry != null) {
                registry.openPack(pack.toFile());
            }
            return pack;
        } finally {
            close();
        }
    }

    /**
     * The trailer of a pack whose count was unknown: the count goes into the header now, and the whole file
     * is hashed again (from the page cache, into the direct buffer that libcrypto hashes in place).
     */
    private byte[] checksumFromDisk(long size) throws IOException {
        ch.write(ByteBuffer.allocate(4).putInt(0, objects.size()), 8);
        sha.reset();
        long at = 0;
        while (at < size) {
            buf.clear();
            buf.limit((int) Math.min(BUFFER, size - at));
            int n = ch.read(buf, at);
            if (n < 0) {
                throw new IOException("pack file shrank while being written: " + tmp);
            }
            at += n;
            buf.flip();
            sha.update(buf);
        }
        return sha.digest();
    }

    /** {@link #finish}; JGit calls this after a commit. */
    @Override
    public void flush() throws IOException {
        finish();
    }

    /** Abandons what is not finished (the temporary file is removed). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            ch.close();
        } catch (IOException ignored) {
            // removed below anyway
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // a temporary file in objects/pack is harmless; git ignores it
        }
    }
}
