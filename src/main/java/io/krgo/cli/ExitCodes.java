package io.krgo.cli;

import io.krgo.error.FilesystemException;
import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;

/**
 * The one place where failures become exit codes and one-line messages.
 *
 * <pre>
 * 0 ok · 1 usage · 2 not found · 3 authentication/authorisation · 4 network/registry
 * 5 integrity · 6 local filesystem · 7 unsafe or malformed image · 8 refused by policy or configuration
 * 130 interrupted
 * </pre>
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int USAGE = 1;
    public static final int INTERRUPTED = 130;
    /** A bug in krgo: an exception that no layer turned into a user-facing error. */
    public static final int INTERNAL = 70;
    /** {@code run}: krgo itself failed before the container ran (docker's 125); the message names the kind. */
    public static final int RUN_FAILED = 125;

    private ExitCodes() {
    }

    static int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        boolean debug = parsed != null && parsed.commandSpec().findOption("--debug") != null
                && Boolean.TRUE.equals(parsed.commandSpec().findOption("--debug").getValue());
        return report(ex, cmd.getErr(), debug, "run".equals(cmd.getCommandName()));
    }

    /** Says what failed on {@code err} (with the stack trace when {@code debug}) and returns the exit code. */
    static int report(Exception ex, java.io.PrintWriter err, boolean debug, boolean run) {
        KrgoException mapped = map(ex);
        if (mapped == null) {
            if (ex instanceof InterruptedException) {
                err.println("krgo: interrupted");
                return INTERRUPTED;
            }
            err.println("krgo: internal error: " + ex);
            if (debug) {
                ex.printStackTrace(err);
            }
            return INTERNAL;
        }
        err.println("krgo: " + oneLine(mapped.getMessage()));
        if (debug) {
            ex.printStackTrace(err);
        }
        if (run && !(mapped instanceof io.krgo.error.ExecException)) {
            return RUN_FAILED; // docker's convention: the container's own codes stay unambiguous
        }
        return mapped.exitCode();
    }

    /** The kind of failure an exit code stands for, as {@code run --json} names it. */
    static String kind(KrgoException e) {
        if (e instanceof io.krgo.error.ExecException) {
            return e.exitCode() == 127 ? "command not found" : "command not executable";
        }
        return switch (e.exitCode()) {
            case 1 -> "usage";
            case 2 -> "not found";
            case 3 -> "authentication";
            case 4 -> "network or registry";
            case 5 -> "integrity";
            case 6 -> "filesystem";
            case 7 -> "unsafe image";
            case 8 -> "policy";
            default -> "error";
        };
    }

    static int handleParameterException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        cmd.getErr().println("krgo: " + oneLine(ex.getMessage()));
        cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        return USAGE;
    }

    /** Turns JDK exceptions that reach the top into krgo's typed errors; null when it is a bug. */
    static KrgoException map(Throwable ex) {
        Throwable t = ex;
        while (t != null) {
            if (t instanceof KrgoException k) {
                return k;
            }
            if (t instanceof java.net.ConnectException || t instanceof java.net.http.HttpTimeoutException
                    || t instanceof java.net.UnknownHostException) {
                return new RegistryException("network error: " + t.getMessage(), t);
            }
            if (t instanceof AccessDeniedException a) {
                return new FilesystemException("permission denied: " + a.getFile(), a);
            }
            if (t instanceof FileSystemException f) {
                String reason = f.getReason() == null ? f.getClass().getSimpleName() : f.getReason();
                return new FilesystemException(reason + ": " + f.getFile(), f);
            }
            // The JDK reports ENOSPC only as strerror's text (no errno, no subclass), from FileSystemException's
            // reason and from a stream's plain IOException alike: the one classification left by message.
            if (t instanceof IOException io && io.getMessage() != null
                    && io.getMessage().contains("No space left on device")) {
                return new FilesystemException("disk full: " + io.getMessage(), io);
            }
            if (t instanceof UncheckedIOException u) {
                t = u.getCause();
                continue;
            }
            t = t.getCause();
        }
        if (ex instanceof IOException io) {
            return new FilesystemException(io.getClass().getSimpleName() + ": " + io.getMessage(), io);
        }
        return null;
    }

    static String oneLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        return s.replace('\n', ' ').replace('\r', ' ').strip();
    }
}
