package io.krgo.image;

import io.krgo.sys.NativeDigests;
import io.krgo.error.UnsafeImageException;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest, {@code sha256:<64 hex>}. Only sha256 and sha512 are accepted. */
public record Digest(String algorithm, String hex) {

    private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern SHA512 = Pattern.compile("[a-f0-9]{128}");

    public Digest {
        boolean ok = switch (algorithm) {
            case "sha256" -> SHA256.matcher(hex).matches();
            case "sha512" -> SHA512.matcher(hex).matches();
            default -> false;
        };
        if (!ok) {
            throw new UnsafeImageException("unsupported or malformed digest '" + algorithm + ":" + hex + "'");
        }
    }

    public static Digest parse(String text) {
        if (text == null) {
            throw new UnsafeImageException("missing digest");
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new UnsafeImageException("malformed digest '" + text + "'");
        }
        return new Digest(text.substring(0, colon), text.substring(colon + 1));
    }

    public static Digest sha256(byte[] content) {
        return new Digest("sha256", HexFormat.of().formatHex(newSha256().digest(content)));
    }

    /** A fresh SHA-256 hasher: libcrypto's for long input, the JDK's for short (see {@link NativeDigests#newDigest}). */
    public static MessageDigest newSha256() {
        return NativeDigests.newDigest("SHA-256");
    }

    /** A fresh hasher for this digest's algorithm (as {@link #newSha256()}). */
    public MessageDigest newHasher() {
        return NativeDigests.newDigest(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
    }

    /** The first 12 hex digits, as docker shows image ids. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
