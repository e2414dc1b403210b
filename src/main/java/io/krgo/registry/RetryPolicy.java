package io.krgo.registry;

import java.time.Duration;

/**
 * How often and how long a failed request is retried: exponential backoff from {@code baseDelay}, with
 * jitter, for at most {@code attempts} tries and never beyond {@code maxTotal} since the first try.
 */
public record RetryPolicy(int attempts, Duration baseDelay, Duration maxTotal) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(500), Duration.ofMinutes(2));
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1");
        }
        if (baseDelay == null || baseDelay.isNegative() || maxTotal == null || maxTotal.isNegative()) {
            throw new IllegalArgumentException("delays must not be negative");
        }
    }

    /** Delay before try number {@code attempt + 1} (attempt counts from 1): base * 2^(attempt-1), +-50 % jitter. */
    Duration backoff(int attempt, double random) {
        long base = baseDelay.toMillis() << Math.min(attempt - 1, 16);
        long jittered = (long) (base * (0.5 + random));
        return Duration.ofMillis(Math.max(0, jittered));
    }
}
