package io.krgo.registry;

import java.time.Duration;
import java.util.Objects;

/**
 * How to talk to a registry.
 *
 * @param credentials    explicit credentials ({@code -u}/{@code --password-stdin}), or null to look them up
 *                       in the Docker config
 * @param insecure       allow plain HTTP to a non-loopback host
 * @param retry          retry policy for transient failures
 * @param userAgent      User-Agent header value
 * @param connectTimeout TCP/TLS connect timeout
 * @param readTimeout    longest wait for response headers or for the next bytes of a body
 * @param chunkSize      blobs larger than this are uploaded in PATCH chunks of this size
 * @param plainHttpOnLoopback a loopback host (127.0.0.0/8, ::1, localhost as written) may speak plain HTTP without
 *                       {@code insecure}, as a local test registry usually does: it is asked over plain HTTP first,
 *                       and over HTTPS (verified) when it answers as a TLS server (see {@code Ping}); true by
 *                       default. False treats a loopback host like any other: HTTPS only.
 * @param tls            CAs and client certificates beyond the JDK's trust store ({@link TlsConfig#JDK_DEFAULTS}
 *                       by default; {@code TlsConfig.system(ConfigLocations.fromSystem())} reads the machine's, as the CLI does)
 * @param proxies        HTTP(S) proxies ({@link ProxyConfig#NONE} by default; {@code ProxyConfig.fromEnvironment(System.getenv())}
 *                       as the CLI does)
 */
public record RegistryOptions(Credentials credentials, boolean insecure, RetryPolicy retry, String userAgent,
                              Duration connectTimeout, Duration readTimeout, long chunkSize,
                              boolean plainHttpOnLoopback, TlsConfig tls, ProxyConfig proxies) {

    /**
     * Blobs up to 1 GiB go in one streamed PUT (docker, too, sends a blob in one request): fewer round
     * trips and registry-side appends; a 100 MB layer to a local distribution registry took 2.3-2.6 s
     * instead of 2.6-3.1 s with 16 MiB PATCH chunks (push of a committed layer, A/B alternated).
     * Larger blobs go in chunks of this size.
     */
    public static final long DEFAULT_CHUNK_SIZE = 1024L * 1024 * 1024;

    public RegistryOptions {
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(userAgent, "userAgent");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(proxies, "proxies");
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be positive");
        }
    }

    public RegistryOptions(Credentials credentials, boolean insecure, RetryPolicy retry, String userAgent,
                           Duration connectTimeout, Duration readTimeout, long chunkSize) {
        this(credentials, insecure, retry, userAgent, connectTimeout, readTimeout, chunkSize, true,
                TlsConfig.JDK_DEFAULTS, ProxyConfig.NONE);
    }

    public RegistryOptions(Credentials credentials, boolean insecure, RetryPolicy retry, String userAgent) {
        this(credentials, insecure, retry, userAgent, Duration.ofSeconds(30), Duration.ofSeconds(60), DEFAULT_CHUNK_SIZE);
    }

    public static RegistryOptions defaults() {
        return new RegistryOptions(null, false, RetryPolicy.DEFAULT, "krgo");
    }

    public RegistryOptions withCredentials(Credentials c) {
        return new RegistryOptions(c, insecure, retry, userAgent, connectTimeout, readTimeout, chunkSize, plainHttpOnLoopback, tls, proxies);
    }

    public RegistryOptions withInsecure(boolean allow) {
        return new RegistryOptions(credentials, allow, retry, userAgent, connectTimeout, readTimeout, chunkSize, plainHttpOnLoopback, tls, proxies);
    }

    public RegistryOptions withRetry(RetryPolicy r) {
        return new RegistryOptions(credentials, insecure, r, userAgent, connectTimeout, readTimeout, chunkSize, plainHttpOnLoopback, tls, proxies);
    }

    public RegistryOptions withTimeouts(Duration connect, Duration read) {
        return new RegistryOptions(credentials, insecure, retry, userAgent, connect, read, chunkSize, plainHttpOnLoopback, tls, proxies);
    }

    public RegistryOptions withChunkSize(long size) {
        return new RegistryOptions(credentials, insecure, retry, userAgent, connectTimeout, readTimeout, size, plainHttpOnLoopback, tls, proxies);
    }

    /** See {@code plainHttpOnLoopback}; false makes a loopback registry need HTTPS (or {@code insecure}) like any other. */
    public RegistryOptions withPlainHttpOnLoopback(boolean allow) {
        return new RegistryOptions(credentials, insecure, retry, userAgent, connectTimeout, readTimeout, chunkSize, allow, tls, proxies);
    }

    /** These options with {@code config}'s CAs and client certificates. */
    public RegistryOptions withTls(TlsConfig config) {
        return new RegistryOptions(credentials, insecure, retry, userAgent, connectTimeout, readTimeout, chunkSize,
                plainHttpOnLoopback, config, proxies);
    }

    /** These options with {@code config}'s proxies. */
    public RegistryOptions withProxies(ProxyConfig config) {
        return new RegistryOptions(credentials, insecure, retry, userAgent, connectTimeout, readTimeout, chunkSize,
                plainHttpOnLoopback, tls, config);
    }
}
