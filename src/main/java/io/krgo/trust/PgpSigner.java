package io.krgo.trust;

import io.krgo.error.PolicyException;
import org.bouncycastle.bcpg.BCPGOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;

/**
 * Signs with an OpenPGP secret key file ({@code gpg --export-secret-keys --armor}), without gpg: the first
 * signing-capable key of the file, unlocked with the passphrase. Writes what gpg writes for {@code --sign}
 * (one-pass signature, literal data, signature; SHA-256), uncompressed.
 */
public final class PgpSigner implements Signer {
    private final PGPSecretKey secret;
    private final PGPPrivateKey key;

    private PgpSigner(PGPSecretKey secret, PGPPrivateKey key) {
        this.secret = secret;
        this.key = key;
    }

    /** Reads and unlocks the key now, so that a wrong passphrase fails a push before it starts. */
    public static PgpSigner fromFile(Path file, char[] passphrase) {
        try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
            PGPSecretKeyRingCollection rings = new PGPSecretKeyRingCollection(in, new BcKeyFingerprintCalculator());
            for (PGPSecretKeyRing ring : rings) {
                for (PGPSecretKey k : ring) {
                    if (k.isSigningKey() && !k.isPrivateKeyEmpty()) {
                        PGPPrivateKey priv = k.extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(
                                new BcPGPDigestCalculatorProvider()).build(passphrase));
                        return new PgpSigner(k, priv);
                    }
                }
            }
            throw new PolicyException("--sign-by-key " + file + ": no secret signing key in it");
        } catch (PGPException e) {
            throw new io.krgo.error.AuthException("--sign-by-key " + file + ": cannot unlock the key (wrong passphrase?): "
                    + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof PolicyException p) {
                throw p;
            }
            throw new PolicyException("--sign-by-key " + file + ": not an OpenPGP secret key"
                    + " (gpg --export-secret-keys --armor): " + e.getMessage(), e);
        }
    }

    @Override
    public String keyName() {
        return PgpKeyring.fingerprint(secret.getPublicKey());
    }

    @Override
    public byte[] sign(byte[] payload) {
        try {
            PGPSignatureGenerator gen = new PGPSignatureGenerator(new BcPGPContentSignerBuilder(
                    secret.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256), secret.getPublicKey());
            gen.init(PGPSignature.BINARY_DOCUMENT, key);
            Date now = new Date();
            PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
            hashed.setSignatureCreationTime(false, now);
            hashed.setIssuerFingerprint(false, secret.getPublicKey());
            gen.setHashedSubpackets(hashed.generate());
            PGPSignatureSubpacketGenerator unhashed = new PGPSignatureSubpacketGenerator();
            unhashed.setIssuerKeyID(false, secret.getKeyID());
            gen.setUnhashedSubpackets(unhashed.generate());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (BCPGOutputStream out = new BCPGOutputStream(bytes)) {
                gen.generateOnePassVersion(false).encode(out);
                PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
                try (OutputStream data = literal.open(out, PGPLiteralData.BINARY, "", payload.length, now)) {
                    data.write(payload);
                }
                gen.update(payload);
                gen.generate().encode(out);
            }
            return bytes.toByteArray();
        } catch (IOException | PGPException e) {
            throw new PolicyException("cannot sign with key " + keyName() + ": " + e.getMessage(), e);
        }
    }
}
