package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.IntegrityException;
import io.krgo.error.KrgoException;
import io.krgo.error.NotFoundException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Json;
import io.krgo.image.MediaTypes;

import java.net.URI;
import java.net.http.HttpRequest;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

import static io.krgo.registry.RegistryApi.isDigest;
import static io.krgo.registry.RegistryApi.pull;
import static io.krgo.registry.RegistryApi.push;
import static io.krgo.registry.RegistryApi.request;

/** Manifests and indexes: fetched verified and bounded, looked up by HEAD, uploaded. */
final class Manifests {
    private final RegistryApi api;
    private final Transport transport;

    Manifests(RegistryApi api) {
        this.api = api;
        this.transport = api.transport();
    }

    RawManifest get(String repo, String tagOrDigest) {
        URI uri = api.api(repo, "manifests/" + tagOrDigest);
        try (Response resp = transport.send(request("GET", uri, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT),
                pull(repo), repo))) {
            if (resp.status() != 200) {
                throw error(resp, repo, tagOrDigest);
            }
            byte[] bytes = api.readLimited(resp, Json.MAX_DOCUMENT_BYTES, "manifest " + repo + ":" + tagOrDigest);
            String type = mediaType(resp.header("Content-Type").orElse(null), bytes);
            if (MediaTypes.isSchema1(type)) {
                throw new UnsafeImageException("Docker schema 1 manifests are unsupported (deprecated since 2017); "
                        + "re-push the image with a current client");
            }
            Digest actual = Digest.sha256(bytes);
            Optional<String> served = resp.header("Docker-Content-Digest");
            if (served.isPresent() && served.get().startsWith("sha256:") && !served.get().equals(actual.toString())) {
                throw new IntegrityException("manifest " + api.shown() + "/" + repo + ":" + tagOrDigest
                        + ": the registry says digest " + served.get() + " but the bytes have " + actual);
            }
            if (isDigest(tagOrDigest)) {
                Digest wanted = Digest.parse(tagOrDigest);
                Digest check = wanted.algorithm().equals("sha256") ? actual : digestOf(wanted, bytes);
                if (!check.equals(wanted)) {
                    throw new IntegrityException("manifest " + api.shown() + "/" + repo + "@" + tagOrDigest
                            + ": digest mismatch, got " + check);
                }
            }
            return new RawManifest(bytes, type, actual);
        }
    }

    Optional<Descriptor> head(String repo, String tagOrDigest) {
        URI uri = api.api(repo, "manifests/" + tagOrDigest);
        try (Response resp = transport.send(request("HEAD", uri, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT),
                pull(repo), repo))) {
            if (resp.status() == 404) {
                return Optional.empty();
            }
            if (resp.status() != 200) {
                throw transport.unexpected(resp, "HEAD manifest " + repo + ":" + tagOrDigest, repo);
            }
            Optional<String> digest = resp.header("Docker-Content-Digest");
            Optional<String> type = resp.header("Content-Type").map(RegistryApi::stripParams);
            long size = resp.header("Content-Length").map(RegistryApi::parseLength).orElse(-1L);
            if (digest.isEmpty() || type.isEmpty() || size < 0) {
                // Not every registry answers HEAD fully: fall back to fetching the manifest.
                return Optional.of(get(repo, tagOrDigest).descriptor());
            }
            return Optional.of(new Descriptor(type.get(), Digest.parse(digest.get()), size));
        }
    }

    /** The OCI 1.1 referrers index of {@code digest}, or empty when the registry lacks that API (404). */
    Optional<byte[]> referrers(String repo, Digest digest) {
        URI uri = api.api(repo, "referrers/" + digest);
        try (Response resp = transport.send(request("GET", uri, Map.of("Accept", MediaTypes.OCI_INDEX), pull(repo),
                repo))) {
            if (resp.status() == 404) {
                return Optional.empty();
            }
            if (resp.status() != 200) {
                throw transport.unexpected(resp, "referrers of " + repo + "@" + digest, repo);
            }
            return Optional.of(api.readLimited(resp, Json.MAX_DOCUMENT_BYTES, "referrers of " + repo + "@" + digest));
        }
    }

    Descriptor put(String repo, String tagOrDigest, byte[] bytes, String mediaType) {
        Digest digest = Digest.sha256(bytes);
        if (isDigest(tagOrDigest) && !Digest.parse(tagOrDigest).equals(digest)) {
            throw new IntegrityException("manifest to push does not match digest " + tagOrDigest);
        }
        byte[] copy = bytes.clone();
        URI uri = api.api(repo, "manifests/" + tagOrDigest);
        try (Response resp = transport.send(new Transport.Request("PUT", uri, Map.of("Content-Type", mediaType),
                () -> HttpRequest.BodyPublishers.ofByteArray(copy), true, push(repo), repo))) {
            if (resp.status() != 201 && resp.status() != 200) {
                throw transport.unexpected(resp, "manifest upload " + repo + ":" + tagOrDigest, repo);
            }
        }
        return new Descriptor(mediaType, digest, bytes.length);
    }

    private static Digest digestOf(Digest wanted, byte[] bytes) {
        MessageDigest md = wanted.newHasher();
        return new Digest(wanted.algorithm(), HexFormat.of().formatHex(md.digest(bytes)));
    }

    private KrgoException error(Response resp, String repo, String ref) {
        if (resp.status() != 404) {
            return transport.unexpected(resp, "manifest " + repo + ":" + ref, repo);
        }
        RegistryErrorResponse answer = ErrorMapping.errors(resp);
        String shown = api.shown() + "/" + repo + (isDigest(ref) ? "@" : ":") + ref;
        if (answer.hasCode("NAME_UNKNOWN")) {
            return new NotFoundException("image not found: " + shown + " (no such repository)", answer);
        }
        return isDigest(ref) ? new NotFoundException("image not found: " + shown, answer)
                : new NotFoundException("image not found: " + shown + " (no such tag)", answer);
    }

    /** The media type from Content-Type when specific, else from the body's own field or its shape. */
    private static String mediaType(String contentType, byte[] body) {
        String ct = contentType == null ? "" : RegistryApi.stripParams(contentType);
        if (!ct.isEmpty() && !ct.equals("application/json") && !ct.equals("text/plain") && !ct.equals(RegistryApi.OCTET)) {
            return ct;
        }
        JsonNode root = Json.readTree(body, "manifest");
        String fromBody = root.path("mediaType").asText("");
        if (!fromBody.isEmpty()) {
            return fromBody;
        }
        if (root.path("schemaVersion").asInt() == 1) {
            return MediaTypes.DOCKER_SCHEMA1;
        }
        return root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }
}
