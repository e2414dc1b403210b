package io.krgo.error;

/**
 * A container's command cannot be started: not found (exit code 127) or not executable (126), as docker
 * reports them. Decided by krgo before the runtime starts anything.
 */
public final class ExecException extends KrgoException {
    private final boolean notFound;

    public ExecException(String message, boolean notFound) {
        super(message);
        this.notFound = notFound;
    }

    @Override
    public int exitCode() {
        return notFound ? 127 : 126;
    }
}
