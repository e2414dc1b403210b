package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.IntegrityException;
import io.krgo.error.KrgoException;
import io.krgo.error.NotFoundException;
import io.krgo.error.RegistryException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Json;
import io.krgo.image.MediaTypes;
import io.krgo.image.VerifyingInputStream;
import io.krgo.reference.Reference;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client for one registry host speaking the OCI distribution API: manifests, blobs (streamed and
 * verified, resumed after a broken connection), uploads (monolithic or chunked), cross-repository
 * mounts and tags. Thread-safe; one per registry host and option set. Close it when done.
 */
public final class RegistryClient implements AutoCloseable {
    /** System property that turns on the HTTP log (System.Logger "io.krgo.http", DEBUG level; no headers). */
    public static final String HTTP_LOG_PROPERTY = "io.krgo.http.log";
    private static final Pattern LINK_NEXT = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"?next\"?");
    private static final String OCTET = "application/octet-stream";

    private final Transport transport;
    private final String displayHost;
    private final int optionsRetryAttempts;
    private final RetryPolicy retry;
    private final long chunkSize;
    private final java.time.Duration readTimeout;

    /**
     * @param host        the API host and port, e.g. {@code registry-1.docker.io}, {@code 127.0.0.1:5000}
     * @param credentials null for anonymous access
     */
    public RegistryClient(String host, RegistryOptions options, Credentials credentials) {
        this(host, host, options, credentials);
    }

    private RegistryClient(String host, String displayHost, RegistryOptions options, Credentials credentials) {
        this.transport = new Transport(host, displayHost, options, credentials);
        this.displayHost = displayHost;
        this.optionsRetryAttempts = options.retry().attempts();
        this.retry = options.retry();
        this.chunkSize = options.chunkSize();
        this.readTimeout = options.readTimeout();
    }

    /** A client for {@code ref}'s registry; credentials from the options, else from the user's auth files. */
    public static RegistryClient forReference(Reference ref, RegistryOptions options) {
        return forReference(ref, options, CredentialResolver.fromSystem());
    }

    public static RegistryClient forReference(Reference ref, RegistryOptions options, CredentialResolver resolver) {
        Credentials creds = resolver.resolve(ref.registry(), ref.repository(), options.credentials()).orElse(null);
        return new RegistryClient(ref.endpointHost(), ref.registry(), options, creds);
    }

    /** The registry's name as references write it (e.g. {@code docker.io}), for matching mount sources. */
    public String registry() {
        return displayHost;
    }

    /** The API host this client talks to. */
    public String host() {
        return transport.host();
    }

    // ---- manifests ------------------------------------------------------------------------------

    /**
     * Fetches a manifest or index by tag or digest. By digest, the bytes are verified against it.
     * Bodies over 4 MiB are refused; Docker schema 1 is refused as unsupported.
     */
    public RawManifest getManifest(String repo, String tagOrDigest) {
        URI uri = api(repo, "manifests/" + tagOrDigest);
        try (Response resp = transport.send(request("GET", uri, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT),
                pull(repo), repo))) {
            if (resp.status() != 200) {
                throw manifestError(resp, repo, tagOrDigest);
            }
            byte[] bytes = readLimited(resp, Json.MAX_DOCUMENT_BYTES, "manifest " + repo + ":" + tagOrDigest);
            String type = mediaType(resp.header("Content-Type").orElse(null), bytes);
            if (MediaTypes.isSchema1(type)) {
                throw new UnsafeImageException("Docker schema 1 manifests are unsupported (deprecated since 2017); "
                        + "re-push the image with a current client");
            }
            Digest actual = Digest.sha256(bytes);
            Optional<String> served = resp.header("Docker-Content-Digest");
            if (served.isPresent() && served.get().startsWith("sha256:") && !served.get().equals(actual.toString())) {
                throw new IntegrityException("manifest " + displayHost + "/" + repo + ":" + tagOrDigest
                        + ": the registry says digest " + served.get() + " but the bytes have " + actual);
            }
            if (isDigest(tagOrDigest)) {
                Digest wanted = Digest.parse(tagOrDigest);
                Digest check = wanted.algorithm().equals("sha256") ? actual : digestOf(wanted, bytes);
                if (!check.equals(wanted)) {
                    throw new IntegrityException("manifest " + displayHost + "/" + repo + "@" + tagOrDigest
                            + ": digest mismatch, got " + check);
                }
            }
            return new RawManifest(bytes, type, actual);
        }
    }

    /** The descriptor of a manifest (HEAD), or empty when it does not exist. */
    public Optional<Descriptor> headManifest(String repo, String tagOrDigest) {
        URI uri = api(repo, "manifests/" + tagOrDigest);
        try (Response resp = transport.send(request("HEAD", uri, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT),
                pull(repo), repo))) {
            if (resp.status() == 404) {
                return Optional.empty();
            }
            if (resp.status() != 200) {
                throw transport.unexpected(resp, "HEAD manifest " + repo + ":" + tagOrDigest, repo);
            }
            Optional<String> digest = resp.header("Docker-Content-Digest");
            Optional<String> type = resp.header("Content-Type").map(RegistryClient::stripParams);
            long size = resp.header("Content-Length").map(RegistryClient::parseLength).orElse(-1L);
            if (digest.isEmpty() || type.isEmpty() || size < 0) {
                // Not every registry answers HEAD fully: fall back to fetching the manifest.
                return Optional.of(getManifest(repo, tagOrDigest).descriptor());
            }
            return Optional.of(new Descriptor(type.get(), Digest.parse(digest.get()), size));
        }
    }

    /**
     * The OCI 1.1 referrers index of {@code digest} ({@code GET /v2/NAME/referrers/DIGEST}), or empty when the
     * registry does not implement that API (404): then the distribution-spec's fallback tag {@code ALG-HEX} holds it.
     */
    public Optional<byte[]> referrers(String repo, Digest digest) {
        URI uri = api(repo, "referrers/" + digest);
        try (Response resp = transport.send(request("GET", uri, Map.of("Accept", MediaTypes.OCI_INDEX), pull(repo),
                repo))) {
            if (resp.status() == 404) {
                return Optional.empty();
            }
            if (resp.status() != 200) {
                throw transport.unexpected(resp, "referrers of " + repo + "@" + digest, repo);
            }
            return Optional.of(readLimited(resp, Json.MAX_DOCUMENT_BYTES, "referrers of " + repo + "@" + digest));
        }
    }

    /** Uploads a manifest under a tag (or its digest); returns its descriptor. */
    public Descriptor putManifest(String repo, String tagOrDigest, byte[] bytes, String mediaType) {
        Digest digest = Digest.sha256(bytes);
        if (isDigest(tagOrDigest) && !Digest.parse(tagOrDigest).equals(digest)) {
            throw new IntegrityException("manifest to push does not match digest " + tagOrDigest);
        }
        byte[] copy = bytes.clone();
        URI uri = api(repo, "manifests/" + tagOrDigest);
        try (Response resp = transport.send(new Transport.Request("PUT", uri, Map.of("Content-Type", mediaType),
                () -> HttpRequest.BodyPublishers.ofByteArray(copy), true, push(repo), repo))) {
            if (resp.status() != 201 && resp.status() != 200) {
                throw transport.unexpected(resp, "manifest upload " + repo + ":" + tagOrDigest, repo);
            }
        }
        return new Descriptor(mediaType, digest, bytes.length);
    }

    // ---- blobs ----------------------------------------------------------------------------------

    /**
     * Opens a blob, verified against {@code d}'s size and digest while it is read (IntegrityException at
     * the latest at EOF). A connection broken mid-body, or a body ending early, is resumed with a Range request
     * from the last byte received (a restart skipping those bytes when the registry ignores Range); a body that
     * cannot be resumed ends in a RegistryException naming the network problem.
     */
    public InputStream openBlob(String repo, Descriptor d) {
        Digest digest = d.parsedDigest();
        InputStream first = openBlobAt(repo, digest, 0);
        int resumes = Math.max(0, transportRetryAttempts() - 1);
        ResumingInputStream resuming = new ResumingInputStream(first, offset -> openBlobAt(repo, digest, offset), resumes,
                d.size(), e -> transport.network(displayHost, e));
        return new VerifyingInputStream(resuming, digest, d.size(), "blob " + digest.shortHex() + " of " + repo);
    }

    /** Reads a small blob (a config) whole, verified; refused beyond 4 MiB. */
    public byte[] readSmallBlob(String repo, Descriptor d) {
        if (d.size() > Json.MAX_DOCUMENT_BYTES) {
            throw new UnsafeImageException("blob " + d.digest() + " is " + d.size() + " bytes; more than 4 MiB refused");
        }
        try (InputStream in = openBlob(repo, d)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw transport.network(transport.host(), e);
        }
    }

    private int transportRetryAttempts() {
        return optionsRetryAttempts;
    }

    private InputStream openBlobAt(String repo, Digest digest, long offset) {
        URI uri = api(repo, "blobs/" + digest);
        Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
        Response resp = transport.send(request("GET", uri, headers, pull(repo), repo));
        if (resp.status() == 404) {
            resp.close();
            throw new NotFoundException("blob " + digest + " not found in " + displayHost + "/" + repo);
        }
        if (offset > 0 && resp.status() == 416) {
            // Nothing from the offset on: the blob is shorter than its descriptor says (a body that ended early).
            resp.close();
            throw new IntegrityException("blob " + digest.shortHex() + " of " + repo + ": size mismatch, the registry has only "
                    + offset + " bytes, fewer than declared");
        }
        if (offset > 0 && resp.status() == 206) {
            long start = resp.header("Content-Range").map(RegistryClient::rangeStart).orElse(-1L);
            if (start != offset) {
                resp.close();
                throw new RegistryException("registry " + displayHost + " resumed blob " + digest.shortHex()
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

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long rangeStart(String contentRange) {
        Matcher m = Pattern.compile("bytes\\s+(\\d+)-").matcher(contentRange);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** True when the repository has the blob (HEAD). */
    public boolean blobExists(String repo, Digest digest) {
        return blobExists(repo, digest, pull(repo));
    }

    private boolean blobExists(String repo, Digest digest, List<String> scopes) {
        try (Response resp = transport.send(request("HEAD", api(repo, "blobs/" + digest), Map.of(), scopes, repo))) {
            if (resp.status() == 200) {
                return true;
            }
            if (resp.status() == 404) {
                return false;
            }
            throw transport.unexpected(resp, "blob check " + digest.shortHex(), repo);
        }
    }

    /**
     * Asks the registry to mount {@code digest} from {@code fromRepo} (same host) without uploading it.
     * True when mounted; false when the registry declined (the upload session it opened is cancelled).
     */
    public boolean mountBlob(String repo, Digest digest, String fromRepo) {
        URI uri = api(repo, "blobs/uploads/?mount=" + digest + "&from=" + fromRepo);
        List<String> scopes = List.of(scope(repo, "pull,push"), scope(fromRepo, "pull"));
        try (Response resp = transport.send(request("POST", uri, Map.of(), scopes, repo))) {
            if (resp.status() == 201) {
                return true;
            }
            if (resp.status() == 202) {
                resp.header("Location").ifPresent(loc -> cancelUpload(repo, resolve(resp.uri(), loc)));
                return false;
            }
            throw transport.unexpected(resp, "blob mount " + digest.shortHex(), repo);
        }
    }

    void cancelUpload(String repo, URI location) {
        try (Response ignored = transport.send(request("DELETE", location, Map.of(), push(repo), repo))) {
            // best effort: an abandoned session expires on the registry anyway
        } catch (KrgoException ignored) {
            // same
        }
    }

    /**
     * Uploads a blob unless the repository has it. Blobs up to the chunk size go in one PUT; larger ones in
     * PATCH chunks, streamed from {@code content} (opened again when the upload must restart).
     */
    public void uploadBlob(String repo, Descriptor d, IOSupplier<InputStream> content) {
        Digest digest = d.parsedDigest();
        if (d.size() < 0) {
            throw new IllegalArgumentException("an upload needs the blob's size");
        }
        if (blobExists(repo, digest, push(repo))) {
            return;
        }
        int attempts = optionsRetryAttempts;
        RetryPolicy retry = this.retry;
        for (int attempt = 1; ; attempt++) {
            try {
                upload(repo, d, digest, content);
                return;
            } catch (RegistryException e) {
                // The session cannot be replayed chunk by chunk: restart the whole upload.
                if (attempt >= attempts || !Transport.isTransient(e)) {
                    throw e;
                }
                try {
                    Thread.sleep(retry.backoff(attempt, java.util.concurrent.ThreadLocalRandom.current().nextDouble()).toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private void upload(String repo, Descriptor d, Digest digest, IOSupplier<InputStream> content) {
        URI location = startUpload(repo);
        long size = d.size();
        if (size <= chunkSize) {
            URI put = withQuery(location, "digest=" + digest);
            Map<String, String> headers = Map.of("Content-Type", OCTET);
            try (Response resp = transport.send(new Transport.Request("PUT", put, headers,
                    () -> sized(() -> open(content), size), false, push(repo), repo))) {
                finishUpload(resp, repo, digest);
            }
            return;
        }
        try (InputStream in = content.get()) {
            long offset = 0;
            while (offset < size) {
                long n = Math.min(chunkSize, size - offset);
                InputStream chunk = new BoundedNonClosing(in, n);
                Map<String, String> headers = Map.of("Content-Type", OCTET,
                        "Content-Range", offset + "-" + (offset + n - 1));
                try (Response resp = transport.send(new Transport.Request("PATCH", location, headers,
                        () -> sized(() -> chunk, n), false, push(repo), repo))) {
                    if (resp.status() == 416) {
                        throw new RegistryException("registry " + displayHost + " rejected upload chunk at offset " + offset);
                    }
                    if (resp.status() != 202) {
                        throw transport.unexpected(resp, "blob upload chunk", repo);
                    }
                    location = resolve(resp.uri(), resp.header("Location")
                            .orElseThrow(() -> new RegistryException("registry " + displayHost + " sent no upload location")));
                }
                offset += n;
            }
        } catch (IOException e) {
            throw new io.krgo.error.FilesystemException("cannot read blob " + digest.shortHex() + " to upload: " + e.getMessage(), e);
        }
        try (Response resp = transport.send(new Transport.Request("PUT", withQuery(location, "digest=" + digest),
                Map.of(), null, true, push(repo), repo))) {
            finishUpload(resp, repo, digest);
        }
    }

    /**
     * Opens an upload session whose bytes are written while they are produced (see {@link BlobUpload}):
     * for a layer compressed and uploaded at once. The session opens in the background; its failure (like
     * any of the upload's) is not fatal to a push: upload the blob again with {@link #uploadBlob} from a
     * stored copy, which reports errors as usual.
     */
    public BlobUpload startStreamedUpload(String repo) {
        return new BlobUpload(this, transport, repo, () -> startUpload(repo), readTimeout);
    }

    /** The PUT that ends a streamed upload: the registry checks the digest and commits the blob. */
    void finishStreamed(String repo, URI location, Digest digest) {
        try (Response resp = transport.send(new Transport.Request("PUT", withQuery(location, "digest=" + digest),
                Map.of(), null, true, push(repo), repo))) {
            finishUpload(resp, repo, digest);
        }
    }

    private URI startUpload(String repo) {
        try (Response resp = transport.send(request("POST", api(repo, "blobs/uploads/"), Map.of(), push(repo), repo))) {
            if (resp.status() != 202) {
                throw transport.unexpected(resp, "blob upload start", repo);
            }
            return resolve(resp.uri(), resp.header("Location")
                    .orElseThrow(() -> new RegistryException("registry " + displayHost + " sent no upload location")));
        }
    }

    private void finishUpload(Response resp, String repo, Digest digest) {
        if (resp.status() == 201) {
            return;
        }
        if (resp.status() == 400) {
            byte[] body;
            try {
                body = resp.readSmall(64 * 1024);
            } catch (IOException e) {
                body = new byte[0];
            }
            String code = Transport.errorCode(body);
            if (code.equals("DIGEST_INVALID") || code.equals("SIZE_INVALID")) {
                throw new IntegrityException("registry " + displayHost + " rejected blob " + digest.shortHex()
                        + ": content does not match its digest or size");
            }
            throw new RegistryException("registry " + displayHost + " rejected blob " + digest.shortHex()
                    + Transport.errorDetail(body));
        }
        throw transport.unexpected(resp, "blob upload " + digest.shortHex(), repo);
    }

    private static InputStream open(IOSupplier<InputStream> content) {
        try {
            return content.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A body of {@code length} bytes read from {@code in} in 256 KiB pieces as the client asks for them.
     * (BodyPublishers.ofInputStream reads 16 KiB at a time: each piece one trip through the client's flow
     * machinery, ~6,400 for a 100 MB layer.)
     */
    private static HttpRequest.BodyPublisher sized(java.util.function.Supplier<InputStream> in, long length) {
        Iterable<byte[]> pieces = () -> new java.util.Iterator<>() {
            private InputStream stream;
            private long left = length;

            @Override
            public boolean hasNext() {
                return left > 0;
            }

            @Override
            public byte[] next() {
                if (left <= 0) {
                    throw new java.util.NoSuchElementException();
                }
                if (stream == null) {
                    stream = in.get();
                }
                try {
                    byte[] piece = stream.readNBytes((int) Math.min(UPLOAD_PIECE, left));
                    if (piece.length == 0) {
                        throw new IOException("blob shorter than its size");
                    }
                    left -= piece.length;
                    if (left == 0) {
                        stream.read(); // to EOF, so a verifying stream checks the digest before the body ends
                        stream.close();
                    }
                    return piece;
                } catch (IOException | RuntimeException e) {
                    try {
                        stream.close();
                    } catch (IOException ignored) {
                        // the read error is the one to report
                    }
                    throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
                }
            }
        };
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofByteArrays(pieces), length);
    }

    private static final int UPLOAD_PIECE = 256 * 1024;

    /** Reads at most {@code n} bytes of the underlying stream and leaves it open for the next chunk. */
    private static final class BoundedNonClosing extends FilterInputStream {
        private long left;

        BoundedNonClosing(InputStream in, long n) {
            super(in);
            this.left = n;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() {
            // the caller owns the underlying stream
        }
    }

    // ---- login ----------------------------------------------------------------------------------

    /**
     * Checks this client's credentials with one authenticated round trip: a token fetch (Bearer) or a
     * Basic-authenticated {@code GET /v2/}. Wrong credentials are an {@link io.krgo.error.AuthException};
     * a registry that needs no authentication passes.
     */
    public void checkLogin() {
        URI uri = transport.base().resolve("/v2/");
        try (Response resp = transport.send(request("GET", uri, Map.of(), List.of(), null))) {
            if (resp.status() == 401 || resp.status() == 403) {
                throw new io.krgo.error.AuthException("wrong username or password for " + displayHost);
            }
            if (resp.status() != 200) {
                throw transport.unexpected(resp, "login to " + displayHost, null);
            }
        }
    }

    // ---- tags -----------------------------------------------------------------------------------

    /** All tags of a repository, following {@code Link: <...>; rel="next"} pagination. */
    public List<String> listTags(String repo) {
        return listTags(repo, 0);
    }

    /** As {@link #listTags(String)}, asking for {@code pageSize} tags per page (0: the registry's default). */
    public List<String> listTags(String repo, int pageSize) {
        List<String> tags = new ArrayList<>();
        URI next = api(repo, "tags/list" + (pageSize > 0 ? "?n=" + pageSize : ""));
        for (int page = 0; next != null; page++) {
            if (page > 10_000) {
                throw new RegistryException("registry " + displayHost + " paginates tags of " + repo + " endlessly");
            }
            try (Response resp = transport.send(request("GET", next, Map.of(), pull(repo), repo))) {
                if (resp.status() == 404) {
                    resp.close();
                    throw new NotFoundException("repository not found: " + displayHost + "/" + repo);
                }
                if (resp.status() != 200) {
                    throw transport.unexpected(resp, "tag list of " + repo, repo);
                }
                byte[] body = readLimited(resp, Json.MAX_DOCUMENT_BYTES, "tag list of " + repo);
                JsonNode root;
                try {
                    root = Json.MAPPER.readTree(body);
                } catch (IOException e) {
                    throw new RegistryException("registry " + displayHost + " sent an invalid tag list");
                }
                if (root != null) {
                    for (JsonNode t : root.path("tags")) {
                        tags.add(t.asText());
                    }
                }
                URI current = resp.uri();
                next = resp.headers().allValues("Link").stream()
                        .map(LINK_NEXT::matcher).filter(Matcher::find)
                        .map(m -> resolve(current, m.group(1))).findFirst().orElse(null);
            }
        }
        return List.copyOf(tags);
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static boolean isDigest(String ref) {
        return ref.contains(":");
    }

    private static Digest digestOf(Digest wanted, byte[] bytes) {
        java.security.MessageDigest md = wanted.newHasher();
        return new Digest(wanted.algorithm(), java.util.HexFormat.of().formatHex(md.digest(bytes)));
    }

    private KrgoException manifestError(Response resp, String repo, String ref) {
        if (resp.status() != 404) {
            return transport.unexpected(resp, "manifest " + repo + ":" + ref, repo);
        }
        byte[] body;
        try {
            body = resp.readSmall(64 * 1024);
        } catch (IOException e) {
            body = new byte[0];
        }
        String shown = displayHost + "/" + repo + (isDigest(ref) ? "@" : ":") + ref;
        if (Transport.errorCode(body).equals("NAME_UNKNOWN")) {
            return new NotFoundException("image not found: " + shown + " (no such repository)");
        }
        return isDigest(ref) ? new NotFoundException("image not found: " + shown)
                : new NotFoundException("image not found: " + shown + " (no such tag)");
    }

    private byte[] readLimited(Response resp, int limit, String what) {
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

    /** The media type from Content-Type when specific, else from the body's own field or its shape. */
    private static String mediaType(String contentType, byte[] body) {
        String ct = contentType == null ? "" : stripParams(contentType);
        if (!ct.isEmpty() && !ct.equals("application/json") && !ct.equals("text/plain") && !ct.equals(OCTET)) {
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

    private static String stripParams(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private URI api(String repo, String rest) {
        return transport.base().resolve("/v2/" + repo + "/" + rest);
    }

    static URI resolve(URI base, String location) {
        try {
            return base.resolve(location);
        } catch (IllegalArgumentException e) {
            throw new RegistryException("registry sent an invalid location '" + location + "'");
        }
    }

    private static URI withQuery(URI location, String param) {
        String s = location.toString();
        return URI.create(s + (location.getRawQuery() == null ? "?" : "&") + param);
    }

    private static Transport.Request request(String method, URI uri, Map<String, String> headers,
                                             List<String> scopes, String repo) {
        return new Transport.Request(method, uri, new LinkedHashMap<>(headers), null, true, scopes, repo);
    }

    static String scope(String repo, String actions) {
        return "repository:" + repo + ":" + actions;
    }

    private static List<String> pull(String repo) {
        return List.of(scope(repo, "pull"));
    }

    static List<String> push(String repo) {
        return List.of(scope(repo, "pull,push"));
    }

    @Override
    public void close() {
        transport.close();
    }
}
