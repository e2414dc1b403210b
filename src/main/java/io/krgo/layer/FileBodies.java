package io.krgo.layer;

import io.krgo.error.UnsafeImageException;
import io.krgo.tar.TarEntry;
import io.krgo.tar.TarReader;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.EnumSet;
import java.util.Set;

/**
 * Copies the current tar entry's data into a new file (or into the small-file ring), showing it to the
 * content tee on the way; sparse files get their data segments at their offsets and keep their holes.
 */
final class FileBodies {
    private static final Set<StandardOpenOption> CREATE_NEW_WRITE =
            EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    private static final byte[] ZEROS = new byte[64 * 1024];

    private final TarReader tar;
    /** null: nobody watches */
    private final ContentTee tee;
    private final byte[] buffer;

    FileBodies(TarReader tar, ContentTee tee, byte[] buffer) {
        this.tar = tar;
        this.tee = tee;
        this.buffer = buffer;
    }

    /** Reads exactly {@code length} bytes of the entry's data into {@code into}. */
    void readContent(byte[] into, int offset, int length) throws IOException {
        int off = offset;
        int end = offset + length;
        while (off < end) {
            off += readData(into, off, end - off);
        }
        if (tee != null) {
            tee.content(into, offset, length);
        }
    }

    /** Creates {@code p} (it must not exist) with the next {@code size} bytes of data. */
    void writeFile(Path p, long size, FileAttribute<?>[] mode) throws IOException {
        try (FileChannel ch = FileChannel.open(p, CREATE_NEW_WRITE, mode)) {
            copy(ch, -1, size);
        }
    }

    /**
     * Creates a sparse file: its data segments at their offsets, holes left as holes (the file is extended
     * to its full length without writing). Whoever watches sees the whole content, zeros included.
     */
    void writeSparse(Path p, TarEntry e) throws IOException {
        long end = 0;
        try (FileChannel ch = FileChannel.open(p, CREATE_NEW_WRITE)) {
            for (TarEntry.SparseSegment s : e.sparse()) {
                teeZeros(s.offset() - end);
                copy(ch, s.offset(), s.length());
                end = s.offset() + s.length();
            }
        }
        if (e.realSize() > end) {
            teeZeros(e.realSize() - end);
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(e.realSize()); // ftruncate: extends with a hole
            }
        }
    }

    /** Copies {@code length} bytes of data to the channel, at {@code at} or (negative) where it stands. */
    private void copy(FileChannel ch, long at, long length) throws IOException {
        long pos = at;
        long left = length;
        while (left > 0) {
            int n = readData(buffer, 0, (int) Math.min(buffer.length, left));
            if (tee != null) {
                tee.content(buffer, 0, n);
            }
            ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
            while (bb.hasRemaining()) {
                if (at < 0) {
                    ch.write(bb);
                } else {
                    pos += ch.write(bb, pos);
                }
            }
            left -= n;
        }
    }

    private void teeZeros(long n) throws IOException {
        for (long left = n; tee != null && left > 0; left -= ZEROS.length) {
            tee.content(ZEROS, 0, (int) Math.min(ZEROS.length, left));
        }
    }

    /** One read of the entry's data (at least one byte). */
    private int readData(byte[] b, int off, int len) throws IOException {
        int n = tar.read(b, off, len);
        if (n <= 0) {
            throw new UnsafeImageException("layer tar is truncated inside an entry's data");
        }
        return n;
    }
}
