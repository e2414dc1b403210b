package io.krgo.compress;

import io.krgo.stream.BulkInputStream;
import io.krgo.error.UnsafeImageException;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A gzip decoder with a large input buffer that reads every concatenated member. Unlike the JDK's
 * GZIPInputStream (before JDK 23) it does not use {@code available()} to decide whether another member
 * follows, which silently drops members on network streams; a truncated stream is an error.
 */
final class GzipStream extends BulkInputStream {
    private final InputStream in;
    private final byte[] buf;
    private int bufPos;
    private int bufLen;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private boolean inMember;
    private boolean eof;

    GzipStream(InputStream in, int bufferSize) throws IOException {
        this.in = in;
        this.buf = new byte[bufferSize];
        if (!readHeader(true)) {
            throw new UnsafeImageException("layer is empty, expected gzip data");
        }
    }


    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            if (!inMember) {
                if (!readHeader(false)) {
                    eof = true;
                    return -1;
                }
            }
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new UnsafeImageException("layer is not valid gzip: " + e.getMessage(), e);
            }
            if (n > 0) {
                crc.update(b, off, n);
                return n;
            }
            if (inflater.finished()) {
                finishMember();
            } else if (inflater.needsInput()) {
                if (!fill()) {
                    throw truncated();
                }
                inflater.setInput(buf, bufPos, bufLen - bufPos);
                bufPos = bufLen;
            } else if (inflater.needsDictionary()) {
                throw new UnsafeImageException("layer is not valid gzip: preset dictionary");
            }
        }
        return -1;
    }

    private static UnsafeImageException truncated() {
        return new UnsafeImageException("layer gzip stream is truncated");
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        bufPos = 0;
        bufLen = n;
        return true;
    }

    private int nextByte(boolean eofOk) throws IOException {
        if (bufPos >= bufLen && !fill()) {
            if (eofOk) {
                return -1;
            }
            throw truncated();
        }
        return buf[bufPos++] & 0xff;
    }

    /** Reads a member header; false at a clean end of stream. */
    private boolean readHeader(boolean first) throws IOException {
        int id1 = nextByte(true);
        if (id1 < 0) {
            return false;
        }
        int id2 = nextByte(false);
        if (id1 != 0x1f || id2 != 0x8b) {
            if (!first && id1 == 0 && id2 == 0) {
                // Zero padding after the last member (some writers pad to a block size).
                drainZeros();
                return false;
            }
            throw new UnsafeImageException("layer is not valid gzip: bad magic");
        }
        int method = nextByte(false);
        int flags = nextByte(false);
        if (method != 8) {
            throw new UnsafeImageException("layer is not valid gzip: unknown method " + method);
        }
        for (int i = 0; i < 6; i++) {
            nextByte(false); // mtime, xfl, os
        }
        if ((flags & 4) != 0) {
            int xlen = nextByte(false) | nextByte(false) << 8;
            for (int i = 0; i < xlen; i++) {
                nextByte(false);
            }
        }
        if ((flags & 8) != 0) {
            while (nextByte(false) != 0) { /* file name */ }
        }
        if ((flags & 16) != 0) {
            while (nextByte(false) != 0) { /* comment */ }
        }
        if ((flags & 2) != 0) {
            nextByte(false);
            nextByte(false);
        }
        inflater.reset();
        crc.reset();
        if (bufPos < bufLen) {
            inflater.setInput(buf, bufPos, bufLen - bufPos);
            bufPos = bufLen;
        }
        inMember = true;
        return true;
    }

    private void drainZeros() throws IOException {
        int b;
        while ((b = nextByte(true)) >= 0) {
            if (b != 0) {
                throw new UnsafeImageException("layer is not valid gzip: garbage after the last member");
            }
        }
    }

    private void finishMember() throws IOException {
        // Give back what the inflater did not consume: the trailer and maybe the next member.
        int remaining = inflater.getRemaining();
        bufPos = bufLen - remaining;
        long expectedCrc = readLe32();
        long expectedSize = readLe32();
        if (expectedCrc != crc.getValue() || expectedSize != (inflater.getBytesWritten() & 0xffffffffL)) {
            throw new UnsafeImageException("layer gzip stream is corrupt (CRC or size mismatch)");
        }
        inMember = false;
    }

    private long readLe32() throws IOException {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (long) nextByte(false) << (8 * i);
        }
        return v;
    }

    @Override
    public void close() throws IOException {
        inflater.end();
        in.close();
    }
}
