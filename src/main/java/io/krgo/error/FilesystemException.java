package io.krgo.error;

/** A local file system operation failed (permissions, disk full, existing target) (exit code 6). */
public final class FilesystemException extends KrgoException {
    public FilesystemException(String message) {
        super(message);
    }

    public FilesystemException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public int exitCode() {
        return 6;
    }
}
