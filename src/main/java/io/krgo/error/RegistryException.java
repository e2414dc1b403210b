package io.krgo.error;

/** The network or the registry failed: unreachable, timed out, unexpected answer (exit code 4). */
public final class RegistryException extends KrgoException {
    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int exitCode() {
        return 4;
    }
}
