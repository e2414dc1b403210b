package io.krgo.image;

import io.krgo.error.IntegrityException;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Passes bytes through while hashing and counting them; at EOF checks them against the expected digest
 * and size, and fails as soon as more bytes arrive than the size allows.
 */
public final class VerifyingInputStream extends FilterInputStream {
    private final Digest expected;
    private final long expectedSize;
    private final String what;
    private final MessageDigest hasher;
    private long count;
    private boolean verified;

    /** @param expectedSize the declared size, or -1 when unknown */
    public VerifyingInputStream(InputStream in, Digest expected, long expectedSize, String what) {
        super(in);
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.what = what;
        this.hasher = expected.newHasher();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            verify();
            return -1;
        }
        hasher.update(b, off, n);
        count += n;
        if (expectedSize >= 0 && count > expectedSize) {
            throw new IntegrityException(what + ": more than the declared " + expectedSize + " bytes");
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes must still be hashed.
        byte[] buf = new byte[(int) Math.min(n, 65536)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Bytes read so far. */
    public long count() {
        return count;
    }

    /** True once EOF was reached and everything matched. */
    public boolean verified() {
        return verified;
    }

    private void verify() {
        if (verified) {
            return;
        }
        if (expectedSize >= 0 && count != expectedSize) {
            throw new IntegrityException(what + ": size mismatch, expected " + expectedSize + " bytes, got " + count);
        }
        String actual = HexFormat.of().formatHex(hasher.digest());
        if (!actual.equals(expected.hex())) {
            throw new IntegrityException(what + ": digest mismatch, expected " + expected + ", got "
                    + expected.algorithm() + ":" + actual);
        }
        verified = true;
    }
}
