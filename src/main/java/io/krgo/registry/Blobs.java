package io.krgo.registry;

import io.krgo.error.IntegrityException;
import io.krgo.error.NotFoundException;
import io.krgo.error.RegistryException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Json;
import io.krgo.image.VerifyingInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.krgo.registry.RegistryApi.pull;
import static io.krgo.registry.RegistryApi.request;
import static io.krgo.registry.RegistryApi.scope;

/** Blobs: streamed verified and resumed with Range, checked by HEAD, mounted across repositories. */
final class Blobs {
    private static final Pattern CONTENT_RANGE_START = Pattern.compile("bytes\\s+(\\d+)-");

    private final RegistryApi api;
    private final Transport transport;

    Blobs(RegistryApi api) {
        this.api = api;
        this.transport = api.transport();
    }

    InputStream open(String repo, Descriptor d) {
        Digest digest = d.parsedDigest();
        InputStream first = openAt(repo, digest, 0);
        int resumes = Math.max(0, transport.retries().policy().attempts() - 1);
        ResumingInputStream resuming = new ResumingInputStream(first, offset -> openAt(repo, digest, offset), resumes,
                d.size(), e -> transport.network(api.shown(), e));
        return new VerifyingInputStream(resuming, digest, d.size(), "blob " + digest.shortHex() + " of " + repo);
    }

    byte[] readSmall(String repo, Descriptor d) {
        if (d.size() > Json.MAX_DOCUMENT_BYTES) {
            throw new UnsafeImageException("blob " + d.digest() + " is " + d.size() + " bytes; more than 4 MiB refused");
        }
        try (InputStream in = open(repo, d)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw transport.network(transport.host(), e);
        }
    }

    private InputStream openAt(String repo, Digest digest, long offset) {
        URI uri = api.api(repo, "blobs/" + digest);
        Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
        Response resp = transport.send(request("GET", uri, headers, pull(repo), repo));
        if (resp.status() == 404) {
            resp.close();
            throw new NotFoundException("blob " + digest + " not found in " + api.shown() + "/" + repo);
        }
        if (offset > 0 && resp.status() == 416) {
            // Nothing from the offset on: the blob is shorter than its descriptor says (a body that ended early).
            resp.close();
            throw new IntegrityException("blob " + digest.shortHex() + " of " + repo + ": size mismatch, the registry has only "
                    + offset + " bytes, fewer than declared");
        }
        if (offset > 0 && resp.status() == 206) {
            long start = resp.header("Content-Range").map(Blobs::rangeStart).orElse(-1L);
            if (start != offset) {
                resp.close();
                throw new RegistryException("registry " + api.shown() + " resumed blob " + digest.shortHex()
                        + " at the wrong offset");
            }
            return resp.body();
        }
        if (resp.status() != 200) {
            throw transport.unexpected(resp, "blob " + digest.shortHex(), repo);
        }
        if (offset > 0) {
            // The server ignored Range: restart and skip what we already have.
            try {
                resp.body().skipNBytes(offset);
            } catch (IOException e) {
                resp.close();
                throw transport.network(transport.host(), e);
            }
        }
        return resp.body();
    }

    private static long rangeStart(String contentRange) {
        Matcher m = CONTENT_RANGE_START.matcher(contentRange);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    boolean exists(String repo, Digest digest, List<String> scopes) {
        try (Response resp = transport.send(request("HEAD", api.api(repo, "blobs/" + digest), Map.of(), scopes, repo))) {
            if (resp.status() == 200) {
                return true;
            }
            if (resp.status() == 404) {
                return false;
            }
            throw transport.unexpected(resp, "blob check " + digest.shortHex(), repo);
        }
    }

    boolean mount(String repo, Digest digest, String fromRepo, Uploads uploads) {
        URI uri = api.api(repo, "blobs/uploads/?mount=" + digest + "&from=" + fromRepo);
        List<String> scopes = List.of(scope(repo, "pull,push"), scope(fromRepo, "pull"));
        try (Response resp = transport.send(request("POST", uri, Map.of(), scopes, repo))) {
            if (resp.status() == 201) {
                return true;
            }
            if (resp.status() == 202) {
                resp.header("Location").ifPresent(loc -> uploads.cancel(repo, RegistryApi.resolve(resp.uri(), loc)));
                return false;
            }
            throw transport.unexpected(resp, "blob mount " + digest.shortHex(), repo);
        }
    }
}
