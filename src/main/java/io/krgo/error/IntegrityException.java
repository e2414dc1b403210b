package io.krgo.error;

/** Content did not match its digest or declared size (exit code 5). */
public final class IntegrityException extends KrgoException {
    public IntegrityException(String message) {
        super(message);
    }

    public IntegrityException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int exitCode() {
        return 5;
    }
}
