package io.krgo.cli;

import io.krgo.error.UsageException;
import io.krgo.registry.ConfigLocations;
import io.krgo.registry.ProxyConfig;
import io.krgo.registry.RegistryOptions;
import io.krgo.registry.RetryPolicy;
import io.krgo.registry.TlsConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS, retry and timeout flags of the commands that talk to a registry, and the machine's network configuration
 * they add to: certs.d directories, the system CA bundle, HTTP(S)_PROXY/NO_PROXY.
 */
final class NetworkFlags {
    @Option(names = "--retries", paramLabel = "N",
            description = "Retry a request that failed for a reason that may pass (a timeout, a broken connection,"
                    + " 408, 429, 5xx) up to N times, with growing pauses (default: 4; 0: never). A registry's"
                    + " Retry-After is honoured; all tries of one request stop after 2 minutes.")
    Integer retries;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Longest wait to connect and for the next bytes of an answer, e.g. 30s, 2m, 1m30s"
                    + " (default: 30s to connect, 60s for an answer).")
    String timeout;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "Trust the CA certificates (PEM) in FILE for this run, besides the system's and the"
                    + " registry's certs.d directory (repeatable).")
    List<Path> caFiles = new ArrayList<>();

    @Option(names = "--cert", paramLabel = "FILE",
            description = "Client certificate (PEM) for registries that ask for one (mutual TLS); needs --key.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE",
            description = "Private key (PEM: PKCS#1, PKCS#8 or SEC1; RSA or EC) of --cert.")
    Path key;

    /** {@code options} with the machine's TLS and proxy configuration and these flags. */
    RegistryOptions apply(RegistryOptions options) {
        if ((cert == null) != (key == null)) {
            throw new UsageException(cert == null ? "--key needs --cert" : "--cert needs --key");
        }
        ConfigLocations locations = ConfigLocations.fromSystem();
        TlsConfig tls = TlsConfig.system(locations).withCaFiles(caFiles);
        if (cert != null) {
            tls = tls.withClientCertificate(cert, key);
        }
        ProxyConfig proxies = ProxyConfig.fromEnvironment(locations.env());
        allowBasicForProxyTunnels(proxies);
        return withTransportFlags(options.withTls(tls).withProxies(proxies));
    }

    /** {@code options} with {@code --retries} and {@code --timeout} when given. */
    RegistryOptions withTransportFlags(RegistryOptions options) {
        RegistryOptions o = options;
        if (retries != null) {
            if (retries < 0) {
                throw new UsageException("--retries must be 0 or more, not " + retries);
            }
            RetryPolicy p = o.retry();
            o = o.withRetry(new RetryPolicy(retries + 1, p.baseDelay(), p.maxTotal()));
        }
        if (timeout != null) {
            Duration d = FlagValues.duration("--timeout", timeout);
            o = o.withTimeouts(d, d);
        }
        return o;
    }

    /**
     * The JDK refuses Basic authentication to a proxy for CONNECT tunnels unless this system property says
     * otherwise; it reads it once, at the first HTTP exchange. The CLI owns its process, so it allows Basic
     * when a proxy URL carries credentials (the user asked for exactly that). Library users decide for themselves.
     */
    private static void allowBasicForProxyTunnels(ProxyConfig proxies) {
        String key = "jdk.http.auth.tunneling.disabledSchemes";
        if (System.getProperty(key) == null && (hasUserInfo(proxies.httpsProxy()) || hasUserInfo(proxies.httpProxy()))) {
            System.setProperty(key, "");
        }
    }

    private static boolean hasUserInfo(String url) {
        return url != null && url.replaceFirst("^[a-zA-Z]+://", "").matches("[^/]*@.*");
    }
}
