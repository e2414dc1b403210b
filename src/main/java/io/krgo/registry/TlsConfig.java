package io.krgo.registry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What krgo trusts and presents over TLS, beyond the JDK's default trust store (always trusted).
 *
 * @param certsDirs  certs.d roots: for a registry {@code HOST[:PORT]}, {@code ROOT/HOST:PORT/} and {@code ROOT/HOST/}
 *                   give CAs ({@code *.crt}) and client certificates ({@code NAME.cert} + {@code NAME.key})
 * @param caFiles    PEM files of CAs trusted for every host (the system bundle, {@code --ca-file})
 * @param caDirs     directories whose PEM files are CAs trusted for every host ({@code SSL_CERT_DIR})
 * @param clientCert a client certificate (PEM, may hold its chain) presented to any host that asks; or null
 * @param clientKey  its private key (PEM: PKCS#1, PKCS#8 or SEC1, RSA or EC); null exactly when clientCert is
 */
public record TlsConfig(List<Path> certsDirs, List<Path> caFiles, List<Path> caDirs, Path clientCert, Path clientKey) {
    /** The JDK's default trust store only, no client certificate. */
    public static final TlsConfig JDK_DEFAULTS = new TlsConfig(List.of(), List.of(), List.of(), null, null);

    public TlsConfig {
        certsDirs = List.copyOf(certsDirs);
        caFiles = List.copyOf(caFiles);
        caDirs = List.copyOf(caDirs);
        if ((clientCert == null) != (clientKey == null)) {
            throw new IllegalArgumentException("a client certificate needs its key, and a key its certificate");
        }
    }

    /** The machine's configuration: certs.d directories and the system CA bundle ({@code SSL_CERT_FILE/DIR}). */
    public static TlsConfig system(ConfigLocations locations) {
        return new TlsConfig(locations.certsDirs(), locations.systemCaFiles(), locations.systemCaDirs(), null, null);
    }

    /** This configuration with {@code files} trusted as CAs for every host, too. */
    public TlsConfig withCaFiles(List<Path> files) {
        List<Path> all = new ArrayList<>(caFiles);
        all.addAll(files);
        return new TlsConfig(certsDirs, all, caDirs, clientCert, clientKey);
    }

    /** This configuration presenting {@code cert} (with {@code key}) to any host that asks for a client certificate. */
    public TlsConfig withClientCertificate(Path cert, Path key) {
        return new TlsConfig(certsDirs, caFiles, caDirs, Objects.requireNonNull(cert), Objects.requireNonNull(key));
    }

    /** True when nothing but the JDK's defaults is configured (its cheaper default context will do). */
    public boolean jdkDefaultsOnly() {
        return certsDirs.isEmpty() && caFiles.isEmpty() && caDirs.isEmpty() && clientCert == null;
    }

    /** The directories for {@code authority} ({@code HOST} or {@code HOST:PORT}) under every certs.d root, in order. */
    public List<Path> hostDirs(String authority) {
        List<Path> out = new ArrayList<>();
        String bare = hostOnly(authority);
        for (Path root : certsDirs) {
            out.add(root.resolve(authority));
            if (!bare.equals(authority)) {
                out.add(root.resolve(bare));
            }
        }
        return out;
    }

    /** {@code host:port} → {@code host}; {@code [::1]:5000} → {@code [::1]}. */
    static String hostOnly(String authority) {
        int close = authority.lastIndexOf(']');
        int colon = authority.lastIndexOf(':');
        if (authority.startsWith("[")) {
            return close < 0 ? authority : authority.substring(0, close + 1);
        }
        return colon >= 0 && colon == authority.indexOf(':') ? authority.substring(0, colon) : authority;
    }
}
