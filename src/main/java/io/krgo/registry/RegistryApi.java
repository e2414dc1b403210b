package io.krgo.registry;

import io.krgo.error.RegistryException;
import io.krgo.error.UnsafeImageException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The distribution API's addresses and scopes on one registry ({@code /v2/REPO/...}, {@code repository:REPO:pull}),
 * and the small readings every part of the client needs: bounded bodies, locations, header values.
 */
final class RegistryApi {
    static final String OCTET = "application/octet-stream";

    private final Transport transport;
    /** The registry's name as references write it, for messages. */
    private final String shown;

    RegistryApi(Transport transport, String shown) {
        this.transport = transport;
        this.shown = shown;
    }

    Transport transport() {
        return transport;
    }

    String shown() {
        return shown;
    }

    URI api(String repo, String rest) {
        return transport.base().resolve("/v2/" + repo + "/" + rest);
    }

    /** A replayable request without body. */
    static Transport.Request request(String method, URI uri, Map<String, String> headers, List<String> scopes,
                                     String repo) {
        return new Transport.Request(method, uri, new LinkedHashMap<>(headers), null, true, scopes, repo);
    }

    static String scope(String repo, String actions) {
        return "repository:" + repo + ":" + actions;
    }

    static List<String> pull(String repo) {
        return List.of(scope(repo, "pull"));
    }

    static List<String> push(String repo) {
        return List.of(scope(repo, "pull,push"));
    }

    /** The body of {@code resp}, refused beyond {@code limit} bytes. */
    byte[] readLimited(Response resp, int limit, String what) {
        try (InputStream in = resp.body()) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new UnsafeImageException(what + " is larger than " + (limit / (1024 * 1024)) + " MiB; refused");
            }
            return bytes;
        } catch (IOException e) {
            throw transport.network(transport.host(), e);
        }
    }

    static URI resolve(URI base, String location) {
        try {
            return base.resolve(location);
        } catch (IllegalArgumentException e) {
            throw new RegistryException("registry sent an invalid location '" + location + "'");
        }
    }

    static URI withQuery(URI location, String param) {
        String s = location.toString();
        return URI.create(s + (location.getRawQuery() == null ? "?" : "&") + param);
    }

    /** The Location of an upload answer, resolved against the request. */
    URI uploadLocation(Response resp) {
        return resolve(resp.uri(), resp.header("Location")
                .orElseThrow(() -> new RegistryException("registry " + shown + " sent no upload location")));
    }

    static String stripParams(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static boolean isDigest(String ref) {
        return ref.contains(":");
    }
}
