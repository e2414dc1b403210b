package io.krgo.fuzz;

import io.krgo.error.KrgoException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Descriptor;
import io.krgo.image.ImageConfig;
import io.krgo.image.Index;
import io.krgo.image.Manifest;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.AuthChallenge;
import io.krgo.tar.AclText;
import io.krgo.tar.TarEntry;
import io.krgo.tar.TarReader;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What every parser promises for any input, shared by the Jazzer fuzz tests and the seeded mutation
 * tests: it returns a usable value or throws one of krgo's documented {@link KrgoException}s, never a
 * NullPointerException, IndexOutOfBounds, ClassCast etc. Other exceptions propagate and fail the test.
 */
final class ParserChecks {
    private ParserChecks() {
    }

    static void reference(String text) {
        Reference r;
        try {
            r = Reference.parse(text);
        } catch (KrgoException documented) {
            return;
        }
        // What parse accepts it can print, and the printed form parses back to the same reference.
        Reference again = Reference.parse(r.toString());
        if (!again.equals(r)) {
            throw new AssertionError("round trip changed '" + text + "': " + r + " became " + again);
        }
        r.identifier();
        r.endpointHost();
        r.isLoopback();
    }

    static void manifest(byte[] bytes, String declaredType) {
        Manifest m;
        try {
            m = Manifest.parse(bytes, declaredType);
        } catch (KrgoException documented) {
            return;
        }
        m.config().parsedDigest();
        for (Descriptor d : m.layers()) {
            d.parsedDigest();
        }
        Manifest.parse(m.toJson(), declaredType);
    }

    static void index(byte[] bytes, String declaredType) {
        Index idx;
        try {
            idx = Index.parse(bytes, declaredType);
        } catch (KrgoException documented) {
            return;
        }
        idx.availablePlatforms();
        for (Platform p : List.of(Platform.host(), Platform.parse("linux/arm/v7"), Platform.parse("windows/amd64"))) {
            try {
                idx.select(p).parsedDigest();
            } catch (KrgoException documented) {
                // no such platform, or a malformed entry
            }
        }
        Index.parse(idx.toJson(), declaredType);
    }

    static void config(byte[] bytes) {
        ImageConfig c;
        try {
            c = ImageConfig.parse(bytes);
        } catch (KrgoException documented) {
            return;
        }
        c.os();
        c.architecture();
        c.platform().normalize().toString();
        try {
            c.diffIds();
        } catch (KrgoException documented) {
            // a malformed diff_id
        }
        ImageConfig.parse(c.toJson());
    }

    static void challenges(String header) {
        for (AuthChallenge c : AuthChallenge.parseAll(header)) {
            if (c.scheme() == null || c.scheme().isEmpty()) {
                throw new AssertionError("empty scheme from '" + header + "'");
            }
            c.isScheme("Bearer");
            c.param("realm");
            c.param("scope");
        }
    }

    /**
     * Reads every entry and all its data; only an UnsafeImageException or the end marker may stop it. What
     * an entry says must hold: read() delivers exactly its size, a sparse map's lengths add up to it within
     * the real size, the reader never claims more bytes than the input has.
     */
    static void tar(byte[] bytes) {
        TarReader r = new TarReader(new ByteArrayInputStream(bytes));
        byte[] buf = new byte[4096];
        try {
            TarEntry e;
            while ((e = r.next()) != null) {
                long total = 0;
                int n;
                while ((n = r.read(buf, 0, buf.length)) >= 0) {
                    total += n;
                }
                if (total != e.size()) {
                    throw new AssertionError("read " + total + " bytes of an entry of size " + e.size());
                }
                if (e.sparse() != null) {
                    long sum = e.sparse().stream().mapToLong(TarEntry.SparseSegment::length).sum();
                    if (sum != e.size() || e.realSize() < e.size()) {
                        throw new AssertionError("sparse map of " + sum + " bytes for size " + e.size());
                    }
                } else if (e.realSize() != e.size()) {
                    throw new AssertionError("real size " + e.realSize() + " of a file that is not sparse");
                }
                if (e.aclAccess() != null) {
                    acl(e.aclAccess());
                }
                e.nameUtf8();
                e.linkNameUtf8();
            }
        } catch (UnsafeImageException documented) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (r.position() > bytes.length) {
            throw new AssertionError("position " + r.position() + " beyond the " + bytes.length + " input bytes");
        }
    }

    /**
     * As {@link #tar}, after giving every 512-byte block a correct header checksum, so that mutated headers
     * get past the checksum into the parsing behind it (a data block only has 8 of its bytes changed).
     */
    static void tarChecksummed(byte[] bytes) {
        for (int off = 0; off + 512 <= bytes.length; off += 512) {
            java.util.Arrays.fill(bytes, off + 148, off + 156, (byte) ' ');
            int sum = 0;
            for (int i = off; i < off + 512; i++) {
                sum += bytes[i] & 0xff;
            }
            byte[] octal = String.format("%06o", sum).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            System.arraycopy(octal, 0, bytes, off + 148, 6);
            bytes[off + 154] = 0;
        }
        tar(bytes);
    }

    private static void acl(String text) {
        try {
            AclText.toXattr(text);
        } catch (UnsafeImageException | AclText.UnknownName documented) {
            // an ACL the kernel could not hold, or naming users without ids
        }
    }

    /**
     * cosign's encrypted key file, the fuzzed bytes as its JSON body: only documented errors (the KDF runs
     * only with cosign's three scrypt settings, so a file cannot make it costlier).
     */
    static void cosignKeyFile(byte[] bytes) {
        String pem = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(bytes) + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
        try {
            io.krgo.trust.CosignKeyFile.decrypt(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII), new byte[0],
                    "fuzz");
            throw new AssertionError("opened a key without its passphrase from " + bytes.length + " bytes");
        } catch (KrgoException documented) {
            // refused, with a message
        }
    }

    static void simpleSigning(byte[] bytes) {
        io.krgo.trust.SimpleSigning s;
        try {
            s = io.krgo.trust.SimpleSigning.parse(bytes, io.krgo.trust.SimpleSigning.ATOMIC);
        } catch (KrgoException documented) {
            return;
        }
        // What parse accepts round-trips through what krgo signs.
        if (!io.krgo.trust.SimpleSigning.parse(s.toJson(), s.type()).equals(s)) {
            throw new AssertionError("round trip changed " + s);
        }
    }

    /** The OpenPGP entry point with no trusted key: every input is refused, only as a PolicyException. */
    static void openPgpMessage(byte[] bytes) {
        try {
            io.krgo.trust.PgpVerifier.verify(bytes, EMPTY_KEYRING, java.time.Instant.EPOCH);
        } catch (io.krgo.error.PolicyException documented) {
            return;
        }
        throw new AssertionError("a message verified against no key at all");
    }

    private static final io.krgo.trust.PgpKeyring EMPTY_KEYRING = io.krgo.trust.PgpKeyring.load(List.of(), null, "fuzz");

    static void policy(byte[] bytes) {
        try {
            io.krgo.trust.PolicyParser.parse(bytes, "fuzz").forDocker(Reference.parse("example.com/a/b:1"));
        } catch (KrgoException documented) {
            // refused with a message
        }
    }
}
