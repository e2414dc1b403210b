package io.krgo.image;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.MessageDigestSpi;
import java.security.Provider;
import java.security.Security;
import java.util.List;
import java.util.Optional;

/**
 * SHA-256, SHA-512 and SHA-1 from the system's libcrypto (OpenSSL), as a JCA provider. Why: the JDK's
 * SHA code is fast only once C2 has compiled it; the CLI runs with C1 only (JIT compilation was a third
 * of a pull's CPU), where the JDK's SHA-256 runs at ~100 MB/s against OpenSSL's ~1.5 GB/s. Installed by
 * the CLI ({@link #install()}); libraries may call it too. Without libcrypto nothing changes.
 */
public final class NativeDigests extends Provider {
    private static final long serialVersionUID = 1L;
    private static final int SCRATCH = 256 * 1024;
    private static final List<String> LIBRARY_NAMES = List.of("libcrypto.so.3", "libcrypto.so.1.1", "crypto");

    private NativeDigests() {
        super("KrgoNativeDigests", "1.0", "SHA-1/SHA-256/SHA-512 from libcrypto");
        put("MessageDigest.SHA-256", Sha256.class.getName());
        put("MessageDigest.SHA-512", Sha512.class.getName());
        put("MessageDigest.SHA-1", Sha1.class.getName());
        put("Alg.Alias.MessageDigest.SHA256", "SHA-256");
        put("Alg.Alias.MessageDigest.SHA", "SHA-1");
    }

    /**
     * Puts the provider first in this JVM's list (once). Cheap: libcrypto is loaded by the first digest
     * created; without it, that digest and every later one is the JDK's own.
     */
    public static synchronized void install() {
        if (Security.getProvider("KrgoNativeDigests") == null) {
            Security.insertProviderAt(new NativeDigests(), 1);
        }
    }

    /** Whether libcrypto could be loaded (loads it on the first call). */
    public static boolean available() {
        return Lib.LOADED.isPresent();
    }

    /** libcrypto's one-shot-free SHA functions, bound by JNA direct mapping (much cheaper per call than a proxy). */
    static final class Lib {
        static final Optional<NativeLibrary> LOADED = load();

        private static Optional<NativeLibrary> load() {
            for (String name : LIBRARY_NAMES) {
                try {
                    NativeLibrary lib = NativeLibrary.getInstance(name);
                    lib.getFunction("SHA256_Init");
                    Native.register(Lib.class, lib);
                    return Optional.of(lib);
                } catch (UnsatisfiedLinkError | NoClassDefFoundError | IllegalArgumentException absent) {
                    // try the next name
                }
            }
            return Optional.empty();
        }

        static native int SHA256_Init(Pointer ctx);

        static native int SHA256_Update(Pointer ctx, Pointer data, long len);

        static native int SHA256_Final(Pointer md, Pointer ctx);

        static native int SHA512_Init(Pointer ctx);

        static native int SHA512_Update(Pointer ctx, Pointer data, long len);

        static native int SHA512_Final(Pointer md, Pointer ctx);

        static native int SHA1_Init(Pointer ctx);

        static native int SHA1_Update(Pointer ctx, Pointer data, long len);

        static native int SHA1_Final(Pointer md, Pointer ctx);
    }

    /** Per-thread native scratch buffer that Java bytes are copied into before hashing. */
    private static final ThreadLocal<Memory> SCRATCH_BUFFER = ThreadLocal.withInitial(() -> new Memory(SCRATCH));

    /**
     * The common engine: a native context (generously sized for any of the three) plus the algorithm's
     * calls; or, where libcrypto is missing, the JDK's engine for the same algorithm.
     */
    abstract static class Engine extends MessageDigestSpi implements Cloneable {
        private static final int CTX_SIZE = 256;
        private final int length;
        private Memory ctx;
        private MessageDigest fallback;
        private final byte[] one = new byte[1];

        Engine(int length, String algorithm) {
            this.length = length;
            if (Lib.LOADED.isPresent()) {
                ctx = new Memory(CTX_SIZE);
                ctx.clear();
                init(ctx);
            } else {
                try {
                    fallback = MessageDigest.getInstance(algorithm, "SUN");
                } catch (java.security.GeneralSecurityException e) {
                    throw new IllegalStateException("the JDK has no " + algorithm, e);
                }
            }
        }

        abstract void init(Pointer ctx);

        abstract void update(Pointer ctx, Pointer data, long len);

        abstract void doFinal(Pointer md, Pointer ctx);

        @Override
        protected int engineGetDigestLength() {
            return length;
        }

        @Override
        protected void engineUpdate(byte input) {
            one[0] = input;
            engineUpdate(one, 0, 1);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            if (fallback != null) {
                fallback.update(input, offset, len);
                return;
            }
            Memory scratch = SCRATCH_BUFFER.get();
            while (len > 0) {
                int n = Math.min(len, SCRATCH);
                scratch.write(0, input, offset, n);
                update(ctx, scratch, n);
                offset += n;
                len -= n;
            }
        }

        @Override
        protected byte[] engineDigest() {
            if (fallback != null) {
                return fallback.digest();
            }
            Memory md = SCRATCH_BUFFER.get();
            doFinal(md, ctx);
            byte[] out = md.getByteArray(0, length);
            init(ctx);
            return out;
        }

        @Override
        protected int engineDigest(byte[] buf, int offset, int len) throws DigestException {
            if (len < length) {
                throw new DigestException("buffer too short for a " + length + "-byte digest");
            }
            byte[] out = engineDigest();
            System.arraycopy(out, 0, buf, offset, length);
            return length;
        }

        @Override
        protected void engineReset() {
            if (fallback != null) {
                fallback.reset();
            } else {
                init(ctx);
            }
        }

        @Override
        public Object clone() throws CloneNotSupportedException {
            Engine copy = (Engine) super.clone();
            if (fallback != null) {
                copy.fallback = (MessageDigest) fallback.clone();
                return copy;
            }
            copy.ctx = new Memory(CTX_SIZE);
            copy.ctx.write(0, ctx.getByteArray(0, CTX_SIZE), 0, CTX_SIZE);
            return copy;
        }
    }

    public static final class Sha256 extends Engine {
        public Sha256() {
            super(32, "SHA-256");
        }

        @Override
        void init(Pointer ctx) {
            Lib.SHA256_Init(ctx);
        }

        @Override
        void update(Pointer ctx, Pointer data, long len) {
            Lib.SHA256_Update(ctx, data, len);
        }

        @Override
        void doFinal(Pointer md, Pointer ctx) {
            Lib.SHA256_Final(md, ctx);
        }
    }

    public static final class Sha512 extends Engine {
        public Sha512() {
            super(64, "SHA-512");
        }

        @Override
        void init(Pointer ctx) {
            Lib.SHA512_Init(ctx);
        }

        @Override
        void update(Pointer ctx, Pointer data, long len) {
            Lib.SHA512_Update(ctx, data, len);
        }

        @Override
        void doFinal(Pointer md, Pointer ctx) {
            Lib.SHA512_Final(md, ctx);
        }
    }

    public static final class Sha1 extends Engine {
        public Sha1() {
            super(20, "SHA-1");
        }

        @Override
        void init(Pointer ctx) {
            Lib.SHA1_Init(ctx);
        }

        @Override
        void update(Pointer ctx, Pointer data, long len) {
            Lib.SHA1_Update(ctx, data, len);
        }

        @Override
        void doFinal(Pointer md, Pointer ctx) {
            Lib.SHA1_Final(md, ctx);
        }
    }
}
