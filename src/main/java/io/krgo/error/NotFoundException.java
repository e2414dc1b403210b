package io.krgo.error;

/** The image, tag, blob or platform does not exist (exit code 2). */
public final class NotFoundException extends KrgoException {
    public NotFoundException(String message) {
        super(message);
    }

    public NotFoundException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int exitCode() {
        return 2;
    }
}
