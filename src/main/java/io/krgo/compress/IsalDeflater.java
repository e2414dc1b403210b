package io.krgo.compress;

import io.krgo.sys.IsalLibrary;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.util.Arrays;
import java.util.Random;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A raw deflate encoder for one block at a time on Intel's ISA-L (libisal.so.2, Debian package
 * {@code libisal2}): its level 1 runs at ~500 MB/s per core on a typical rootfs tar and ~800 MB/s on base64
 * text, where zlib's level 1 manages ~30-115 MB/s, for about the same size (Debian's /usr: 219.7 MB against
 * zlib's 217.9 MB). Each call encodes one block primed with an optional 32 KiB dictionary and ends either
 * with a sync flush (an empty stored block: byte-aligned, so the next block's bytes can follow) or with the
 * final block: what {@link ParallelGzipOutputStream} joins into one gzip stream.
 *
 * <p>Used only when the library loads and passes a self-test at first use: the stream structure's field
 * offsets below are ISA-L 2.x's public ABI ({@code struct isal_zstream} in igzip_lib.h), and a library that
 * disagrees fails the test, so zlib is used instead. The system property {@code krgo.isal=false} turns it
 * off (as it does {@link IsalGzipStream}). Output depends only on the input, the dictionary and the level for
 * a given library build. Not thread-safe: one instance per thread at a time; {@link #close()} frees the
 * native memory (~0.9 MB for 256 KiB blocks).
 */
public final class IsalDeflater implements AutoCloseable {
    // struct isal_zstream (igzip_lib.h, ISA-L 2.x): offsets of the fields used here
    private static final int NEXT_IN = 0;
    private static final int AVAIL_IN = 8;
    private static final int NEXT_OUT = 16;
    private static final int AVAIL_OUT = 24;
    private static final int LEVEL = 40;
    private static final int LEVEL_BUF_SIZE = 44;
    private static final int LEVEL_BUF = 48;
    private static final int END_OF_STREAM = 56;
    private static final int FLUSH = 58;
    private static final int GZIP_FLAG = 60;
    private static final int HIST_BITS = 62;
    /** sizeof(struct isal_zstream) is 82,384 bytes in ISA-L 2.30: room to spare if a release grows it. */
    private static final int STATE_ALLOCATION = 256 * 1024;
    /** ISAL_DEF_LVL{1,2,3}_DEFAULT in ISA-L 2.30 (hash tables plus 64 Ki tokens); level 0 needs none. */
    private static final int[] LEVEL_BUF_SIZES = {0, 282_624, 331_776, 348_160};
    private static final int SYNC_FLUSH = 1;
    private static final int COMP_OK = 0;
    static final int DICT = 32 * 1024;
    /** ISA-L's levels: 0 (fastest) to 3. */
    static final int MAX_LEVEL = 3;

    private final int level;
    private final Memory state = new Memory(STATE_ALLOCATION);
    private final Memory levelBuf;
    /** The dictionary, then the block: one copy in. */
    private Memory input;
    private Memory output;

    /**
     * @param level    ISA-L level, 1..3
     * @param maxBlock the usual block size (larger blocks grow the buffers)
     */
    IsalDeflater(int level, int maxBlock) {
        if (level < 1 || level > MAX_LEVEL) {
            throw new IllegalArgumentException("ISA-L deflate level must be 1..3: " + level);
        }
        this.level = level;
        this.levelBuf = new Memory(LEVEL_BUF_SIZES[level]);
        this.input = new Memory(DICT + Math.max(1, maxBlock));
        this.output = new Memory(outputBound(maxBlock));
    }

    /** Whether ISA-L is there and encodes correctly (checked once per JVM). */
    public static boolean usable() {
        return Lib.USABLE;
    }

    /** Stored blocks add 5 bytes per 64 KiB, Huffman codes far less than 1/8: one call usually suffices. */
    private static long outputBound(long block) {
        return block + block / 8 + 1024;
    }

    /**
     * Encodes {@code data[0, length)} as raw deflate, after the last {@code dictLength} bytes (at most 32 KiB)
     * of {@code dict[0, dictEnd)} as history when {@code dict} is not null; ends with a sync flush, or with
     * the final block when {@code last}. The result waits in native memory: {@link #copyOutput} fetches it.
     *
     * @return the number of bytes produced
     */
    int deflate(byte[] data, int length, byte[] dict, int dictEnd, boolean last) {
        int dictLength = dict == null ? 0 : Math.min(DICT, dictEnd);
        if (input.size() < DICT + (long) length) {
            input.close();
            input = new Memory(DICT + (long) length);
        }
        if (dictLength > 0) {
            input.write(DICT - dictLength, dict, dictEnd - dictLength, dictLength);
        }
        if (length > 0) {
            input.write(DICT, data, 0, length);
        }
        Lib.isal_deflate_init(state);
        state.setInt(LEVEL, level);
        state.setInt(LEVEL_BUF_SIZE, (int) levelBuf.size());
        state.setPointer(LEVEL_BUF, levelBuf);
        state.setShort(GZIP_FLAG, (short) 0); // raw deflate: the gzip framing is the caller's
        state.setShort(HIST_BITS, (short) 0); // the default 32 KiB window
        state.setShort(FLUSH, (short) SYNC_FLUSH);
        state.setShort(END_OF_STREAM, (short) (last ? 1 : 0));
        if (dictLength > 0) {
            check(Lib.isal_deflate_set_dict(state, input.share(DICT - dictLength), dictLength), "set_dict");
        }
        state.setPointer(NEXT_IN, input.share(DICT));
        state.setInt(AVAIL_IN, length);
        long produced = 0;
        while (true) {
            state.setPointer(NEXT_OUT, output.share(produced));
            int room = (int) Math.min(Integer.MAX_VALUE, output.size() - produced);
            state.setInt(AVAIL_OUT, room);
            check(Lib.isal_deflate(state), "deflate");
            produced += room - Integer.toUnsignedLong(state.getInt(AVAIL_OUT));
            // Returns when the input is used up or the output is full; with room left, all is flushed.
            if (state.getInt(AVAIL_IN) == 0 && produced < output.size()) {
                return Math.toIntExact(produced);
            }
            Memory bigger = new Memory(output.size() * 2);
            bigger.write(0, output.getByteArray(0, (int) produced), 0, (int) produced);
            output.close();
            output = bigger;
        }
    }

    /** Copies the last {@link #deflate}'s {@code length} bytes to {@code dest[0, length)}. */
    void copyOutput(byte[] dest, int length) {
        output.read(0, dest, 0, length);
    }

    private static void check(int result, String call) {
        if (result != COMP_OK) {
            throw new IllegalStateException("ISA-L isal_" + call + " failed: " + result);
        }
    }

    @Override
    public void close() {
        state.close();
        levelBuf.close();
        input.close();
        output.close();
    }

    private static final class Lib {
        static final boolean USABLE = load();

        private static boolean load() {
            if (!IsalLibrary.register(Lib.class)) {
                return false;
            }
            return selfTest();
        }

        /**
         * Two blocks of random (stored), repeated (matches) and text data, the second primed with the first
         * as dictionary and referring back into it, at every level; the joined stream must inflate exactly.
         */
        private static boolean selfTest() {
            byte[] data = new byte[48_000];
            new Random(7).nextBytes(data);
            Arrays.fill(data, 8_000, 16_000, (byte) 'a');
            byte[] text = "ISA-L deflate self-test, a line of text\n".repeat(200).getBytes();
            System.arraycopy(text, 0, data, 24_000, text.length);
            System.arraycopy(data, 0, data, 40_000, 8_000); // a repeat across the block boundary
            int half = 32_000;
            byte[] second = Arrays.copyOfRange(data, half, data.length);
            for (int level = 1; level <= MAX_LEVEL; level++) {
                try (IsalDeflater d = new IsalDeflater(level, 16 * 1024)) { // small: the output buffer must grow
                    int n1 = d.deflate(data, half, null, 0, false);
                    byte[] out = new byte[n1];
                    d.copyOutput(out, n1);
                    int n2 = d.deflate(second, second.length, data, half, true);
                    byte[] joined = Arrays.copyOf(out, n1 + n2);
                    byte[] tail = new byte[n2];
                    d.copyOutput(tail, n2);
                    System.arraycopy(tail, 0, joined, n1, n2);
                    if (!Arrays.equals(inflate(joined, data.length), data)) {
                        return false;
                    }
                } catch (RuntimeException | LinkageError | DataFormatException failed) {
                    return false;
                }
            }
            return true;
        }

        private static byte[] inflate(byte[] raw, int size) throws DataFormatException {
            Inflater inf = new Inflater(true);
            try {
                inf.setInput(raw);
                byte[] out = new byte[size + 1];
                int n = 0;
                while (!inf.finished() && n < out.length) {
                    int k = inf.inflate(out, n, out.length - n);
                    if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
                        return null;
                    }
                    n += k;
                }
                return inf.finished() && inf.getRemaining() == 0 ? Arrays.copyOf(out, n) : null;
            } finally {
                inf.end();
            }
        }

        static native void isal_deflate_init(Pointer stream);

        static native int isal_deflate_set_dict(Pointer stream, Pointer dict, int length);

        static native int isal_deflate(Pointer stream);
    }
}
