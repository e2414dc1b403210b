package io.krgo.registry;

import io.krgo.error.RegistryException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.util.Map;

/**
 * The first request to a registry, {@code GET /v2/}, which settles the scheme (its answer then settles the
 * authentication). References carry no scheme, so:
 * <ul>
 *   <li>a registry marked insecure ({@code --insecure}, registries.conf) is tried over HTTPS without verification,
 *       then over plain HTTP, as containers/image does;</li>
 *   <li>a loopback address ({@code localhost}, 127.0.0.0/8, {@code ::1}, written as such: names are not resolved)
 *       may speak either: plain HTTP is asked first, and a server that answers it with 400 (what Go's and nginx's
 *       TLS listeners say to plain HTTP) or drops it (closed or reset, not timed out) is asked again over HTTPS, verified as any other. On loopback
 *       the order costs no safety (no network to listen on; the ping carries no credentials) and keeps the TLS
 *       set-up out of every pull from a local plain registry;</li>
 *   <li>any other registry gets HTTPS only; one that answers in plain HTTP is named as such.</li>
 * </ul>
 * The scheme found is kept by the transport for all its requests.
 */
final class Ping {
    /** How a request goes out (the transport's exchange, with its retries). */
    @FunctionalInterface
    interface Exchange {
        Response send(URI uri);
    }

    /** Where the ping got its answer: the base URI and the answer itself. */
    record Answer(URI base, Response response) {
    }

    private final String host;
    private final boolean insecure;
    private final boolean plainOnLoopback;

    Ping(String host, RegistryOptions options) {
        this.host = host;
        this.insecure = options.insecure();
        this.plainOnLoopback = !options.insecure() && options.plainHttpOnLoopback() && isLoopback(host);
    }

    /** True for {@code localhost}, 127.0.0.0/8 and {@code ::1} as written, with or without a port. */
    static boolean isLoopback(String host) {
        String h = host;
        if (h.startsWith("[")) {
            h = h.substring(1, h.indexOf(']'));
        } else if (h.indexOf(':') >= 0 && h.indexOf(':') == h.lastIndexOf(':')) {
            h = h.substring(0, h.indexOf(':'));
        }
        return h.equals("localhost") || h.equals("::1") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    Answer ping(Exchange exchange) {
        URI https = URI.create("https://" + host);
        URI http = URI.create("http://" + host);
        if (insecure) {
            try {
                return new Answer(https, exchange.send(https.resolve("/v2/")));
            } catch (RegistryException e) {
                try {
                    return new Answer(http, exchange.send(http.resolve("/v2/")));
                } catch (RegistryException ignored) {
                    throw e;
                }
            }
        }
        if (plainOnLoopback) {
            try {
                Response plain = exchange.send(http.resolve("/v2/"));
                if (plain.status() != 400) {
                    return new Answer(http, plain);
                }
                plain.close();
            } catch (RegistryException e) {
                if (!dropped(e)) {
                    throw e; // refused, or no answer in time: HTTPS would not fare better
                }
            }
        }
        return new Answer(https, exchange.send(https.resolve("/v2/")));
    }

    /** True when the connection was closed or reset without an answer (what some TLS listeners do to plain HTTP). */
    private static boolean dropped(RegistryException e) {
        if (!(e.getCause() instanceof IOException)) {
            return false;
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof HttpTimeoutException) {
                return false;
            }
        }
        return true;
    }
}
