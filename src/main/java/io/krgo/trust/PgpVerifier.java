package io.krgo.trust;

import io.krgo.error.PolicyException;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPOnePassSignature;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

/**
 * Verifies an OpenPGP signed message (what {@code gpg --sign}, gpgme and so skopeo write: optionally
 * compressed, one one-pass signature, the literal data, the signature) against a {@link PgpKeyring}, with
 * Bouncy Castle. RSA, EdDSA and ECDSA keys; a revoked or expired key, or an expired signature, is refused.
 * The content is returned only once the signature verified, and is bounded like a signature.
 */
public final class PgpVerifier {
    /** A verified message: who signed it, when, and what it says. */
    public record Verified(String primaryFingerprint, String signingKeyFingerprint, Instant created, byte[] content) {
    }

    private PgpVerifier() {
    }

    /** Verifies {@code message}; a {@link PolicyException} says why it is not accepted. */
    public static Verified verify(byte[] message, PgpKeyring keys, Instant now) {
        try {
            return verifyChecked(message, keys, now);
        } catch (PolicyException e) {
            throw e;
        } catch (IOException | PGPException | RuntimeException e) {
            throw new PolicyException("not a valid OpenPGP signed message: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        }
    }

    private static Verified verifyChecked(byte[] message, PgpKeyring keys, Instant now)
            throws IOException, PGPException {
        InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(message));
        BcPGPObjectFactory factory = new BcPGPObjectFactory(in);
        Object next = factory.nextObject();
        if (next instanceof PGPCompressedData compressed) {
            factory = new BcPGPObjectFactory(compressed.getDataStream());
            next = factory.nextObject();
        }
        if (!(next instanceof PGPOnePassSignatureList ops) || ops.size() != 1) {
            throw new PolicyException("not an OpenPGP signed message (expected one one-pass signature, found "
                    + describe(next) + ")");
        }
        PGPOnePassSignature onePass = ops.get(0);
        Object literal = factory.nextObject();
        if (!(literal instanceof PGPLiteralData data)) {
            throw new PolicyException("not an OpenPGP signed message (expected literal data, found "
                    + describe(literal) + ")");
        }
        byte[] content;
        try (InputStream body = data.getInputStream()) {
            content = body.readNBytes(Lookaside.MAX_SIGNATURE_BYTES + 1);
        }
        if (content.length > Lookaside.MAX_SIGNATURE_BYTES) {
            throw new PolicyException("signed content larger than " + (Lookaside.MAX_SIGNATURE_BYTES >> 20)
                    + " MiB: refused");
        }
        Object sigs = factory.nextObject();
        if (!(sigs instanceof PGPSignatureList list) || list.size() != 1) {
            throw new PolicyException("not an OpenPGP signed message (expected one signature after the data,"
                    + " found " + describe(sigs) + ")");
        }
        PGPSignature signature = list.get(0);
        if (signature.getKeyID() != onePass.getKeyID()) {
            throw new PolicyException("malformed OpenPGP message: the signature's key ID differs from the one-pass"
                    + " signature's");
        }
        PgpKeyring.Found found = keys.find(onePass.getKeyID()).orElseThrow(() -> new PolicyException(
                "signed by key ID " + PgpKeyring.keyId(onePass.getKeyID()) + ", which the policy does not trust"));
        PGPPublicKey key = found.key();
        onePass.init(new BcPGPContentVerifierBuilderProvider(), key);
        onePass.update(content);
        if (!onePass.verify(signature)) {
            throw new PolicyException("the signature by key " + PgpKeyring.fingerprint(found.primary())
                    + " does not verify (content or signature altered)");
        }
        checkValid(found, signature, now);
        return new Verified(PgpKeyring.fingerprint(found.primary()), PgpKeyring.fingerprint(key),
                signature.getCreationTime().toInstant(), content);
    }

    /** The key, its primary key and the signature are valid now: not revoked, not expired. */
    private static void checkValid(PgpKeyring.Found found, PGPSignature signature, Instant now) {
        String fpr = PgpKeyring.fingerprint(found.primary());
        java.util.List<PGPPublicKey> chain = found.key() == found.primary() ? java.util.List.of(found.primary())
                : java.util.List.of(found.primary(), found.key());
        for (PGPPublicKey k : chain) {
            if (k.hasRevocation()) {
                throw new PolicyException("signed by key " + fpr + ", which is revoked"
                        + (k == found.primary() ? "" : " (its subkey " + PgpKeyring.fingerprint(k) + ")"));
            }
            long valid = k.getValidSeconds();
            Instant created = k.getCreationTime().toInstant();
            if (valid > 0 && created.plusSeconds(valid).isBefore(now)) {
                throw new PolicyException("signed by key " + fpr + ", which expired on "
                        + created.plusSeconds(valid));
            }
            if (signature.getCreationTime().toInstant().isBefore(created)) {
                throw new PolicyException("the signature by key " + fpr + " predates the key");
            }
        }
        var hashed = signature.getHashedSubPackets();
        long sigValid = hashed == null ? 0 : hashed.getSignatureExpirationTime();
        if (sigValid > 0 && signature.getCreationTime().toInstant().plusSeconds(sigValid).isBefore(now)) {
            throw new PolicyException("the signature by key " + fpr + " expired on "
                    + signature.getCreationTime().toInstant().plusSeconds(sigValid));
        }
    }

    private static String describe(Object o) {
        return o == null ? "the end of the data" : o.getClass().getSimpleName().replace("PGP", "OpenPGP ");
    }
}
