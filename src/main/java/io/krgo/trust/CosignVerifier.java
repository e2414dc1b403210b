package io.krgo.trust;

import io.krgo.error.PolicyException;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * cosign key-pair signatures: a signature over the payload bytes by an ECDSA (ASN.1, SHA-256), RSA
 * (PKCS#1 v1.5, SHA-256) or ed25519 (pure) public key in PEM ({@code cosign.pub}), checked with the JDK.
 */
public final class CosignVerifier {
    private final List<PublicKey> keys;

    private CosignVerifier(List<PublicKey> keys) {
        this.keys = List.copyOf(keys);
    }

    /** The PEM public keys of {@code paths} and {@code data} (each may hold several). */
    public static CosignVerifier load(List<Path> paths, byte[] data, String policySource) {
        List<PublicKey> keys = new ArrayList<>();
        for (Path p : paths) {
            try {
                keys.addAll(parse(Files.readString(p, StandardCharsets.US_ASCII), "key file " + p, policySource));
            } catch (IOException e) {
                throw new PolicyException("policy " + policySource + ": cannot read key file " + p + ": "
                        + e.getMessage(), e);
            }
        }
        if (data != null) {
            keys.addAll(parse(new String(data, StandardCharsets.US_ASCII), "keyData", policySource));
        }
        return new CosignVerifier(keys);
    }

    private static List<PublicKey> parse(String pem, String what, String policySource) {
        List<PublicKey> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof SubjectPublicKeyInfo spki) {
                    out.add(new JcaPEMKeyConverter().getPublicKey(spki));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new PolicyException("policy " + policySource + ": " + what + " is not a PEM public key: "
                    + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new PolicyException("policy " + policySource + ": " + what + " holds no PEM PUBLIC KEY");
        }
        return out;
    }

    /** The key that made {@code signature} over {@code payload}, as a SHA-256 of its encoding; else refused. */
    public String verify(byte[] payload, byte[] signature) {
        for (PublicKey key : keys) {
            String algorithm = switch (key.getAlgorithm()) {
                case "EC", "ECDSA" -> "SHA256withECDSA";
                case "RSA" -> "SHA256withRSA";
                case "Ed25519", "EdDSA" -> "Ed25519";
                default -> null;
            };
            if (algorithm == null) {
                continue;
            }
            try {
                Signature s = Signature.getInstance(algorithm);
                s.initVerify(key);
                s.update(payload);
                if (s.verify(signature)) {
                    return "SHA256:" + HexFormat.of().formatHex(
                            MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
                }
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this key's signature (or not a signature at all): try the next key
            }
        }
        throw new PolicyException("the cosign signature is not by a key the policy trusts (or is altered)");
    }
}
