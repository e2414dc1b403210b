package io.krgo.fuzz;

import io.krgo.error.KrgoException;
import io.krgo.image.Descriptor;
import io.krgo.image.ImageConfig;
import io.krgo.image.Index;
import io.krgo.image.Manifest;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.AuthChallenge;

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
