package io.krgo.error;

/** Refused by policy or configuration, e.g. a registry blocked in registries.conf (exit code 8). */
public final class PolicyException extends KrgoException {
    public PolicyException(String message) {
        super(message);
    }

    @Override
    public int exitCode() {
        return 8;
    }
}
