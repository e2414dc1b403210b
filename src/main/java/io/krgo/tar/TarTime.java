package io.krgo.tar;

import java.time.Instant;

/**
 * A tar timestamp: whole seconds since the epoch (negative before 1970, beyond 2262 and 2038 alike) and
 * nanoseconds 0..999,999,999 added to them, so -0.5 s is {@code (-1, 500000000)}. Instant and FileTime
 * can hold it; the JDK's own utimes path saturates at 2262, so the applier sets it through utimensat.
 */
public record TarTime(long seconds, int nanos) {
    public TarTime {
        if (nanos < 0 || nanos > 999_999_999) {
            throw new IllegalArgumentException("nanos out of range: " + nanos);
        }
    }

    public static TarTime ofSeconds(long seconds) {
        return new TarTime(seconds, 0);
    }

    public Instant toInstant() {
        return Instant.ofEpochSecond(seconds, nanos);
    }
}
