package io.krgo.registry;

import io.krgo.error.KrgoException;

import java.io.IOException;
import java.io.InputStream;

/**
 * A blob body that survives a broken connection: on an IO error mid-body it asks {@link Reopener} for
 * the rest from the last byte received (a Range request), up to {@code maxResumes} times. Verification
 * of size and digest is left to the caller's wrapping VerifyingInputStream, which sees one continuous
 * stream either way.
 */
final class ResumingInputStream extends InputStream {

    /** Opens the blob from {@code offset}; returns a stream positioned exactly there. */
    @FunctionalInterface
    interface Reopener {
        InputStream openAt(long offset) throws IOException;
    }

    private final Reopener reopener;
    private final int maxResumes;
    private InputStream in;
    private long position;
    private int resumes;

    ResumingInputStream(InputStream first, Reopener reopener, int maxResumes) {
        this.in = first;
        this.reopener = reopener;
        this.maxResumes = maxResumes;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            try {
                int n = in.read(b, off, len);
                if (n > 0) {
                    position += n;
                }
                return n;
            } catch (IOException e) {
                if (resumes >= maxResumes) {
                    throw e;
                }
                resumes++;
                closeQuietly();
                try {
                    in = reopener.openAt(position);
                } catch (KrgoException k) {
                    k.addSuppressed(e);
                    throw k;
                }
            }
        }
    }

    /** How many times the body was resumed (for tests and progress output). */
    int resumes() {
        return resumes;
    }

    private void closeQuietly() {
        try {
            in.close();
        } catch (IOException ignored) {
            // the connection is already broken
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
