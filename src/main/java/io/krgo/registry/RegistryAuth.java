package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.AuthException;
import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;
import io.krgo.image.Json;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A registry's authentication: the scheme its {@code /v2/} ping asks for (none, Basic, or Bearer tokens from a
 * token service, cached per scope set until shortly before they expire), and what to do when a request is
 * refused with 401 after all (a new token with the scopes the challenge names, or Basic).
 */
final class RegistryAuth {
    sealed interface Scheme permits None, Basic, Bearer { }

    record None() implements Scheme { }

    record Basic() implements Scheme { }

    record Bearer(String realm, String service) implements Scheme { }

    private record Token(String value, Instant expires) { }

    /** How the token service is reached: the transport's exchange, with its retries and redirects. */
    @FunctionalInterface
    interface Exchange {
        Response send(String method, URI uri, Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body);
    }

    private final String shown;
    private final Credentials credentials;
    private final ErrorMapping errors;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();

    /** @param credentials null for anonymous */
    RegistryAuth(String shown, Credentials credentials, ErrorMapping errors) {
        this.shown = shown;
        this.credentials = credentials;
        this.errors = errors;
    }

    Credentials credentials() {
        return credentials;
    }

    /** The scheme a ping's answer asks for; fails for answers that are not a registry's. Closes nothing. */
    Scheme fromPing(Response resp) {
        if (resp.status() == 401) {
            List<AuthChallenge> challenges = AuthChallenge.parseAll(resp.header("WWW-Authenticate").orElse(null));
            Optional<AuthChallenge> bearer = challenges.stream()
                    .filter(c -> c.isScheme("Bearer") && c.param("realm").isPresent()).findFirst();
            if (bearer.isPresent()) {
                return new Bearer(bearer.get().param("realm").get(), bearer.get().param("service").orElse(null));
            }
            if (challenges.stream().anyMatch(c -> c.isScheme("Basic"))) {
                return new Basic();
            }
            throw new AuthException("registry " + shown + " asks for an unsupported authentication scheme: "
                    + challenges.stream().map(AuthChallenge::scheme).collect(Collectors.joining(", ")));
        }
        if (resp.status() >= 200 && resp.status() < 300) {
            return new None();
        }
        if (resp.status() == 404) {
            throw new RegistryException(shown + " is not a container registry (/v2/ answered 404)");
        }
        throw new RegistryException("registry " + shown + " answered " + resp.status() + " to /v2/");
    }

    /**
     * After a 401 to a request sent with {@code scheme}: the scheme to try once more, adding to {@code scopes} those
     * the challenge names; null when another try would not help.
     */
    Scheme afterRefusal(Response resp, Scheme scheme, List<String> requestScopes, List<String> scopes) {
        List<AuthChallenge> challenges = AuthChallenge.parseAll(resp.header("WWW-Authenticate").orElse(null));
        Optional<AuthChallenge> bearer = challenges.stream().filter(c -> c.isScheme("Bearer")).findFirst();
        Optional<AuthChallenge> basic = challenges.stream().filter(c -> c.isScheme("Basic")).findFirst();
        if (bearer.isPresent() && bearer.get().param("realm").isPresent()) {
            Scheme next = new Bearer(bearer.get().param("realm").get(), bearer.get().param("service").orElse(null));
            bearer.get().param("scope").ifPresent(s -> {
                for (String one : s.split(" ")) {
                    if (!one.isBlank() && !scopes.contains(one)) {
                        scopes.add(one);
                    }
                }
            });
            if (bearer.get().param("error").filter("insufficient_scope"::equals).isPresent() && scheme instanceof Bearer
                    && scopes.equals(requestScopes)) {
                return null; // a fresh token for the same scope would not help
            }
            return next;
        }
        if (basic.isPresent() && credentials != null && !(scheme instanceof Basic)) {
            return new Basic();
        }
        return null;
    }

    /** The Authorization header for a request with {@code scopes}; {@code refresh} fetches a new token. */
    Optional<String> authorization(Scheme scheme, List<String> scopes, boolean refresh, Exchange exchange) {
        if (scheme instanceof Basic) {
            return credentials == null || credentials.isIdentityToken() ? Optional.empty()
                    : Optional.of(credentials.basicHeader());
        }
        if (scheme instanceof Bearer bearer) {
            String key = String.join(" ", new TreeSet<>(scopes));
            Token t = tokens.get(key);
            if (refresh || t == null || Instant.now().isAfter(t.expires())) {
                t = fetchToken(bearer, scopes, exchange);
                tokens.put(key, t);
            }
            return Optional.of("Bearer " + t.value());
        }
        return Optional.empty();
    }

    private Token fetchToken(Bearer bearer, List<String> scopes, Exchange exchange) {
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
            resp = exchange.send("POST", realm, headers, () -> HttpRequest.BodyPublishers.ofString(form));
        } else {
            if (credentials != null) {
                headers.put("Authorization", credentials.basicHeader());
            }
            URI uri = URI.create(realm + (query.length() > 0 ? (realm.getRawQuery() == null ? "?" : "&") + query : ""));
            resp = exchange.send("GET", uri, headers, null);
        }
        byte[] body;
        try {
            body = resp.readSmall(1024 * 1024);
        } catch (IOException e) {
            throw errors.network(realm.getAuthority(), e);
        }
        if (resp.status() == 401 || resp.status() == 403) {
            throw credentials != null ? new AuthException("wrong username or password for " + shown)
                    : new AuthException("authentication required for " + shown + " (the token service refused anonymous access)");
        }
        if (resp.status() != 200) {
            List<RegistryError> found = RegistryError.parse(body);
            throw new RegistryException("token service of " + shown + " answered " + resp.status()
                    + ErrorMapping.detail(found), new RegistryErrorResponse(resp.status(), found));
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
}
