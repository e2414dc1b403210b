package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.AuthException;
import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;
import io.krgo.image.Json;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The one place krgo talks HTTP to a registry: authentication (ping, Bearer tokens cached per scope,
 * Basic), redirects (followed here, never carrying Authorization to another host), bounded retries with
 * backoff and jitter, timeouts, and mapping network failures to one-line {@link RegistryException}s.
 */
final class Transport implements AutoCloseable {
    private static final int MAX_REDIRECTS = 10;
    private static final long SLOWEST_UPLOAD_BYTES_PER_SECOND = 32 * 1024;
    private static final int ERROR_BODY_LIMIT = 64 * 1024;
    private static final Set<Integer> RETRY_STATUSES = Set.of(408, 429, 500, 502, 503, 504);

    /** One request; {@code body} is null for none, {@code replayable} says whether it may be called again. */
    record Request(String method, URI uri, Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body,
                   boolean replayable, List<String> scopes, String repo) {
        Request {
            headers = Map.copyOf(headers);
            scopes = List.copyOf(scopes);
        }
    }

    private sealed interface AuthScheme permits NoAuth, BasicAuth, BearerAuth { }
    private record NoAuth() implements AuthScheme { }
    private record BasicAuth() implements AuthScheme { }
    private record BearerAuth(String realm, String service) implements AuthScheme { }
    private record Token(String value, Instant expires) { }

    /**
     * HTTP exchanges are logged at DEBUG level to the System.Logger "io.krgo.http" (headers never) when the
     * system property {@link RegistryClient#HTTP_LOG_PROPERTY} is true ({@code krgo --debug} sets it). Only
     * then is the logger looked up: the first lookup initialises java.util.logging, ~12 ms of every start.
     */
    private static final class HttpLog {
        static final System.Logger LOG = System.getLogger("io.krgo.http");
    }

    private final String host;
    /** The registry as the user named it (docker.io rather than registry-1.docker.io), for messages. */
    private final String shown;
    /** Schemes to try, in order: https; http for loopback (unless disabled); https (unverified) then http when insecure. */
    private final List<String> schemes;
    private volatile URI base;
    private final RegistryOptions options;
    private final Credentials credentials;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private final HttpClients clients;
    private volatile AuthScheme auth;

    /** @param credentials null for anonymous */
    Transport(String host, String shown, RegistryOptions options, Credentials credentials) {
        this.host = host;
        this.shown = shown;
        this.options = options;
        this.credentials = credentials;
        this.clients = new HttpClients(host, options);
        this.schemes = options.insecure() ? List.of("https", "http")
                : isLoopback(host) && options.plainHttpOnLoopback() ? List.of("http") : List.of("https");
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
        return Optional.ofNullable(credentials);
    }

    static boolean isLoopback(String host) {
        String h = host;
        if (h.startsWith("[")) {
            h = h.substring(1, h.indexOf(']'));
        } else if (h.indexOf(':') >= 0 && h.indexOf(':') == h.lastIndexOf(':')) {
            h = h.substring(0, h.indexOf(':'));
        }
        return h.equals("localhost") || h.equals("::1") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    // ---- authentication ---------------------------------------------------------------------------

    /** Sends {@code r} with authentication, retries and redirects; the caller checks the status. */
    Response send(Request r) {
        AuthScheme scheme = ensurePinged();
        Map<String, String> headers = new LinkedHashMap<>(r.headers());
        authorization(scheme, r.scopes(), false).ifPresent(v -> headers.put("Authorization", v));
        Response resp = exchange(r.method(), r.uri(), headers, r.body(), r.replayable(), true);
        if (resp.status() != 401 || !r.replayable()) {
            return resp;
        }
        // A 401 after a successful ping: the token expired or lacks a scope the registry asks for; retry once.
        List<AuthChallenge> challenges = AuthChallenge.parseAll(resp.header("WWW-Authenticate").orElse(null));
        Optional<AuthChallenge> bearer = challenges.stream().filter(c -> c.isScheme("Bearer")).findFirst();
        Optional<AuthChallenge> basic = challenges.stream().filter(c -> c.isScheme("Basic")).findFirst();
        List<String> scopes = new ArrayList<>(r.scopes());
        AuthScheme next;
        if (bearer.isPresent() && bearer.get().param("realm").isPresent()) {
            next = new BearerAuth(bearer.get().param("realm").get(), bearer.get().param("service").orElse(null));
            bearer.get().param("scope").ifPresent(s -> {
                for (String one : s.split(" ")) {
                    if (!one.isBlank() && !scopes.contains(one)) {
                        scopes.add(one);
                    }
                }
            });
            if (bearer.get().param("error").filter("insufficient_scope"::equals).isPresent() && scheme instanceof BearerAuth
                    && scopes.equals(r.scopes())) {
                return resp; // a fresh token for the same scope would not help
            }
        } else if (basic.isPresent() && credentials != null && !(scheme instanceof BasicAuth)) {
            next = new BasicAuth();
        } else {
            return resp;
        }
        resp.close();
        auth = next;
        headers.remove("Authorization");
        authorization(next, scopes, true).ifPresent(v -> headers.put("Authorization", v));
        return exchange(r.method(), r.uri(), headers, r.body(), r.replayable(), true);
    }

    private AuthScheme ensurePinged() {
        AuthScheme a = auth;
        if (a != null) {
            return a;
        }
        synchronized (this) {
            if (auth != null) {
                return auth;
            }
            try (Response resp = ping()) {
                if (resp.status() == 401) {
                    List<AuthChallenge> challenges = AuthChallenge.parseAll(resp.header("WWW-Authenticate").orElse(null));
                    Optional<AuthChallenge> bearer = challenges.stream()
                            .filter(c -> c.isScheme("Bearer") && c.param("realm").isPresent()).findFirst();
                    if (bearer.isPresent()) {
                        auth = new BearerAuth(bearer.get().param("realm").get(), bearer.get().param("service").orElse(null));
                    } else if (challenges.stream().anyMatch(c -> c.isScheme("Basic"))) {
                        auth = new BasicAuth();
                    } else {
                        throw new AuthException("registry " + shown + " asks for an unsupported authentication scheme: "
                                + challenges.stream().map(AuthChallenge::scheme).collect(Collectors.joining(", ")));
                    }
                } else if (resp.status() >= 200 && resp.status() < 300) {
                    auth = new NoAuth();
                } else if (resp.status() == 404) {
                    throw new RegistryException(shown + " is not a container registry (/v2/ answered 404)");
                } else {
                    throw new RegistryException("registry " + shown + " answered " + resp.status() + " to /v2/");
                }
            }
            return auth;
        }
    }

    /** GET /v2/ on each allowed scheme in turn; the first that answers at all becomes {@link #base}. */
    private Response ping() {
        RegistryException first = null;
        for (String scheme : schemes) {
            URI candidate = URI.create(scheme + "://" + host);
            try {
                Response resp = exchange("GET", candidate.resolve("/v2/"), Map.of(), null, true, true);
                base = candidate;
                return resp;
            } catch (RegistryException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        throw first;
    }

    private Optional<String> authorization(AuthScheme scheme, List<String> scopes, boolean refresh) {
        if (scheme instanceof BasicAuth) {
            return credentials == null || credentials.isIdentityToken() ? Optional.empty()
                    : Optional.of(credentials.basicHeader());
        }
        if (scheme instanceof BearerAuth bearer) {
            String key = String.join(" ", new TreeSet<>(scopes));
            Token t = tokens.get(key);
            if (refresh || t == null || Instant.now().isAfter(t.expires())) {
                t = fetchToken(bearer, scopes);
                tokens.put(key, t);
            }
            return Optional.of("Bearer " + t.value());
        }
        return Optional.empty();
    }

    private Token fetchToken(BearerAuth bearer, List<String> scopes) {
        URI realm;
        try {
            realm = URI.create(bearer.realm());
        } catch (IllegalArgumentException e) {
            throw new AuthException("registry " + shown + " sent an invalid token realm");
        }
        StringBuilder query = new StringBuilder();
        if (bearer.service() != null) {
            query.append("service=").append(enc(bearer.service()));
        }
        for (String scope : scopes) {
            query.append(query.length() > 0 ? "&" : "").append("scope=").append(enc(scope));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Response resp;
        if (credentials != null && credentials.isIdentityToken()) {
            // OAuth2 refresh-token grant, as Docker does with an identity token.
            String form = query + (query.length() > 0 ? "&" : "") + "grant_type=refresh_token&client_id=krgo&refresh_token="
                    + enc(credentials.identityTokenValue());
            headers.put("Content-Type", "application/x-www-form-urlencoded");
            resp = exchange("POST", realm, headers, () -> HttpRequest.BodyPublishers.ofString(form), true, true);
        } else {
            if (credentials != null) {
                headers.put("Authorization", credentials.basicHeader());
            }
            URI uri = URI.create(realm + (query.length() > 0 ? (realm.getRawQuery() == null ? "?" : "&") + query : ""));
            resp = exchange("GET", uri, headers, null, true, true);
        }
        byte[] body;
        try {
            body = resp.readSmall(1024 * 1024);
        } catch (IOException e) {
            throw network(realm.getAuthority(), e);
        }
        if (resp.status() == 401 || resp.status() == 403) {
            throw credentials != null ? new AuthException("wrong username or password for " + shown)
                    : new AuthException("authentication required for " + shown + " (the token service refused anonymous access)");
        }
        if (resp.status() != 200) {
            throw new RegistryException("token service of " + shown + " answered " + resp.status() + errorDetail(body));
        }
        JsonNode json;
        try {
            json = Json.readTree(body, "token response");
        } catch (KrgoException e) {
            throw new RegistryException("token service of " + shown + " sent an invalid response");
        }
        String token = json.path("token").asText("");
        if (token.isEmpty()) {
            token = json.path("access_token").asText("");
        }
        if (token.isEmpty()) {
            throw new RegistryException("token service of " + shown + " sent no token");
        }
        long expiresIn = json.path("expires_in").asLong(60);
        if (expiresIn <= 0) {
            expiresIn = 60;
        }
        // Refresh a little early so a token does not expire between our check and the registry's.
        long margin = Math.min(10, expiresIn / 10);
        return new Token(token, Instant.now().plusSeconds(expiresIn - margin));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    // ---- retries and redirects ----------------------------------------------------------------------

    /**
     * One logical exchange: retried for IO errors and 408/429/5xx within the retry policy when
     * {@code replayable}; redirects followed when {@code followRedirects} (Authorization dropped when
     * the redirect leaves the original host).
     */
    Response exchange(String method, URI uri, Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body,
                      boolean replayable, boolean followRedirects) {
        RetryPolicy policy = options.retry();
        Instant start = Instant.now();
        int attempt = 0;
        while (true) {
            attempt++;
            boolean mayRetry = replayable && attempt < policy.attempts();
            try {
                Response resp = followingRedirects(method, uri, headers, body, followRedirects);
                if (!RETRY_STATUSES.contains(resp.status()) || !mayRetry) {
                    return resp;
                }
                Duration delay = retryAfter(resp).orElse(policy.backoff(attempt, ThreadLocalRandom.current().nextDouble()));
                if (!fitsWithin(start, delay, policy)) {
                    return resp; // waiting as asked would overrun the policy: report this answer
                }
                resp.close();
                sleep(delay);
            } catch (IOException e) {
                if (!mayRetry || !isTransient(e)) {
                    throw network(uri.getAuthority(), e);
                }
                Duration delay = policy.backoff(attempt, ThreadLocalRandom.current().nextDouble());
                if (!fitsWithin(start, delay, policy)) {
                    throw network(uri.getAuthority(), e);
                }
                sleep(delay);
            }
        }
    }

    private static boolean fitsWithin(Instant start, Duration delay, RetryPolicy policy) {
        return Duration.between(start, Instant.now()).plus(delay).compareTo(policy.maxTotal()) <= 0;
    }

    private void sleep(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while waiting to retry a request to " + shown);
        }
    }

    private static Optional<Duration> retryAfter(Response resp) {
        Optional<String> value = resp.header("Retry-After");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        String v = value.get().trim();
        try {
            return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(v))));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime when = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(Instant.now(), when.toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (RuntimeException ignored) {
                return Optional.empty();
            }
        }
    }

    private static boolean isTransient(IOException e) {
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

    private Response followingRedirects(String method, URI uri, Map<String, String> headers,
                                        Supplier<HttpRequest.BodyPublisher> body, boolean follow) throws IOException {
        String originalAuthority = uri.getAuthority();
        Set<URI> seen = new HashSet<>();
        URI current = uri;
        String currentMethod = method;
        Map<String, String> currentHeaders = headers;
        Supplier<HttpRequest.BodyPublisher> currentBody = body;
        for (int hop = 0; ; hop++) {
            Response resp = once(currentMethod, current, currentHeaders, currentBody);
            int s = resp.status();
            boolean redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
            if (!redirect || !follow || resp.header("Location").isEmpty()) {
                return resp;
            }
            resp.close();
            if (hop >= MAX_REDIRECTS) {
                throw new RegistryException("too many redirects fetching " + uri.getPath() + " from " + host);
            }
            URI target;
            try {
                target = current.resolve(resp.header("Location").get());
            } catch (IllegalArgumentException e) {
                throw new RegistryException(host + " sent an invalid redirect location");
            }
            if (!seen.add(target)) {
                throw new RegistryException("redirect loop fetching " + uri.getPath() + " from " + host);
            }
            if (target.getScheme() == null || !(target.getScheme().equals("https") || target.getScheme().equals("http"))) {
                throw new RegistryException(host + " redirected to an unsupported location");
            }
            if (!originalAuthority.equalsIgnoreCase(target.getAuthority())) {
                // Credentials for the registry must never reach another host (e.g. a storage CDN).
                Map<String, String> copy = new LinkedHashMap<>(currentHeaders);
                copy.keySet().removeIf(k -> k.equalsIgnoreCase("Authorization"));
                currentHeaders = copy;
            }
            if (s == 303 || ((s == 301 || s == 302) && !currentMethod.equals("HEAD"))) {
                currentMethod = currentMethod.equals("HEAD") ? "HEAD" : "GET";
                currentBody = null;
            }
            current = target;
        }
    }

    private Response once(String method, URI uri, Map<String, String> headers,
                          Supplier<HttpRequest.BodyPublisher> body) throws IOException {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody() : body.get();
        // The JDK's request timeout runs until the response headers, so it includes sending the body:
        // allow an upload time for it at a slow but not stalled rate.
        Duration timeout = options.readTimeout();
        if (publisher.contentLength() > 0) {
            timeout = timeout.plusSeconds(publisher.contentLength() / SLOWEST_UPLOAD_BYTES_PER_SECOND);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .header("User-Agent", options.userAgent())
                .method(method, publisher);
        if (publisher.contentLength() >= 0) {
            // A body of unknown length is streamed while it is produced (BlobUpload): its pace is the
            // producer's, so BlobUpload watches for stalls itself instead.
            b.timeout(timeout);
        }
        headers.forEach(b::header);
        long started = System.nanoTime();
        try {
            HttpResponse<java.util.concurrent.Flow.Publisher<List<java.nio.ByteBuffer>>> r =
                    clients.forUri(uri).send(b.build(), HttpResponse.BodyHandlers.ofPublisher());
            if (Boolean.getBoolean(RegistryClient.HTTP_LOG_PROPERTY) && HttpLog.LOG.isLoggable(System.Logger.Level.DEBUG)) {
                HttpLog.LOG.log(System.Logger.Level.DEBUG, method + " " + redacted(uri) + " -> " + r.statusCode()
                        + " (" + (System.nanoTime() - started) / 1_000_000 + " ms)");
            }
            ProxySelection.Endpoint proxy = r.statusCode() == 407 ? clients.proxyFor(uri) : null;
            if (proxy != null) {
                if (r.body() != null) { // none when the proxy refused a CONNECT tunnel
                    new PublisherInputStream(r.body(), options.readTimeout()).close();
                }
                throw proxy.refused(uri);
            }
            return new Response(r.statusCode(), r.headers(), new PublisherInputStream(r.body(), options.readTimeout()), uri);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (IOException e) {
            ProxySelection.Endpoint proxy = String.valueOf(e.getMessage()).startsWith("Tunnel failed, got: ")
                    ? clients.proxyFor(uri) : null;
            if (proxy == null) {
                throw e;
            }
            String status = e.getMessage().substring("Tunnel failed, got: ".length()).strip();
            if (status.equals("401") || status.equals("407")) {
                throw proxy.refused(uri); // the JDK retried with the URL's credentials, and the proxy said no again
            }
            throw new RegistryException("proxy " + proxy.shown() + " (" + proxy.variable() + ") answered " + status
                    + " to CONNECT " + uri.getAuthority(), e);
        }
    }

    /** Query strings can carry upload state or signed-URL signatures: never log them. */
    private static String redacted(URI uri) {
        String q = uri.getRawQuery();
        String base = uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath();
        return q == null ? base : base + "?<redacted>";
    }

    // ---- error mapping -------------------------------------------------------------------------------

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
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new RegistryException("network error talking to " + where + ": " + firstLine(msg), e);
    }

    /**
     * Maps an unexpected response to a one-line exception: 401/403 to AuthException, everything else
     * to RegistryException, with the registry's JSON error messages folded in. Closes the response.
     */
    KrgoException unexpected(Response resp, String what, String repo) {
        byte[] body;
        try {
            body = resp.readSmall(ERROR_BODY_LIMIT);
        } catch (IOException e) {
            body = new byte[0];
        }
        String detail = errorDetail(body);
        int s = resp.status();
        if (s == 401) {
            return credentials == null
                    ? new AuthException("authentication required for " + repo + " at " + shown)
                    : auth instanceof BasicAuth
                        ? new AuthException("wrong username or password for " + shown)
                        : new AuthException("access denied to " + repo + " at " + shown + " for user "
                                + credentials.username() + detail);
        }
        if (s == 403) {
            return new AuthException("access denied to " + repo + " at " + shown + detail);
        }
        String message = "registry " + shown + " answered " + s + " to " + what + detail;
        return RETRY_STATUSES.contains(s) ? new RegistryException(message, new TransientStatus(s))
                : new RegistryException(message);
    }

    /** Marks a RegistryException caused by a status worth retrying (a whole upload may be restarted). */
    static final class TransientStatus extends Exception {
        TransientStatus(int status) {
            super("HTTP " + status, null, false, false);
        }
    }

    /** True when {@code e} came from a network error or a retryable status, so a restart may succeed. */
    static boolean isTransient(RegistryException e) {
        return e.getCause() instanceof TransientStatus
                || (e.getCause() instanceof IOException io && isTransient(io));
    }

    /** The registry's {@code {"errors":[{"code","message"}]}} as ": CODE: message; ...", or "". */
    static String errorDetail(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            if (root == null || !root.path("errors").isArray()) {
                return "";
            }
            List<String> parts = new ArrayList<>();
            for (JsonNode e : root.path("errors")) {
                String code = e.path("code").asText("");
                String message = e.path("message").asText("");
                parts.add((code.isEmpty() ? "" : code + (message.isEmpty() ? "" : ": ")) + message);
            }
            return parts.isEmpty() ? "" : " (" + firstLine(String.join("; ", parts)) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The registry's first error code, upper-case, or "". */
    static String errorCode(byte[] body) {
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            return root == null ? "" : root.path("errors").path(0).path("code").asText("").toUpperCase(Locale.ROOT);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    @Override
    public void close() {
        clients.close();
    }
}
