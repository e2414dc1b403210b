package io.krgo.registry;

import io.krgo.error.AuthException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.reference.Reference;

import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A client for one registry host speaking the OCI distribution API: manifests, blobs (streamed and
 * verified, resumed after a broken connection), uploads (monolithic or chunked), cross-repository
 * mounts and tags. Thread-safe; one per registry host and option set. Close it when done.
 */
public final class RegistryClient implements AutoCloseable {
    /** System property that turns on the HTTP log (System.Logger "io.krgo.http", DEBUG level; no headers). */
    public static final String HTTP_LOG_PROPERTY = "io.krgo.http.log";

    private final Transport transport;
    private final String displayHost;
    private final Manifests manifests;
    private final Blobs blobs;
    private final Uploads uploads;
    private final TagList tags;
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
        RegistryApi api = new RegistryApi(transport, displayHost);
        this.manifests = new Manifests(api);
        this.blobs = new Blobs(api);
        this.uploads = new Uploads(api, options.chunkSize());
        this.tags = new TagList(api);
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
        return manifests.get(repo, tagOrDigest);
    }

    /** The descriptor of a manifest (HEAD), or empty when it does not exist. */
    public Optional<Descriptor> headManifest(String repo, String tagOrDigest) {
        return manifests.head(repo, tagOrDigest);
    }

    /**
     * The OCI 1.1 referrers index of {@code digest} ({@code GET /v2/NAME/referrers/DIGEST}), or empty when the
     * registry does not implement that API (404): then the distribution-spec's fallback tag {@code ALG-HEX} holds it.
     */
    public Optional<byte[]> referrers(String repo, Digest digest) {
        return manifests.referrers(repo, digest);
    }

    /** Uploads a manifest under a tag (or its digest); returns its descriptor. */
    public Descriptor putManifest(String repo, String tagOrDigest, byte[] bytes, String mediaType) {
        return manifests.put(repo, tagOrDigest, bytes, mediaType);
    }

    // ---- blobs ----------------------------------------------------------------------------------

    /**
     * Opens a blob, verified against {@code d}'s size and digest while it is read (IntegrityException at
     * the latest at EOF). A connection broken mid-body, or a body ending early, is resumed with a Range request
     * from the last byte received (a restart skipping those bytes when the registry ignores Range); a body that
     * cannot be resumed ends in a RegistryException naming the network problem.
     */
    public InputStream openBlob(String repo, Descriptor d) {
        return blobs.open(repo, d);
    }

    /** Reads a small blob (a config) whole, verified; refused beyond 4 MiB. */
    public byte[] readSmallBlob(String repo, Descriptor d) {
        return blobs.readSmall(repo, d);
    }

    /** True when the repository has the blob (HEAD). */
    public boolean blobExists(String repo, Digest digest) {
        return blobs.exists(repo, digest, RegistryApi.pull(repo));
    }

    /**
     * Asks the registry to mount {@code digest} from {@code fromRepo} (same host) without uploading it.
     * True when mounted; false when the registry declined (the upload session it opened is cancelled).
     */
    public boolean mountBlob(String repo, Digest digest, String fromRepo) {
        return blobs.mount(repo, digest, fromRepo, uploads);
    }

    /**
     * Uploads a blob unless the repository has it. Blobs up to the chunk size go in one PUT; larger ones in
     * PATCH chunks, streamed from {@code content} (opened again when the upload must restart).
     */
    public void uploadBlob(String repo, Descriptor d, IOSupplier<InputStream> content) {
        if (d.size() < 0) {
            throw new IllegalArgumentException("an upload needs the blob's size");
        }
        if (blobs.exists(repo, d.parsedDigest(), RegistryApi.push(repo))) {
            return;
        }
        uploads.upload(repo, d, content);
    }

    /**
     * Opens an upload session whose bytes are written while they are produced (see {@link BlobUpload}):
     * for a layer compressed and uploaded at once. The session opens in the background; its failure (like
     * any of the upload's) is not fatal to a push: upload the blob again with {@link #uploadBlob} from a
     * stored copy, which reports errors as usual.
     */
    public BlobUpload startStreamedUpload(String repo) {
        return new BlobUpload(this, transport, repo, () -> uploads.start(repo), readTimeout);
    }

    /** The PUT that ends a streamed upload: the registry checks the digest and commits the blob. */
    void finishStreamed(String repo, URI location, Digest digest) {
        uploads.finishAt(repo, location, digest);
    }

    void cancelUpload(String repo, URI location) {
        uploads.cancel(repo, location);
    }

    // ---- login and tags -------------------------------------------------------------------------

    /**
     * Checks this client's credentials with one authenticated round trip: a token fetch (Bearer) or a
     * Basic-authenticated {@code GET /v2/}. Wrong credentials are an {@link AuthException};
     * a registry that needs no authentication passes.
     */
    public void checkLogin() {
        URI uri = transport.base().resolve("/v2/");
        try (Response resp = transport.send(RegistryApi.request("GET", uri, Map.of(), List.of(), null))) {
            if (resp.status() == 401 || resp.status() == 403) {
                throw new AuthException("wrong username or password for " + displayHost);
            }
            if (resp.status() != 200) {
                throw transport.unexpected(resp, "login to " + displayHost, null);
            }
        }
    }

    /** All tags of a repository, following {@code Link: <...>; rel="next"} pagination. */
    public List<String> listTags(String repo) {
        return listTags(repo, 0);
    }

    /** As {@link #listTags(String)}, asking for {@code pageSize} tags per page (0: the registry's default). */
    public List<String> listTags(String repo, int pageSize) {
        return tags.list(repo, pageSize);
    }

    @Override
    public void close() {
        transport.close();
    }
}
