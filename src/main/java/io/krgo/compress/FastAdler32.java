package io.krgo.compress;

import io.krgo.sys.IsalLibrary;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.util.zip.Adler32;

/**
 * Adler-32 (the checksum that ends every zlib stream of a pack), from ISA-L where it is installed: its AVX2
 * code is several times faster than zlib's, which the JDK's {@link Adler32} calls (~2 GB/s here, a tenth of
 * a second per pull of the realistic image). Falls back to the JDK's. Not thread-safe.
 */
public final class FastAdler32 {
    private static final boolean NATIVE = Lib.LOADED;
    private final Adler32 jdk = NATIVE ? null : new Adler32();
    private int value = 1;

    public void reset() {
        if (jdk != null) {
            jdk.reset();
        }
        value = 1;
    }

    /** Adds the buffer's remaining bytes; consumes them. */
    public void update(ByteBuffer b) {
        if (jdk != null || !b.isDirect()) {
            if (jdk == null) {
                throw new IllegalArgumentException("a direct buffer is needed");
            }
            jdk.update(b);
            return;
        }
        int n = b.remaining();
        if (n > 0) {
            value = Lib.isal_adler32(value, Native.getDirectBufferPointer(b).share(b.position()), n);
            b.position(b.limit());
        }
    }

    public long getValue() {
        return jdk != null ? jdk.getValue() : value & 0xffffffffL;
    }

    /** Whether ISA-L's Adler-32 is in use. */
    public static boolean isNative() {
        return NATIVE;
    }

    private static final class Lib {
        static final boolean LOADED = load();

        private static boolean load() {
            if (!IsalLibrary.register(Lib.class)) {
                return false;
            }
            // Checked once against the JDK's, like the other native code krgo loads.
            byte[] probe = new byte[70_000];
            new java.util.Random(11).nextBytes(probe);
            ByteBuffer direct = ByteBuffer.allocateDirect(probe.length).put(probe).flip();
            Adler32 expected = new Adler32();
            expected.update(probe);
            int got = isal_adler32(1, Native.getDirectBufferPointer(direct), probe.length);
            return (got & 0xffffffffL) == expected.getValue();
        }

        static native int isal_adler32(int init, Pointer buf, long len);
    }
}
