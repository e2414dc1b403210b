package io.krgo.registry;

import io.krgo.stream.BulkInputStream;
import io.krgo.error.KrgoException;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/**
 * A blob body that survives a broken connection: on an IO error mid-body, or an end of stream before
 * {@code expectedSize} bytes (a truncated body), it asks {@link Reopener} for the rest from the last byte
 * received (a Range request). Up to {@code maxResumes} resumptions in a row may bring little progress; a
 * connection that delivered at least {@link #SUBSTANTIAL_PROGRESS} bytes renews that budget, so a long
 * download over a flaky link keeps going while a dead or trickling one ends. Verification of size and
 * digest is left to the caller's wrapping VerifyingInputStream, which sees one continuous stream either way.
 */
final class ResumingInputStream extends BulkInputStream {
    /** A hard cap on resumptions of one body, whatever progress each made. */
    static final int MAX_TOTAL_RESUMES = 100;
    /** Progress that renews the resumption budget; less (a trickle, then a stall) does not. */
    static final long SUBSTANTIAL_PROGRESS = 1024 * 1024;

    /** Opens the blob from {@code offset}; returns a stream positioned exactly there. */
    @FunctionalInterface
    interface Reopener {
        InputStream openAt(long offset) throws IOException;
    }

    private final Reopener reopener;
    private final int maxResumes;
    private final long expectedSize;
    private final Function<IOException, KrgoException> giveUp;
    private InputStream in;
    private long position;
    private long positionAtLastResume;
    private int resumes;
    private int resumesWithoutProgress;

    /**
     * @param expectedSize the body's size when known (an early end is then resumed), or -1
     * @param giveUp       turns the last network error into the one-line error reported when resuming stops
     */
    ResumingInputStream(InputStream first, Reopener reopener, int maxResumes, long expectedSize,
                        Function<IOException, KrgoException> giveUp) {
        this.in = first;
        this.reopener = reopener;
        this.maxResumes = maxResumes;
        this.expectedSize = expectedSize;
        this.giveUp = giveUp;
    }


    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            IOException failure;
            try {
                int n = in.read(b, off, len);
                if (n > 0) {
                    position += n;
                    return n;
                }
                if (n == 0 || expectedSize < 0 || position >= expectedSize) {
                    return n;
                }
                failure = new IOException("body ended after " + position + " of " + expectedSize + " bytes");
                if (!mayResume()) {
                    return -1; // the verifier reports the size mismatch
                }
            } catch (IOException e) {
                failure = e;
                if (!mayResume()) {
                    throw giveUp.apply(e);
                }
            }
            resume(failure);
        }
    }

    private boolean mayResume() {
        if (position - positionAtLastResume >= SUBSTANTIAL_PROGRESS) {
            resumesWithoutProgress = 0;
        }
        return resumesWithoutProgress < maxResumes && resumes < MAX_TOTAL_RESUMES;
    }

    private void resume(IOException cause) {
        resumes++;
        resumesWithoutProgress++;
        positionAtLastResume = position;
        closeQuietly();
        try {
            in = reopener.openAt(position);
        } catch (KrgoException k) {
            k.addSuppressed(cause);
            throw k;
        } catch (IOException e) {
            e.addSuppressed(cause);
            throw giveUp.apply(e);
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
