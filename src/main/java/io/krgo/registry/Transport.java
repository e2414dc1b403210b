package io.krgo.registry;

import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one place krgo talks HTTP to a registry, composed of one small part per concern: the scheme and
 * authentication found by pinging {@code /v2/} ({@link RegistryAuth}), {@link Redirects}, the one
 * {@link RetryLoop}, the single exchange on the {@link Wire}, and {@link ErrorMapping} of failures to
 * one-line exceptions.
 */
final class Transport implements AutoCloseable {

    /** One request; {@code body} is null for none, {@code replayable} says whether it may be called again. */
    record Request(String method, URI uri, Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body,
                   boolean replayable, List<String> scopes, String repo) {
        Request {
            headers = Map.copyOf(headers);
            scopes = List.copyOf(scopes);
        }
    }

    private final String host;
    private final Ping ping;
    private volatile URI base;
    private final HttpClients clients;
    private final Redirects redirects;
    private final RetryLoop retries;
    private final ErrorMapping errors;
    private final RegistryAuth auth;
    private volatile RegistryAuth.Scheme scheme;

    /** @param credentials null for anonymous */
    Transport(String host, String shown, RegistryOptions options, Credentials credentials) {
        this.host = host;
        this.clients = new HttpClients(host, options);
        this.redirects = new Redirects(new Wire(clients, options), host);
        this.retries = new RetryLoop(options.retry(), shown);
        this.errors = new ErrorMapping(host, shown, credentials, clients::clientCertificateMissing);
        this.auth = new RegistryAuth(shown, credentials, errors);
        this.ping = new Ping(host, options);
    }

    String host() {
        return host;
    }

    /** The registry's base URI; the first call pings it to settle scheme and authentication. */
    URI base() {
        ensurePinged();
        return base;
    }

    Optional<Credentials> credentials() {
        return Optional.ofNullable(auth.credentials());
    }

    RetryLoop retries() {
        return retries;
    }

    /** Sends {@code r} with authentication, retries and redirects; the caller checks the status. */
    Response send(Request r) {
        RegistryAuth.Scheme current = ensurePinged();
        Map<String, String> headers = new LinkedHashMap<>(r.headers());
        auth.authorization(current, r.scopes(), false, this::tokenExchange).ifPresent(v -> headers.put("Authorization", v));
        Response resp = exchange(r.method(), r.uri(), headers, r.body(), r.replayable(), true);
        if (resp.status() != 401 || !r.replayable()) {
            return resp;
        }
        // A 401 after a successful ping: the token expired or lacks a scope the registry asks for; retry once.
        List<String> scopes = new ArrayList<>(r.scopes());
        RegistryAuth.Scheme next = auth.afterRefusal(resp, current, r.scopes(), scopes);
        if (next == null) {
            return resp;
        }
        resp.close();
        scheme = next;
        headers.remove("Authorization");
        auth.authorization(next, scopes, true, this::tokenExchange).ifPresent(v -> headers.put("Authorization", v));
        return exchange(r.method(), r.uri(), headers, r.body(), r.replayable(), true);
    }

    private Response tokenExchange(String method, URI uri, Map<String, String> headers,
                                   Supplier<HttpRequest.BodyPublisher> body) {
        return exchange(method, uri, headers, body, true, true);
    }

    private RegistryAuth.Scheme ensurePinged() {
        RegistryAuth.Scheme a = scheme;
        if (a != null) {
            return a;
        }
        synchronized (this) {
            if (scheme == null) {
                Ping.Answer answer = ping.ping(uri -> exchange("GET", uri, Map.of(), null, true, true));
                try (Response resp = answer.response()) {
                    base = answer.base();
                    scheme = auth.fromPing(resp);
                }
            }
            return scheme;
        }
    }

    /**
     * One logical exchange: retried for IO errors and 408/429/5xx within the retry policy when
     * {@code replayable}; redirects followed when {@code followRedirects} (Authorization dropped when
     * the redirect leaves the original host).
     */
    Response exchange(String method, URI uri, Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body,
                      boolean replayable, boolean followRedirects) {
        String authority = uri.getAuthority();
        // A connection closed because the server wanted a client certificate will be closed again.
        return retries.run(() -> redirects.follow(method, uri, headers, body, followRedirects), replayable, true,
                RetryLoop.forResponses(e -> errors.network(authority, e),
                        e -> ErrorMapping.isTransient(e) && !clients.clientCertificateMissing(authority)));
    }

    /** Maps a network failure to a one-line RegistryException naming the cause. */
    RegistryException network(String authority, IOException e) {
        return errors.network(authority, e);
    }

    /** Maps an unexpected response to a one-line Auth- or RegistryException (the registry's errors as its cause). */
    KrgoException unexpected(Response resp, String what, String repo) {
        return errors.unexpected(resp, what, repo, scheme instanceof RegistryAuth.Basic);
    }

    @Override
    public void close() {
        clients.close();
    }
}
