package io.krgo.trust;

import io.krgo.error.UsageException;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.params.RSAPrivateCrtKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Signs simple-signing payloads with a cosign key pair, as skopeo's {@code --sign-by-sigstore-private-key}
 * does: ECDSA (ASN.1, SHA-256), RSA (PKCS#1 v1.5, SHA-256) or ed25519 (pure, as containers/image verifies),
 * with the key from cosign's encrypted key file. Every signature is checked against the key's public half
 * before it is handed out.
 */
public final class CosignSigner {
    private final PrivateKey key;
    private final java.security.PublicKey publicKey;
    private final String algorithm;

    private CosignSigner(PrivateKey key, java.security.PublicKey publicKey, String algorithm) {
        this.key = key;
        this.publicKey = publicKey;
        this.algorithm = algorithm;
    }

    /** Reads and decrypts the key now, so that a wrong passphrase fails a push before it starts. */
    public static CosignSigner fromFile(Path file, byte[] passphrase) {
        String what = "--sign-by-sigstore-private-key " + file;
        byte[] pem;
        try {
            if (Files.size(file) > 64 * 1024) {
                throw new UsageException(what + ": not a cosign private key: larger than 64 KiB");
            }
            pem = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UsageException(what + ": cannot read: " + e.getMessage());
        }
        byte[] pkcs8 = CosignKeyFile.decrypt(pem, passphrase, what);
        try {
            return fromPkcs8(pkcs8, what);
        } finally {
            Arrays.fill(pkcs8, (byte) 0);
        }
    }

    static CosignSigner fromPkcs8(byte[] pkcs8, String what) {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
            AsymmetricKeyParameter priv = PrivateKeyFactory.createKey(info);
            AsymmetricKeyParameter pub;
            String keyType;
            String algorithm;
            if (priv instanceof ECPrivateKeyParameters ec) {
                pub = new ECPublicKeyParameters(new FixedPointCombMultiplier()
                        .multiply(ec.getParameters().getG(), ec.getD()).normalize(), ec.getParameters());
                keyType = "EC";
                algorithm = "SHA256withECDSA";
            } else if (priv instanceof RSAPrivateCrtKeyParameters rsa) {
                pub = new RSAKeyParameters(false, rsa.getModulus(), rsa.getPublicExponent());
                keyType = "RSA";
                algorithm = "SHA256withRSA";
            } else if (priv instanceof Ed25519PrivateKeyParameters ed) {
                pub = ed.generatePublicKey();
                keyType = "Ed25519";
                algorithm = "Ed25519";
            } else {
                throw new UsageException(what + ": a " + info.getPrivateKeyAlgorithm().getAlgorithm()
                        + " key; cosign signatures are ECDSA, RSA or ed25519");
            }
            KeyFactory factory = KeyFactory.getInstance(keyType);
            byte[] spki = SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(pub).getEncoded();
            return new CosignSigner(factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8)),
                    factory.generatePublic(new X509EncodedKeySpec(spki)), algorithm);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new UsageException(what + ": the decrypted key is not a PKCS#8 private key: " + e.getMessage());
        }
    }

    /** The public key's fingerprint as {@code krgo verify} prints it: SHA256 of its SubjectPublicKeyInfo. */
    public String keyName() {
        try {
            return "SHA256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(publicKey.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The signature of {@code payload} (raw bytes; cosign's annotation holds their base64). */
    public byte[] sign(byte[] payload) {
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(payload);
            byte[] signature = s.sign();
            Signature check = Signature.getInstance(algorithm);
            check.initVerify(publicKey);
            check.update(payload);
            if (!check.verify(signature)) {
                throw new IllegalStateException("a " + algorithm + " signature that its own public key refuses");
            }
            return signature;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with " + algorithm + ": " + e.getMessage(), e);
        }
    }
}
