package io.krgo.error;

/** The image is malformed or would write outside the target directory (exit code 7). */
public final class UnsafeImageException extends KrgoException {
    public UnsafeImageException(String message) {
        super(message);
    }

    public UnsafeImageException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int exitCode() {
        return 7;
    }
}
