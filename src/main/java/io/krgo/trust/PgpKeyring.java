package io.krgo.trust;

import io.krgo.error.PolicyException;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The OpenPGP public keys a {@code signedBy} requirement trusts: key files as {@code gpg --export} writes
 * them, binary or ASCII-armored, one or several keys each.
 */
public final class PgpKeyring {
    private static final long MAX_KEY_FILE_BYTES = 16 << 20;

    private final List<PGPPublicKeyRing> rings;

    private PgpKeyring(List<PGPPublicKeyRing> rings) {
        this.rings = List.copyOf(rings);
    }

    /** The keys of {@code paths} and of {@code data} (either may be empty or null). */
    public static PgpKeyring load(List<Path> paths, byte[] data, String policySource) {
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        for (Path p : paths) {
            try {
                if (Files.size(p) > MAX_KEY_FILE_BYTES) {
                    throw new PolicyException("policy " + policySource + ": key file " + p + " is too large");
                }
                rings.addAll(parse(Files.readAllBytes(p), "key file " + p, policySource));
            } catch (IOException e) {
                throw new PolicyException("policy " + policySource + ": cannot read key file " + p + ": "
                        + e.getMessage(), e);
            }
        }
        if (data != null) {
            rings.addAll(parse(data, "keyData", policySource));
        }
        return new PgpKeyring(rings);
    }

    private static List<PGPPublicKeyRing> parse(byte[] bytes, String what, String policySource) {
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(bytes))) {
            List<PGPPublicKeyRing> out = new ArrayList<>();
            new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator()).forEach(out::add);
            if (out.isEmpty()) {
                throw new PolicyException("policy " + policySource + ": " + what + " holds no OpenPGP public key");
            }
            return out;
        } catch (IOException | PGPException | RuntimeException e) {
            if (e instanceof PolicyException p) {
                throw p;
            }
            throw new PolicyException("policy " + policySource + ": " + what + " is not an OpenPGP public key"
                    + " (gpg --export [--armor]): " + e.getMessage(), e);
        }
    }

    /** The key (primary or subkey) with {@code keyId}, with the ring it belongs to. */
    Optional<Found> find(long keyId) {
        for (PGPPublicKeyRing ring : rings) {
            PGPPublicKey key = ring.getPublicKey(keyId);
            if (key != null) {
                return Optional.of(new Found(ring.getPublicKey(), key));
            }
        }
        return Optional.empty();
    }

    /** A key found in the ring and its primary key (the same for a primary key). */
    record Found(PGPPublicKey primary, PGPPublicKey key) {
    }

    public boolean isEmpty() {
        return rings.isEmpty();
    }

    /** A key's fingerprint as gpg prints it: upper-case hex. */
    static String fingerprint(PGPPublicKey key) {
        return HexFormat.of().withUpperCase().formatHex(key.getFingerprint());
    }

    static String keyId(long id) {
        return String.format("%016X", id);
    }
}
