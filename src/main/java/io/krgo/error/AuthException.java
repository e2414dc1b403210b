package io.krgo.error;

/** Authentication failed or access was denied (exit code 3). */
public final class AuthException extends KrgoException {
    public AuthException(String message) {
        super(message);
    }

    public AuthException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int exitCode() {
        return 3;
    }
}
