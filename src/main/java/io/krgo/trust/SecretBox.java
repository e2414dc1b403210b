package io.krgo.trust;

import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;

/**
 * NaCl's {@code crypto_secretbox} (XSalsa20-Poly1305) composed from Bouncy Castle's primitives, which has no
 * secretbox of its own: the first 32 bytes of the XSalsa20 key stream are the one-time Poly1305 key, the rest
 * encrypts the message, and the box is the 16-byte tag followed by the cipher text (Go's
 * {@code secretbox.Seal} and PyNaCl's {@code SecretBox(...).encrypt(...).ciphertext} layout).
 */
final class SecretBox {
    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 24;
    static final int TAG_BYTES = 16;

    private SecretBox() {
    }

    static byte[] seal(byte[] message, byte[] nonce, byte[] key) {
        XSalsa20Engine stream = stream(nonce, key);
        byte[] macKey = keyStream(stream);
        byte[] box = new byte[TAG_BYTES + message.length];
        stream.processBytes(message, 0, message.length, box, TAG_BYTES);
        byte[] tag = tag(macKey, box, TAG_BYTES, message.length);
        System.arraycopy(tag, 0, box, 0, TAG_BYTES);
        Arrays.fill(macKey, (byte) 0);
        return box;
    }

    /** The message, or empty when the box was not sealed with this key and nonce (or was altered). */
    static Optional<byte[]> open(byte[] box, byte[] nonce, byte[] key) {
        if (box.length < TAG_BYTES) {
            return Optional.empty();
        }
        XSalsa20Engine stream = stream(nonce, key);
        byte[] macKey = keyStream(stream);
        byte[] expected = tag(macKey, box, TAG_BYTES, box.length - TAG_BYTES);
        Arrays.fill(macKey, (byte) 0);
        if (!MessageDigest.isEqual(expected, Arrays.copyOf(box, TAG_BYTES))) {
            return Optional.empty();
        }
        byte[] message = new byte[box.length - TAG_BYTES];
        stream.processBytes(box, TAG_BYTES, message.length, message, 0);
        return Optional.of(message);
    }

    private static XSalsa20Engine stream(byte[] nonce, byte[] key) {
        if (nonce.length != NONCE_BYTES || key.length != KEY_BYTES) {
            throw new IllegalArgumentException("secretbox needs a 24-byte nonce and a 32-byte key");
        }
        XSalsa20Engine e = new XSalsa20Engine();
        e.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        return e;
    }

    private static byte[] keyStream(XSalsa20Engine stream) {
        byte[] macKey = new byte[32];
        stream.processBytes(new byte[32], 0, 32, macKey, 0);
        return macKey;
    }

    private static byte[] tag(byte[] macKey, byte[] data, int offset, int length) {
        Poly1305 mac = new Poly1305(); // without a cipher: r and s straight from the 32-byte key, as NaCl
        mac.init(new KeyParameter(macKey));
        mac.update(data, offset, length);
        byte[] tag = new byte[TAG_BYTES];
        mac.doFinal(tag, 0);
        return tag;
    }
}
