package io.krgo.registry;

import java.net.URI;
import java.net.http.HttpClient;

/**
 * The HttpClients of one registry's transport, built on first use: one for TLS (trust and client
 * certificates per host, see {@link HostTls}; unverified with {@code insecure}) and one for plain HTTP, which
 * never loads TLS (its default setup costs ~0.2 s).
 */
final class HttpClients implements AutoCloseable {
    private final String host;
    private final RegistryOptions options;
    /** Null when the JDK's defaults will do, or when insecure. */
    private final HostTls hostTls;
    /** Null without proxies. */
    private final ProxySelection proxies;
    private final Object lock = new Object();
    private volatile HttpClient tlsClient;
    private volatile HttpClient plainClient;

    HttpClients(String host, RegistryOptions options) {
        this.host = host;
        this.options = options;
        this.hostTls = options.insecure() || options.tls().jdkDefaultsOnly() ? null : new HostTls(options.tls());
        this.proxies = options.proxies().isNone() ? null : new ProxySelection(options.proxies(),
                Boolean.getBoolean(RegistryClient.HTTP_LOG_PROPERTY)
                        ? line -> System.getLogger("io.krgo.http").log(System.Logger.Level.DEBUG, line) : null);
    }

    /** The proxy {@code uri} goes through, or null for a direct connection. */
    ProxySelection.Endpoint proxyFor(URI uri) {
        return proxies == null ? null : proxies.endpointFor(uri);
    }

    /** Where a CA for {@code authority} would be picked up, or null. */
    String caHint(String authority) {
        return hostTls == null ? null : hostTls.caHint(authority);
    }

    /** True when {@code authority} asked for a client certificate and krgo had none to present. */
    boolean clientCertificateMissing(String authority) {
        if (hostTls == null || authority == null) {
            return false;
        }
        // The engine names the port always; a URI leaves out the default one.
        return hostTls.clientCertificateMissing(authority)
                || (!authority.matches(".*:\\d+") && hostTls.clientCertificateMissing(authority + ":443"));
    }

    /** The client for {@code uri}. */
    HttpClient forUri(URI uri) {
        boolean tls = !"http".equalsIgnoreCase(uri.getScheme());
        HttpClient c = tls ? tlsClient : plainClient;
        if (c == null) {
            synchronized (lock) {
                c = tls ? tlsClient : plainClient;
                if (c == null) {
                    // Created on first use: building an HttpClient costs start-up time that "krgo --help" should not pay.
                    HttpClient.Builder builder = HttpClient.newBuilder();
                    if (!tls) {
                        // Explicit parameters too: the client would otherwise ask the context for its defaults.
                        builder.sslContext(new NoTls()).sslParameters(new javax.net.ssl.SSLParameters());
                    } else if (options.insecure()) {
                        builder.sslContext(InsecureTls.context());
                    } else if (hostTls != null) {
                        // The registry's own files first, so a broken one is reported as such, not as a handshake failure.
                        hostTls.prepare(host);
                        builder.sslContext(hostTls.context());
                    }
                    if (proxies != null) {
                        builder.proxy(proxies);
                        if (proxies.hasCredentials()) {
                            builder.authenticator(proxies.authenticator());
                        }
                    }
                    c = builder
                            .followRedirects(HttpClient.Redirect.NEVER)
                            .connectTimeout(options.connectTimeout())
                            .version(HttpClient.Version.HTTP_1_1)
                            .build();
                    if (tls) {
                        tlsClient = c;
                    } else {
                        plainClient = c;
                    }
                }
            }
        }
        return c;
    }

    /**
     * The SSL context of the client that only ever speaks plain HTTP: the JDK's HttpClient insists on one,
     * but any real one costs start-up (the default loads the system trust store; even an empty JSSE context
     * initialises the TLS provider, ~30 ms). This one has no TLS at all and is never used for a connection.
     */
    private static final class NoTls extends javax.net.ssl.SSLContext {
        NoTls() {
            super(new NoTlsSpi(), null, "none");
        }
    }

    private static final class NoTlsSpi extends javax.net.ssl.SSLContextSpi {
        private static UnsupportedOperationException noTls() {
            return new UnsupportedOperationException("TLS on the plain-HTTP client");
        }

        @Override
        protected void engineInit(javax.net.ssl.KeyManager[] km, javax.net.ssl.TrustManager[] tm,
                                  java.security.SecureRandom random) {
            throw noTls();
        }

        @Override
        protected javax.net.ssl.SSLSocketFactory engineGetSocketFactory() {
            throw noTls();
        }

        @Override
        protected javax.net.ssl.SSLServerSocketFactory engineGetServerSocketFactory() {
            throw noTls();
        }

        @Override
        protected javax.net.ssl.SSLEngine engineCreateSSLEngine() {
            throw noTls();
        }

        @Override
        protected javax.net.ssl.SSLEngine engineCreateSSLEngine(String host, int port) {
            throw noTls();
        }

        @Override
        protected javax.net.ssl.SSLSessionContext engineGetServerSessionContext() {
            throw noTls();
        }

        @Override
        protected javax.net.ssl.SSLSessionContext engineGetClientSessionContext() {
            throw noTls();
        }
    }

    @Override
    public void close() {
        for (HttpClient c : new HttpClient[] {tlsClient, plainClient}) {
            closeClient(c);
        }
        tlsClient = null;
        plainClient = null;
    }

    private static void closeClient(HttpClient c) {
        // HttpClient is AutoCloseable from JDK 21; on 17 its threads end when it is unreachable. close() waits
        // for exchanges still running (e.g. a body nobody read to the end), so abort those first.
        if (c instanceof AutoCloseable closeable) {
            try {
                HttpClient.class.getMethod("shutdownNow").invoke(c);
                closeable.close();
            } catch (Exception ignored) {
                // nothing left to release
            }
        }
    }
}
