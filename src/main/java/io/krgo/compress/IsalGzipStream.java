package io.krgo.compress;

import io.krgo.sys.IsalLibrary;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.krgo.error.UnsafeImageException;
import io.krgo.stream.BulkInputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

/**
 * A gzip decoder on Intel's ISA-L (libisal.so.2, Debian package {@code libisal2}), which inflates ~2.3x
 * faster than zlib (measured on the realistic image's base layer: 0.22 s against 0.51 s): decompression
 * is the longest single-threaded step of a pull. Same contract as {@link GzipStream}: every concatenated
 * member, zero padding after the last one allowed, truncation and bad checksums are errors. Used only
 * when the library loads and passes a self-test at first use (the state's field offsets below are
 * ISA-L 2.x's public ABI; a library that disagrees fails the test and zlib is used instead); the
 * system property {@code krgo.isal=false} turns it off.
 */
final class IsalGzipStream extends BulkInputStream {
    // struct inflate_state (igzip_lib.h): offsets of the fields used here, and a generous allocation.
    private static final int NEXT_OUT = 0;
    private static final int AVAIL_OUT = 8;
    private static final int NEXT_IN = 16;
    private static final int AVAIL_IN = 32;
    private static final int BLOCK_STATE = 21160;
    private static final int CRC_FLAG = 21172;
    /** sizeof(struct inflate_state) is 87,368 bytes in ISA-L 2.30: room to spare if a release grows it. */
    private static final int STATE_ALLOCATION = 256 * 1024;
    private static final int ISAL_BLOCK_FINISH = 5;
    private static final int ISAL_GZIP = 1;
    private static final int ISAL_INCORRECT_CHECKSUM = -6;
    private static final int IN_CAP = 1 << 20;
    private static final int OUT_CAP = 1 << 20;

    private final InputStream in;
    private final Memory state = new Memory(STATE_ALLOCATION);
    private final Memory inBuf = new Memory(IN_CAP);
    private final Memory outBuf = new Memory(OUT_CAP);
    private final byte[] transfer = new byte[IN_CAP];
    private boolean inputEnded;
    private boolean inMember;
    private boolean eof;

    IsalGzipStream(InputStream in) throws IOException {
        this.in = in;
        state.clear();
        setInput(0, 0);
        if (!startMember(true)) {
            throw new UnsafeImageException("layer is empty, expected gzip data");
        }
    }

    /** Whether ISA-L is there and decodes correctly (checked once per JVM). */
    static boolean usable() {
        return Lib.USABLE;
    }

    private static final class Lib {
        static final boolean USABLE = load();

        private static boolean load() {
            if (!IsalLibrary.register(Lib.class)) {
                return false;
            }
            return selfTest();
        }

        /** Two members of random (stored blocks) and repeated (matches) data in odd reads; must come back exactly. */
        private static boolean selfTest() {
            try {
                // Small: it runs on the first layer's critical path (300 KB took ~0.1 s under C1).
                byte[] data = new byte[24_000];
                new java.util.Random(7).nextBytes(data);
                Arrays.fill(data, 8_000, 16_000, (byte) 'a');
                ByteArrayOutputStream gz = new ByteArrayOutputStream();
                for (int member = 0; member < 2; member++) {
                    GZIPOutputStream out = new GZIPOutputStream(gz);
                    out.write(data);
                    out.finish();
                }
                byte[] expected = new byte[data.length * 2];
                System.arraycopy(data, 0, expected, 0, data.length);
                System.arraycopy(data, 0, expected, data.length, data.length);
                InputStream trickle = new ByteArrayInputStream(gz.toByteArray()) {
                    @Override
                    public synchronized int read(byte[] b, int off, int len) {
                        return super.read(b, off, Math.min(len, 1021));
                    }
                };
                try (IsalGzipStream s = new IsalGzipStream(trickle)) {
                    return Arrays.equals(s.readAllBytes(), expected);
                }
            } catch (IOException | RuntimeException | LinkageError failed) {
                return false;
            }
        }

        static native void isal_inflate_init(Pointer state);

        static native int isal_inflate(Pointer state);
    }

    private void setInput(long offset, int length) {
        state.setPointer(NEXT_IN, inBuf.share(offset));
        state.setInt(AVAIL_IN, length);
    }

    private int availIn() {
        return state.getInt(AVAIL_IN);
    }

    private long inOffset() {
        return Pointer.nativeValue(state.getPointer(NEXT_IN)) - Pointer.nativeValue(inBuf);
    }

    /** Refills the input buffer (keeping unread bytes first); false at the end of the source. */
    private boolean fill() throws IOException {
        int left = availIn();
        long at = inOffset();
        if (left > 0 && at > 0) {
            byte[] keep = inBuf.getByteArray(at, left);
            inBuf.write(0, keep, 0, left);
        }
        int n = in.read(transfer, 0, IN_CAP - left);
        if (n <= 0) {
            inputEnded = true;
            setInput(0, left);
            return false;
        }
        inBuf.write(left, transfer, 0, n);
        setInput(0, left + n);
        return true;
    }

    /** At a member boundary: the next member, or false at a clean end (only zero padding may follow). */
    private boolean startMember(boolean first) throws IOException {
        while (availIn() < 2 && !inputEnded) {
            fill();
        }
        int avail = availIn();
        if (avail == 0) {
            return false;
        }
        long at = inOffset();
        int id1 = inBuf.getByte(at) & 0xff;
        int id2 = avail > 1 ? inBuf.getByte(at + 1) & 0xff : -1;
        if (id1 == 0x1f && id2 == 0x8b) {
            Lib.isal_inflate_init(state);
            state.setInt(CRC_FLAG, ISAL_GZIP);
            setInput(at, avail);
            inMember = true;
            return true;
        }
        if (avail == 1) {
            throw truncated();
        }
        if (!first && id1 == 0 && id2 == 0) {
            drainZeros();
            return false;
        }
        throw new UnsafeImageException("layer is not valid gzip: bad magic");
    }

    private void drainZeros() throws IOException {
        while (true) {
            int avail = availIn();
            byte[] rest = inBuf.getByteArray(inOffset(), avail);
            for (byte b : rest) {
                if (b != 0) {
                    throw new UnsafeImageException("layer is not valid gzip: garbage after the last member");
                }
            }
            setInput(0, 0);
            if (!fill()) {
                return;
            }
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            if (!inMember && !startMember(false)) {
                eof = true;
                return -1;
            }
            if (availIn() == 0 && !inputEnded) {
                fill();
            }
            int want = Math.min(len, OUT_CAP);
            state.setPointer(NEXT_OUT, outBuf);
            state.setInt(AVAIL_OUT, want);
            long inBefore = inOffset();
            int availBefore = availIn();
            int r = Lib.isal_inflate(state);
            if (r == ISAL_INCORRECT_CHECKSUM) {
                throw new UnsafeImageException("layer gzip stream is corrupt (CRC or size mismatch)");
            }
            if (r < 0) {
                throw new UnsafeImageException("layer is not valid gzip (ISA-L error " + r + ")");
            }
            int produced = want - state.getInt(AVAIL_OUT);
            boolean finished = state.getInt(BLOCK_STATE) == ISAL_BLOCK_FINISH;
            if (finished) {
                inMember = false;
            }
            if (produced > 0) {
                outBuf.read(0, b, off, produced);
                return produced;
            }
            boolean stuck = inOffset() == inBefore && availIn() == availBefore;
            if (!finished && ((availIn() == 0 && inputEnded) || (stuck && !fill()))) {
                throw truncated();
            }
        }
        return -1;
    }

    private static UnsafeImageException truncated() {
        return new UnsafeImageException("layer gzip stream is truncated");
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
