package io.krgo.registry;

import io.krgo.error.FilesystemException;
import io.krgo.error.IntegrityException;
import io.krgo.error.KrgoException;
import io.krgo.error.RegistryException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Map;

import static io.krgo.registry.RegistryApi.OCTET;
import static io.krgo.registry.RegistryApi.push;
import static io.krgo.registry.RegistryApi.request;
import static io.krgo.registry.RegistryApi.withQuery;

/**
 * Blob uploads: one PUT up to the chunk size, PATCH chunks beyond, restarted whole from the source when a
 * transient failure breaks the session (it cannot be replayed chunk by chunk); the session steps a streamed
 * {@link BlobUpload} shares.
 */
final class Uploads {
    private final RegistryApi api;
    private final Transport transport;
    private final long chunkSize;

    Uploads(RegistryApi api, long chunkSize) {
        this.api = api;
        this.transport = api.transport();
        this.chunkSize = chunkSize;
    }

    /** Uploads the blob, restarted from {@code content} after transient failures, within the retry policy. */
    void upload(String repo, Descriptor d, IOSupplier<InputStream> content) {
        Digest digest = d.parsedDigest();
        transport.retries().run(() -> {
            once(repo, d, digest, content);
            return Boolean.TRUE;
        }, true, false, RetryLoop.restarting(ErrorMapping::isTransient));
    }

    private void once(String repo, Descriptor d, Digest digest, IOSupplier<InputStream> content) {
        URI location = start(repo);
        long size = d.size();
        if (size <= chunkSize) {
            URI put = withQuery(location, "digest=" + digest);
            Map<String, String> headers = Map.of("Content-Type", OCTET);
            try (Response resp = transport.send(new Transport.Request("PUT", put, headers,
                    () -> SizedBody.of(() -> open(content), size), false, push(repo), repo))) {
                finish(resp, repo, digest);
            }
            return;
        }
        try (InputStream in = content.get()) {
            long offset = 0;
            while (offset < size) {
                long n = Math.min(chunkSize, size - offset);
                InputStream chunk = new SizedBody.BoundedNonClosing(in, n);
                Map<String, String> headers = Map.of("Content-Type", OCTET,
                        "Content-Range", offset + "-" + (offset + n - 1));
                try (Response resp = transport.send(new Transport.Request("PATCH", location, headers,
                        () -> SizedBody.of(() -> chunk, n), false, push(repo), repo))) {
                    if (resp.status() == 416) {
                        throw new RegistryException("registry " + api.shown() + " rejected upload chunk at offset " + offset);
                    }
                    if (resp.status() != 202) {
                        throw transport.unexpected(resp, "blob upload chunk", repo);
                    }
                    location = api.uploadLocation(resp);
                }
                offset += n;
            }
        } catch (IOException e) {
            throw new FilesystemException("cannot read blob " + digest.shortHex() + " to upload: " + e.getMessage(), e);
        }
        finishAt(repo, location, digest);
    }

    /** Opens an upload session; returns its location. */
    URI start(String repo) {
        try (Response resp = transport.send(request("POST", api.api(repo, "blobs/uploads/"), Map.of(), push(repo), repo))) {
            if (resp.status() != 202) {
                throw transport.unexpected(resp, "blob upload start", repo);
            }
            return api.uploadLocation(resp);
        }
    }

    /** The PUT that ends an upload session: the registry checks the digest and commits the blob. */
    void finishAt(String repo, URI location, Digest digest) {
        try (Response resp = transport.send(new Transport.Request("PUT", withQuery(location, "digest=" + digest),
                Map.of(), null, true, push(repo), repo))) {
            finish(resp, repo, digest);
        }
    }

    private void finish(Response resp, String repo, Digest digest) {
        if (resp.status() == 201) {
            return;
        }
        if (resp.status() == 400) {
            RegistryErrorResponse answer = ErrorMapping.errors(resp);
            if (answer.hasCode("DIGEST_INVALID") || answer.hasCode("SIZE_INVALID")) {
                throw new IntegrityException("registry " + api.shown() + " rejected blob " + digest.shortHex()
                        + ": content does not match its digest or size", answer);
            }
            throw new RegistryException("registry " + api.shown() + " rejected blob " + digest.shortHex()
                    + ErrorMapping.detail(answer.errors()), answer);
        }
        throw transport.unexpected(resp, "blob upload " + digest.shortHex(), repo);
    }

    /** Cancels an upload session, best effort: an abandoned session expires on the registry anyway. */
    void cancel(String repo, URI location) {
        try (Response ignored = transport.send(request("DELETE", location, Map.of(), push(repo), repo))) {
            // nothing to read
        } catch (KrgoException ignored) {
            // same
        }
    }

    private static InputStream open(IOSupplier<InputStream> content) {
        try {
            return content.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
