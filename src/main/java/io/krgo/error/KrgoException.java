package io.krgo.error;

/**
 * Root of every error krgo reports to a user. Each subtype stands for one exit code, so the CLI maps
 * exceptions to exit codes in one place ({@code io.krgo.cli.ExitCodes}). Messages are one line, in user
 * terms, and never contain secrets.
 */
public abstract sealed class KrgoException extends RuntimeException
        permits UsageException, NotFoundException, AuthException, RegistryException,
                IntegrityException, FilesystemException, UnsafeImageException, PolicyException {

    protected KrgoException(String message) {
        super(message);
    }

    protected KrgoException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The process exit code this kind of failure maps to. */
    public abstract int exitCode();
}
