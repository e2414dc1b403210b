package io.krgo.registry;

import io.krgo.error.UsageException;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One TLS context whose trust and client certificates depend on the host being talked to: the JDK's trust
 * store, the configured CA files, plus the host's own certs.d CAs; the host's certs.d client pairs, plus the
 * configured one. Per-host managers behind one context keep one HttpClient (and its connection pool) for a
 * registry and for the hosts it redirects to, each checked against its own trust.
 */
final class HostTls {
    private final TlsConfig config;
    /** Trust managers by the host files they add to the common set ("" for none). */
    private final Map<List<Path>, X509ExtendedTrustManager> trust = new ConcurrentHashMap<>();
    private final Map<String, HostFiles> files = new ConcurrentHashMap<>();
    private final ClientKeys keys = new ClientKeys(this);
    private volatile List<X509Certificate> common;

    /** A host's certs.d content: CA files and client pairs. */
    record HostFiles(List<Path> caFiles, List<ClientKeys.Pair> clientPairs) {
    }

    HostTls(TlsConfig config) {
        this.config = config;
    }

    TlsConfig config() {
        return config;
    }

    SSLContext context() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new KeyManager[] {keys}, new TrustManager[] {new HostTrustManager()}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JDK", e);
        }
    }

    /** True when {@code authority} asked for a client certificate in a handshake and krgo had none that fits. */
    boolean clientCertificateMissing(String authority) {
        return keys.askedInVain(authority);
    }

    /** Reads {@code authority}'s files now, so a broken one is reported as itself rather than as a failed handshake. */
    void prepare(String authority) {
        HostFiles f = hostFiles(authority);
        trustManager(f.caFiles());
        keys.configured();
    }

    /** The certs.d content for {@code host:port} (and for {@code host}), read once. */
    HostFiles hostFiles(String authority) {
        return files.computeIfAbsent(authority, a -> {
            List<Path> cas = new ArrayList<>();
            List<ClientKeys.Pair> pairs = new ArrayList<>();
            for (Path dir : config.hostDirs(a)) {
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                for (Path p : list(dir)) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(".crt")) {
                        cas.add(p);
                    } else if (name.endsWith(".cert")) {
                        Path key = p.resolveSibling(name.substring(0, name.length() - ".cert".length()) + ".key");
                        if (!Files.isRegularFile(key)) {
                            throw new UsageException("client certificate " + p + " has no key " + key.getFileName()
                                    + " beside it (CA certificates end in .crt)");
                        }
                        pairs.add(ClientKeys.Pair.load(p, key));
                    } else if (name.endsWith(".key")) {
                        Path cert = p.resolveSibling(name.substring(0, name.length() - ".key".length()) + ".cert");
                        if (!Files.isRegularFile(cert)) {
                            throw new UsageException("client key " + p + " has no certificate " + cert.getFileName()
                                    + " beside it");
                        }
                    }
                }
            }
            return new HostFiles(List.copyOf(cas), List.copyOf(pairs));
        });
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UsageException("cannot read " + dir + ": " + e.getMessage());
        }
    }

    /** Where a CA for {@code authority} would be picked up, for messages; null without certs.d roots. */
    String caHint(String authority) {
        List<Path> dirs = config.hostDirs(authority);
        return dirs.isEmpty() ? null : dirs.get(0) + "/*.crt";
    }

    private X509ExtendedTrustManager trustManager(List<Path> hostCas) {
        return trust.computeIfAbsent(hostCas, cas -> {
            try {
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                int i = 0;
                for (X509Certificate c : commonCertificates()) {
                    ks.setCertificateEntry("common-" + i++, c);
                }
                for (Path f : cas) {
                    for (X509Certificate c : PemFiles.certificates(f)) {
                        ks.setCertificateEntry("host-" + i++, c);
                    }
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
                tmf.init(ks);
                for (TrustManager tm : tmf.getTrustManagers()) {
                    if (tm instanceof X509ExtendedTrustManager x) {
                        return x;
                    }
                }
                throw new IllegalStateException("the JDK has no X509ExtendedTrustManager");
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("cannot set up TLS trust: " + e.getMessage(), e);
            }
        });
    }

    /** The JDK's default trust anchors, the CA files and the CA directories' certificates; read once. */
    private List<X509Certificate> commonCertificates() throws GeneralSecurityException {
        List<X509Certificate> c = common;
        if (c != null) {
            return c;
        }
        List<X509Certificate> all = new ArrayList<>();
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                all.addAll(List.of(x.getAcceptedIssuers()));
            }
        }
        for (Path f : config.caFiles()) {
            if (Files.isRegularFile(f) || !isSystemDefault(f)) {
                all.addAll(PemFiles.certificates(f));
            }
        }
        for (Path d : config.caDirs()) {
            if (Files.isDirectory(d)) {
                for (Path f : list(d)) {
                    try {
                        all.addAll(PemFiles.certificates(f));
                    } catch (UsageException notACertificate) {
                        // as Go's SSL_CERT_DIR: files that are not certificates are skipped
                    }
                }
            }
        }
        common = List.copyOf(all);
        return common;
    }

    /** The system bundle may be absent (no ca-certificates package); an explicit --ca-file may not. */
    private boolean isSystemDefault(Path f) {
        return f.endsWith("etc/ssl/certs/ca-certificates.crt");
    }

    /** {@code host:port} of the peer an engine talks to, IPv6 literals in brackets. */
    static String authority(String host, int port) {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (h.indexOf(':') >= 0) {
            // The engine may see the expanded form (0:0:0:0:0:0:0:1); references and certs.d write [::1].
            h = "[" + compressedIpv6(h) + "]";
        }
        return port > 0 ? h + ":" + port : h;
    }

    /** An IPv6 literal in RFC 5952's form: lower case, no leading zeros, the longest run of zero groups as "::". */
    static String compressedIpv6(String literal) {
        byte[] b = ProxySelection.ipLiteral(literal);
        if (b == null || b.length != 16) {
            return literal.toLowerCase(java.util.Locale.ROOT);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLen - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(g[i]));
        }
        return out.toString();
    }

    /** Checks a server's chain against the host's trust; failures become {@link TlsFailure.Untrusted}. */
    private final class HostTrustManager extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            String authority = authority(engine.getPeerHost(), engine.getPeerPort());
            X509ExtendedTrustManager tm = trustManager(hostFiles(authority).caFiles());
            checkDates(chain, authority);
            try {
                tm.checkServerTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                throw TlsFailure.untrusted(authority, chain, e, caHint(TlsFailure.shownAuthority(authority)));
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            String authority = socket instanceof SSLSocket s && s.getHandshakeSession() != null
                    ? authority(s.getHandshakeSession().getPeerHost(), s.getHandshakeSession().getPeerPort())
                    : authority(socket.getInetAddress().getHostAddress(), socket.getPort());
            checkDates(chain, authority);
            trustManager(hostFiles(authority).caFiles()).checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trustManager(List.of()).checkServerTrusted(chain, authType);
        }

        private void checkDates(X509Certificate[] chain, String authority) throws CertificateException {
            try {
                chain[0].checkValidity();
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                throw TlsFailure.untrusted(authority, chain, e, caHint(TlsFailure.shownAuthority(authority)));
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("krgo is a TLS client only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("krgo is a TLS client only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("krgo is a TLS client only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return commonCertificates().toArray(new X509Certificate[0]);
            } catch (GeneralSecurityException e) {
                return new X509Certificate[0];
            }
        }
    }
}
