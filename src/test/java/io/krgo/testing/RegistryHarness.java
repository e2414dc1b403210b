package io.krgo.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A real registry (Debian's {@code docker-registry}, distribution 2.8) on a free loopback port, with its
 * storage in a temp directory. Modes: anonymous, Basic (htpasswd bcrypt) or token auth (a small token
 * issuer in this JVM signing RS256 JWTs, see {@link TokenIssuer}). Close it to stop the process and delete
 * its files.
 */
public final class RegistryHarness implements AutoCloseable {

    public enum Mode { ANONYMOUS, BASIC, TOKEN }

    public static final String USERNAME = "krgo";
    public static final String PASSWORD = "s3cret-pass";

    private final Mode mode;
    private final Path dir;
    private final ServerProcess process;
    private final String bindHost;
    private final int port;
    private final boolean tls;
    private final Path logFile;
    private final TokenIssuer issuer;

    private RegistryHarness(Mode mode, Path dir, Process process, String bindHost, int port, boolean tls, Path logFile,
                            TokenIssuer issuer) {
        this.bindHost = bindHost;
        this.tls = tls;
        this.mode = mode;
        this.dir = dir;
        this.process = new ServerProcess("docker-registry", process);
        this.port = port;
        this.logFile = logFile;
        this.issuer = issuer;
    }

    /** A registry on 127.0.0.1 (plain HTTP, which krgo allows for loopback hosts). */
    public static RegistryHarness start(Mode mode) {
        return start(mode, "127.0.0.1", false);
    }

    /**
     * A registry on 127.0.0.1 serving HTTPS with a self-signed certificate (made by openssl, valid for
     * IP 127.0.0.1) that nobody trusts, to test certificate verification and {@code insecure}. Clients must
     * set {@code RegistryOptions.withPlainHttpOnLoopback(false)} to treat it like a remote registry.
     */
    public static RegistryHarness startTls(Mode mode) {
        return start(mode, "127.0.0.1", true);
    }

    /**
     * An anonymous registry in distribution's proxy mode: a real pull-through cache of {@code origin} (which
     * must be an anonymous plain-HTTP harness), as a docker.io mirror would be.
     */
    public static RegistryHarness startPullThroughCache(RegistryHarness origin) {
        return start(Mode.ANONYMOUS, "127.0.0.1", false, "proxy:\n  remoteurl: http://" + origin.host() + "\n");
    }

    /**
     * A registry on 127.0.0.1 serving HTTPS with {@code cert}/{@code key} (e.g. from {@link TestPki}); with
     * {@code clientCas}, it refuses clients without a certificate signed by one of those CAs
     * ({@code http.tls.clientcas}).
     */
    public static RegistryHarness startTls(Mode mode, Path cert, Path key, Path clientCas) {
        String tlsConfig = "  tls:\n    certificate: " + cert + "\n    key: " + key + "\n"
                + (clientCas == null ? "" : "    clientcas:\n      - " + clientCas + "\n");
        return start(mode, "127.0.0.1", true, "", tlsConfig, clientCas != null);
    }

    /** A plain-HTTP registry on the IPv6 loopback address: {@link #host()} is {@code [::1]:PORT}. */
    public static RegistryHarness startOnIpv6Loopback(Mode mode) {
        return start(mode, "::1", false);
    }

    /**
     * As {@link #startTls(Mode, Path, Path, Path)} on {@code ::1}.
     */
    public static RegistryHarness startTlsOnIpv6Loopback(Mode mode, Path cert, Path key) {
        String tlsConfig = "  tls:\n    certificate: " + cert + "\n    key: " + key + "\n";
        return start(mode, "::1", true, "", tlsConfig, false);
    }

    /** The registry's address under another name for 127.0.0.1, e.g. {@link TestHosts#REGISTRY}: {@code NAME:PORT}. */
    public String hostAs(String name) {
        return name + ":" + port;
    }

    private static RegistryHarness start(Mode mode, String bindHost, boolean tls) {
        return start(mode, bindHost, tls, "");
    }

    private static RegistryHarness start(Mode mode, String bindHost, boolean tls, String extraConfig) {
        return start(mode, bindHost, tls, extraConfig, null, false);
    }

    private static RegistryHarness start(Mode mode, String bindHost, boolean tls, String extraConfig,
                                         String givenTlsConfig, boolean clientCertificates) {
        Path exe = Tools.require("docker-registry", "docker-registry");
        Path dir = null;
        TokenIssuer issuer = null;
        try {
            dir = Files.createTempDirectory("krgo-registry");
            String auth = "";
            if (mode == Mode.BASIC) {
                Tools.require("htpasswd", "apache2-utils");
                String line = Tools.run(List.of("htpasswd", "-Bbn", USERNAME, PASSWORD)).trim();
                Path htpasswd = dir.resolve("htpasswd");
                Files.writeString(htpasswd, line + "\n");
                auth = "auth:\n  htpasswd:\n    realm: krgo-test\n    path: " + htpasswd + "\n";
            } else if (mode == Mode.TOKEN) {
                issuer = TokenIssuer.start(dir, USERNAME, PASSWORD);
                auth = "auth:\n  token:\n    realm: " + issuer.realm() + "\n    service: " + TokenIssuer.SERVICE
                        + "\n    issuer: " + TokenIssuer.ISSUER + "\n    rootcertbundle: " + issuer.certificate() + "\n";
            }
            int port = freePort(bindHost);
            String tlsConfig = "";
            if (givenTlsConfig != null) {
                tlsConfig = givenTlsConfig;
            } else if (tls) {
                Tools.require("openssl", "openssl");
                Path key = dir.resolve("tls.key");
                Path crt = dir.resolve("tls.crt");
                Tools.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                        "-out", crt.toString(), "-days", "2", "-subj", "/CN=krgo-test-registry",
                        "-addext", "subjectAltName=IP:" + bindHost));
                tlsConfig = "  tls:\n    certificate: " + crt + "\n    key: " + key + "\n";
            }
            String config = "version: 0.1\n"
                    + "log:\n  level: info\n  accesslog:\n    disabled: false\n  fields:\n    service: registry\n"
                    + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("storage") + "\n"
                    + "  delete:\n    enabled: true\n"
                    + "  maintenance:\n    uploadpurging:\n      enabled: false\n"
                    + "http:\n  addr: \"" + bracketed(bindHost) + ":" + port + "\"\n  secret: krgo-test-secret\n"
                    + tlsConfig
                    + "  headers:\n    X-Content-Type-Options: [nosniff]\n"
                    + auth
                    + extraConfig;
            Path configFile = dir.resolve("config.yml");
            Files.writeString(configFile, config);
            Path log = dir.resolve("registry.log");
            Process p = new ProcessBuilder(exe.toString(), "serve", configFile.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            RegistryHarness h = new RegistryHarness(mode, dir, p, bindHost, port, tls, log, issuer);
            if (clientCertificates) {
                h.awaitListening(); // the HTTP probe has no client certificate to pass the handshake with
            } else {
                h.awaitReady();
            }
            return h;
        } catch (IOException e) {
            cleanup(issuer, dir);
            throw new AssertionError("cannot start the test registry: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            cleanup(issuer, dir);
            throw e;
        }
    }

    private static String bracketed(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    private static void cleanup(TokenIssuer issuer, Path dir) {
        if (issuer != null) {
            issuer.close();
        }
        Tools.deleteTree(dir);
    }

    public static int freePort(String bindHost) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(bindHost, 0));
            return s.getLocalPort();
        }
    }

    private void awaitReady() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).sslContext(trustAll()).build();
        URI ping = URI.create((tls ? "https" : "http") + "://" + host() + "/v2/");
        process.awaitReady("answer /v2/", Duration.ofSeconds(15), () -> {
            int status = client.send(HttpRequest.newBuilder(ping).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            return status == 200 || status == 401;
        }, this::log, this::close);
    }

    private void awaitListening() {
        process.awaitReady("listen", Duration.ofSeconds(15), ServerProcess.listening(bindHost, port), this::log,
                this::close);
    }

    /** Only for the readiness probe: the test certificate is deliberately untrusted. */
    private static javax.net.ssl.SSLContext trustAll() {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            // Extended, or the JDK adds a host-name check (and certificates for other names never look ready).
            ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509ExtendedTrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a, java.net.Socket s) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a, java.net.Socket s) {
                }

                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public Mode mode() {
        return mode;
    }

    /** {@code 127.0.0.1:PORT}. */
    public String host() {
        return bracketed(bindHost) + ":" + port;
    }

    public boolean tls() {
        return tls;
    }

    public int port() {
        return port;
    }

    public String username() {
        return USERNAME;
    }

    public String password() {
        return PASSWORD;
    }

    /** {@code user:pass} for skopeo's --creds options; null in anonymous mode. */
    public String creds() {
        return mode == Mode.ANONYMOUS ? null : USERNAME + ":" + PASSWORD;
    }

    /** The token service in {@link Mode#TOKEN}; null otherwise. */
    public TokenIssuer tokenIssuer() {
        return issuer;
    }

    /** The registry's combined log (application and access log). */
    /**
     * True when the registry's own storage holds the blob (not merely reachable through it: a
     * pull-through cache answers for blobs it is still fetching from its origin).
     */
    public boolean storesBlob(String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return java.nio.file.Files.isRegularFile(dir.resolve("storage/docker/registry/v2/blobs/sha256")
                .resolve(hex.substring(0, 2)).resolve(hex).resolve("data"));
    }

    public Path logFile() {
        return logFile;
    }

    public String log() {
        try {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * How many requests with this method whose path matches {@code pathRegex} the access log shows
     * (e.g. {@code countRequests("GET", "/v2/a/blobs/sha256:.*")}).
     */
    public long countRequests(String method, String pathRegex) {
        // access log lines look like: 127.0.0.1 - - [date] "GET /v2/x/blobs/sha256:... HTTP/1.1" 200 ...
        Pattern p = Pattern.compile("\"" + Pattern.quote(method) + " (" + pathRegex + ") HTTP/[0-9.]+\"");
        return log().lines().filter(l -> p.matcher(l).find()).count();
    }

    @Override
    public void close() {
        process.stop();
        if (issuer != null) {
            issuer.close();
        }
        Tools.deleteTree(dir);
    }
}
