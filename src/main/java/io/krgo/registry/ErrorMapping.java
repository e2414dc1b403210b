package io.krgo.registry;

import io.krgo.error.AuthException;
import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Failures of one registry as one-line exceptions: network errors by their typed cause, unexpected answers
 * with the registry's structured errors kept as the cause ({@link RegistryErrorResponse}).
 */
final class ErrorMapping {
    private static final int ERROR_BODY_LIMIT = 64 * 1024;

    private final String host;
    /** The registry as the user named it (docker.io rather than registry-1.docker.io), for messages. */
    private final String shown;
    private final Credentials credentials;
    private final java.util.function.Predicate<String> clientCertificateMissing;

    /** @param clientCertificateMissing whether a host asked for a client certificate that krgo did not have */
    ErrorMapping(String host, String shown, Credentials credentials,
                 java.util.function.Predicate<String> clientCertificateMissing) {
        this.host = host;
        this.shown = shown;
        this.credentials = credentials;
        this.clientCertificateMissing = clientCertificateMissing;
    }

    String shown() {
        return shown;
    }

    /** Maps a network failure to a one-line RegistryException naming the cause. */
    RegistryException network(String authority, IOException e) {
        String where = authority == null ? host : authority;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) {
                return new RegistryException("registry " + where + " unreachable: connect timed out", e);
            }
            if (t instanceof HttpTimeoutException) {
                return new RegistryException("registry " + where + " timed out: " + t.getMessage(), e);
            }
            if (t instanceof ConnectException) {
                return new RegistryException("registry " + where + " unreachable: connection refused", e);
            }
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return new RegistryException("registry " + where + " unreachable: unknown host", e);
            }
            if (t instanceof SSLException) {
                return new RegistryException("TLS failure talking to " + where + ": " + TlsFailure.problem(e), e);
            }
        }
        if (clientCertificateMissing.test(where)) {
            // With TLS 1.3 the server refuses a missing client certificate after the client's handshake is done:
            // the client sees a connection closed where the answer should be, not a TLS alert.
            return new RegistryException("TLS failure talking to " + where + ": " + TlsFailure.CLIENT_CERTIFICATE, e);
        }
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new RegistryException("network error talking to " + where + ": " + firstLine(msg), e);
    }

    /**
     * Maps an unexpected response to a one-line exception: 401/403 to AuthException, everything else to
     * RegistryException, with the registry's errors folded into the message and kept as the cause. Closes
     * the response.
     *
     * @param basicAuth the registry authenticates with Basic (a 401 then means wrong credentials)
     */
    KrgoException unexpected(Response resp, String what, String repo, boolean basicAuth) {
        RegistryErrorResponse cause = errors(resp);
        String detail = detail(cause.errors());
        int s = resp.status();
        if (s == 401) {
            return credentials == null
                    ? new AuthException("authentication required for " + repo + " at " + shown, cause)
                    : basicAuth
                        ? new AuthException("wrong username or password for " + shown, cause)
                        : new AuthException("access denied to " + repo + " at " + shown + " for user "
                                + credentials.username() + detail, cause);
        }
        if (s == 403) {
            return new AuthException("access denied to " + repo + " at " + shown + detail, cause);
        }
        return new RegistryException("registry " + shown + " answered " + s + " to " + what + detail, cause);
    }

    /** The status and errors of {@code resp} (its body read up to 64 KiB, then closed). */
    static RegistryErrorResponse errors(Response resp) {
        byte[] body;
        try {
            body = resp.readSmall(ERROR_BODY_LIMIT);
        } catch (IOException e) {
            body = new byte[0];
        }
        return new RegistryErrorResponse(resp.status(), RegistryError.parse(body));
    }

    /** The errors as " (CODE: message; ...)", or "". */
    static String detail(List<RegistryError> errors) {
        return errors.isEmpty() ? ""
                : " (" + firstLine(errors.stream().map(RegistryError::toString).collect(Collectors.joining("; "))) + ")";
    }

    /** True when {@code e} came from a network error or a retryable status, so a restart may succeed. */
    static boolean isTransient(RegistryException e) {
        return (e.getCause() instanceof RegistryErrorResponse r && r.retryable())
                || (e.getCause() instanceof IOException io && isTransient(io));
    }

    static boolean isTransient(IOException e) {
        // Refused connections and unknown hosts do not heal in seconds; report them at once.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException && !(t instanceof HttpConnectTimeoutException)) {
                return false;
            }
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException || t instanceof SSLException) {
                return false;
            }
        }
        return !(e instanceof InterruptedIOException) || e instanceof HttpTimeoutException;
    }

    static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
