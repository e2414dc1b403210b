package io.krgo.error;

/** Bad command line or invalid input such as a malformed image reference (exit code 1). */
public final class UsageException extends KrgoException {
    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int exitCode() {
        return 1;
    }
}
