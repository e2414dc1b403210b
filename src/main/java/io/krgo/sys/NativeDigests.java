package io.krgo.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import java.security.DigestException;
import java.security.MessageDigest;
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

    /**
     * A fresh digest of {@code algorithm} (SHA-256, SHA-512 or SHA-1) from this provider, installed or not,
     * that hashes messages of up to 64 KiB with the JDK and longer ones with libcrypto: a command that hashes
     * only small documents (a manifest, a config) never loads libcrypto, whose loading through JNA costs ~80 ms.
     */
    public static MessageDigest newDigest(String algorithm) {
        return switch (algorithm) {
            case "SHA-256", "SHA256" -> new Engine(Algorithm.SHA256, true);
            case "SHA-512" -> new Engine(Algorithm.SHA512, true);
            case "SHA-1", "SHA" -> new Engine(Algorithm.SHA1, true);
            default -> throw new IllegalArgumentException("no native " + algorithm);
        };
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
     * calls; or, where libcrypto is missing, the JDK's engine for the same algorithm. A lazy engine hashes
     * messages up to {@link #NATIVE_FROM} bytes (manifests, configs) with the JDK without loading libcrypto
     * at all: loading it through JNA costs ~80 ms, which a command that hashes only a manifest (a re-pull,
     * inspect) would pay for nothing; it buffers a longer message until that size and then goes native.
     * A MessageDigest itself (which the JCA accepts as an engine), so {@link #newDigest} needs no provider lookup.
     */
    static class Engine extends MessageDigest implements Cloneable {
        private static final int CTX_SIZE = 256;
        static final int NATIVE_FROM = 64 * 1024;
        private final Algorithm algo;
        private final int length;
        private final String algorithm;
        /** The bytes of a message not yet known to be large; null once the engine has chosen. */
        private byte[] pending = new byte[0];
        private int pendingLength;
        private Memory ctx;
        private MessageDigest fallback;
        private final byte[] one = new byte[1];

        Engine(Algorithm algo, boolean lazy) {
            super(algo.jdkName);
            this.algo = algo;
            this.length = algo.length;
            this.algorithm = algo.jdkName;
            if (!lazy) {
                choose();
            }
        }

        private void init(Pointer ctx) {
            algo.init(ctx);
        }

        private void update(Pointer ctx, Pointer data, long len) {
            algo.update(ctx, data, len);
        }

        private void doFinal(Pointer md, Pointer ctx) {
            algo.doFinal(md, ctx);
        }

        private MessageDigest jdk() {
            try {
                return MessageDigest.getInstance(algorithm, "SUN");
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no " + algorithm, e);
            }
        }

        /** The message outgrew the buffer: native from here on when libcrypto loads, else the JDK's. */
        private void choose() {
            if (Lib.LOADED.isPresent()) {
                ctx = new Memory(CTX_SIZE);
                ctx.clear();
                init(ctx);
            } else {
                fallback = jdk();
            }
            byte[] buffered = pending;
            int n = pendingLength;
            pending = null;
            pendingLength = 0;
            engineUpdate(buffered, 0, n);
        }

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
            if (pending != null) {
                if (pendingLength + len <= NATIVE_FROM) {
                    if (pendingLength + len > pending.length) {
                        pending = java.util.Arrays.copyOf(pending,
                                Math.min(NATIVE_FROM, Math.max(pendingLength + len, 2 * pending.length)));
                    }
                    System.arraycopy(input, offset, pending, pendingLength, len);
                    pendingLength += len;
                    return;
                }
                choose();
            }
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

        /**
         * A direct buffer (a mapped file, a buffer about to be written to a channel) goes to libcrypto where it
         * lies: the JCA's default copies it through a small array, one native call per 4 KiB.
         */
        @Override
        protected void engineUpdate(java.nio.ByteBuffer input) {
            if (input.isDirect() && pending != null && pendingLength + (long) input.remaining() > NATIVE_FROM) {
                choose();
            }
            if (ctx == null || !input.isDirect() || !input.hasRemaining()) {
                super.engineUpdate(input);
                return;
            }
            Pointer base = Native.getDirectBufferPointer(input);
            update(ctx, base.share(input.position()), input.remaining());
            input.position(input.limit());
        }

        @Override
        protected byte[] engineDigest() {
            if (pending != null) {
                MessageDigest small = jdk();
                small.update(pending, 0, pendingLength);
                pendingLength = 0;
                return small.digest();
            }
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
            if (pending != null) {
                pendingLength = 0;
            } else if (fallback != null) {
                fallback.reset();
            } else {
                init(ctx);
            }
        }

        @Override
        public Object clone() throws CloneNotSupportedException {
            Engine copy = (Engine) super.clone();
            if (pending != null) {
                copy.pending = pending.clone();
                return copy;
            }
            if (fallback != null) {
                copy.fallback = (MessageDigest) fallback.clone();
                return copy;
            }
            copy.ctx = new Memory(CTX_SIZE);
            copy.ctx.write(0, ctx.getByteArray(0, CTX_SIZE), 0, CTX_SIZE);
            return copy;
        }
    }

    /** The three algorithms and their libcrypto calls. */
    enum Algorithm {
        SHA1("SHA-1", 20), SHA256("SHA-256", 32), SHA512("SHA-512", 64);

        final String jdkName;
        final int length;

        Algorithm(String jdkName, int length) {
            this.jdkName = jdkName;
            this.length = length;
        }

        void init(Pointer ctx) {
            switch (this) {
                case SHA1 -> Lib.SHA1_Init(ctx);
                case SHA256 -> Lib.SHA256_Init(ctx);
                case SHA512 -> Lib.SHA512_Init(ctx);
            }
        }

        void update(Pointer ctx, Pointer data, long len) {
            switch (this) {
                case SHA1 -> Lib.SHA1_Update(ctx, data, len);
                case SHA256 -> Lib.SHA256_Update(ctx, data, len);
                case SHA512 -> Lib.SHA512_Update(ctx, data, len);
            }
        }

        void doFinal(Pointer md, Pointer ctx) {
            switch (this) {
                case SHA1 -> Lib.SHA1_Final(md, ctx);
                case SHA256 -> Lib.SHA256_Final(md, ctx);
                case SHA512 -> Lib.SHA512_Final(md, ctx);
            }
        }
    }

    /** The JCA makes engines by class name with no arguments: one class per algorithm, libcrypto from the first byte. */
    public static final class Sha256 extends Engine {
        public Sha256() {
            super(Algorithm.SHA256, false);
        }
    }

    public static final class Sha512 extends Engine {
        public Sha512() {
            super(Algorithm.SHA512, false);
        }
    }

    public static final class Sha1 extends Engine {
        public Sha1() {
            super(Algorithm.SHA1, false);
        }
    }
}
