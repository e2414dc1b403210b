package io.krgo.error;

/**
 * Refused by policy or configuration (exit code 8): an image the signature policy does not accept, a
 * registry blocked in registries.conf, or a policy or registries.d file that cannot be read as one (never
 * "accept" by default on such a file).
 */
public final class PolicyException extends KrgoException {
    public PolicyException(String message) {
        super(message);
    }

    public PolicyException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int exitCode() {
        return 8;
    }
}
