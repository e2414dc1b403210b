package io.krgo.registry;

import io.krgo.error.RegistryException;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Follows redirects, as registries send for blobs (often to a storage host): at most ten, no loops, http(s)
 * only, and never carrying Authorization to another host. 303, and 301/302 of anything but HEAD, become a
 * GET without body, as browsers and Go's client do.
 */
final class Redirects {
    private static final int MAX_REDIRECTS = 10;

    private final Wire wire;
    private final String host;

    Redirects(Wire wire, String host) {
        this.wire = wire;
        this.host = host;
    }

    Response follow(String method, URI uri, Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body,
                    boolean follow) throws IOException {
        String originalAuthority = uri.getAuthority();
        Set<URI> seen = new HashSet<>();
        URI current = uri;
        String currentMethod = method;
        Map<String, String> currentHeaders = headers;
        Supplier<HttpRequest.BodyPublisher> currentBody = body;
        for (int hop = 0; ; hop++) {
            Response resp = wire.once(currentMethod, current, currentHeaders, currentBody);
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
}
