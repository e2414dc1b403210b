package io.krgo.registry;

import io.krgo.error.RegistryException;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * krgo's one retry loop: exponential backoff with jitter (or the server's {@code Retry-After}), at most
 * {@link RetryPolicy#attempts()} tries, and for single requests never beyond {@link RetryPolicy#maxTotal()}
 * since the first. Used for each HTTP exchange and for restarting a whole blob upload.
 */
final class RetryLoop {
    /** One try. */
    @FunctionalInterface
    interface Try<T> {
        T call() throws IOException;
    }

    /** Whether a result is worth another try; {@code after} is the wait the server asked for (null: backoff). */
    record Again(Duration after) {
    }

    /** What to do with results and failures of the tries. */
    interface Rules<T> {
        /** Null to keep {@code result}; else another try is wanted. */
        Again again(T result);

        /** Releases a result that is dropped for another try. */
        void discard(T result);

        /** True for a failure another try may not meet. */
        boolean isTransient(Exception e);

        /** The exception to throw for {@code e} when no try is left. */
        RuntimeException report(Exception e);
    }

    private final RetryPolicy policy;
    private final String shown;

    RetryLoop(RetryPolicy policy, String shown) {
        this.policy = policy;
        this.shown = shown;
    }

    RetryPolicy policy() {
        return policy;
    }

    /**
     * Calls {@code attempt} until it gives a result to keep or a failure that is not transient, or the policy is
     * spent (then the last result, or the last failure as {@code rules.report}s it).
     *
     * @param replayable    false: one try only (a body that cannot be sent again)
     * @param withinMaxTotal bound all tries by the policy's total time (single requests), or only their count
     *                      (a restarted upload, whose own duration says nothing about the registry)
     */
    <T> T run(Try<T> attempt, boolean replayable, boolean withinMaxTotal, Rules<T> rules) {
        Instant start = Instant.now();
        for (int n = 1; ; n++) {
            boolean mayRetry = replayable && n < policy.attempts();
            T result;
            try {
                result = attempt.call();
            } catch (IOException | RegistryException e) {
                if (!mayRetry || !rules.isTransient(e)) {
                    throw rules.report(e);
                }
                Duration delay = backoff(n);
                if (withinMaxTotal && !fitsWithin(start, delay)) {
                    throw rules.report(e);
                }
                sleep(delay);
                continue;
            }
            Again again = rules.again(result);
            if (again == null || !mayRetry) {
                return result;
            }
            Duration delay = again.after() != null ? again.after() : backoff(n);
            if (withinMaxTotal && !fitsWithin(start, delay)) {
                return result; // waiting as asked would overrun the policy: report this answer
            }
            rules.discard(result);
            sleep(delay);
        }
    }

    /** Rules for HTTP exchanges: retry 408/429/5xx (honouring Retry-After) and transient network errors. */
    static Rules<Response> forResponses(Function<IOException, RuntimeException> network,
                                        Predicate<IOException> transientFailure) {
        return new Rules<>() {
            @Override
            public Again again(Response r) {
                return RegistryErrorResponse.RETRY_STATUSES.contains(r.status()) ? new Again(retryAfter(r).orElse(null))
                        : null;
            }

            @Override
            public void discard(Response r) {
                r.close();
            }

            @Override
            public boolean isTransient(Exception e) {
                return e instanceof IOException io && transientFailure.test(io);
            }

            @Override
            public RuntimeException report(Exception e) {
                return e instanceof IOException io ? network.apply(io) : (RuntimeException) e;
            }
        };
    }

    /** Rules for an operation that fails with RegistryExceptions: restart it when the failure is transient. */
    static <T> Rules<T> restarting(Predicate<RegistryException> isTransient) {
        return new Rules<>() {
            @Override
            public Again again(T result) {
                return null;
            }

            @Override
            public void discard(T result) {
                // results are always kept
            }

            @Override
            public boolean isTransient(Exception e) {
                return e instanceof RegistryException re && isTransient.test(re);
            }

            @Override
            public RuntimeException report(Exception e) {
                return e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
        };
    }

    private Duration backoff(int attempt) {
        return policy.backoff(attempt, ThreadLocalRandom.current().nextDouble());
    }

    private boolean fitsWithin(Instant start, Duration delay) {
        return Duration.between(start, Instant.now()).plus(delay).compareTo(policy.maxTotal()) <= 0;
    }

    private void sleep(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while waiting to retry a request to " + shown);
        }
    }

    static Optional<Duration> retryAfter(Response resp) {
        Optional<String> value = resp.header("Retry-After");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        String v = value.get().trim();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime when = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(Instant.now(), when.toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (RuntimeException ignored) {
                return Optional.empty();
            }
        }
    }
}
