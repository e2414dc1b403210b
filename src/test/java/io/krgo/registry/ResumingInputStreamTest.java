package io.krgo.registry;

import io.krgo.error.RegistryException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The resumption budget: renewed by substantial progress, not by a trickle; early ends resumed. */
class ResumingInputStreamTest {
    private static final byte[] BODY = new byte[5 * 1024 * 1024];

    static {
        new Random(5).nextBytes(BODY);
    }

    /** A connection serving BODY from {@code offset}, breaking after {@code breakAfter} bytes (or ending, when {@code eof}). */
    private static InputStream connection(long offset, int breakAfter, boolean eof) {
        int from = (int) offset;
        int to = (int) Math.min(BODY.length, offset + breakAfter);
        ByteArrayInputStream part = new ByteArrayInputStream(Arrays.copyOfRange(BODY, from, to));
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = part.read(b, off, len);
                if (n < 0 && to < BODY.length && !eof) {
                    throw new IOException("connection reset");
                }
                return n;
            }
        };
    }

    private static ResumingInputStream resuming(int breakAfter, boolean eof, int maxResumes, List<Long> reopenedAt) {
        return new ResumingInputStream(connection(0, breakAfter, eof), offset -> {
            reopenedAt.add(offset);
            return connection(offset, breakAfter, eof);
        }, maxResumes, BODY.length, e -> new RegistryException("gave up: " + e.getMessage(), e));
    }

    @Test
    void connectionsThatEachBringAMebibyteOrMoreKeepGoing() throws IOException {
        List<Long> reopenedAt = new ArrayList<>();
        try (InputStream in = resuming(1_500_000, false, 1, reopenedAt)) {
            assertThat(in.readAllBytes()).isEqualTo(BODY);
        }
        assertThat(reopenedAt).containsExactly(1_500_000L, 3_000_000L, 4_500_000L);
    }

    @Test
    void aTrickleEndsAfterTheBudgetWithTheNetworkError() {
        List<Long> reopenedAt = new ArrayList<>();
        assertThatThrownBy(() -> {
            try (InputStream in = resuming(100, false, 3, reopenedAt)) {
                in.readAllBytes();
            }
        }).isInstanceOf(RegistryException.class).hasMessage("gave up: connection reset");
        assertThat(reopenedAt).containsExactly(100L, 200L, 300L);
    }

    @Test
    void anEarlyEndIsResumedAndAPersistentOneLeftToTheVerifier() throws IOException {
        List<Long> reopenedAt = new ArrayList<>();
        try (InputStream in = resuming(2_000_000, true, 1, reopenedAt)) {
            assertThat(in.readAllBytes()).isEqualTo(BODY);
        }
        assertThat(reopenedAt).containsExactly(2_000_000L, 4_000_000L);

        List<Long> again = new ArrayList<>();
        try (InputStream in = resuming(10, true, 2, again)) {
            // short of the size: VerifyingInputStream (around this stream in RegistryClient) reports it
            assertThat(in.readAllBytes()).hasSize(30);
        }
        assertThat(again).containsExactly(10L, 20L);
    }
}
