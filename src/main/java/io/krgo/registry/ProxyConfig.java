package io.krgo.registry;

import java.util.Map;

/**
 * HTTP(S) proxies as Go's {@code ProxyFromEnvironment} (docker, skopeo, crane) reads them.
 *
 * @param httpProxy  proxy for {@code http://} requests ({@code HTTP_PROXY}), or null
 * @param httpsProxy proxy for {@code https://} requests ({@code HTTPS_PROXY}; tunnelled with CONNECT), or null
 * @param noProxy    hosts reached directly ({@code NO_PROXY}): comma-separated host names (suffixes),
 *                   {@code .domain}, {@code *.domain}, IP addresses, CIDRs, each with an optional {@code :port};
 *                   {@code *} for all. Loopback hosts are never proxied.
 */
public record ProxyConfig(String httpProxy, String httpsProxy, String noProxy) {
    public static final ProxyConfig NONE = new ProxyConfig(null, null, null);

    public ProxyConfig {
        httpProxy = blankToNull(httpProxy);
        httpsProxy = blankToNull(httpsProxy);
        noProxy = blankToNull(noProxy);
    }

    /** From {@code HTTP_PROXY}, {@code HTTPS_PROXY}, {@code NO_PROXY}, the upper-case form first, as Go does. */
    public static ProxyConfig fromEnvironment(Map<String, String> env) {
        return new ProxyConfig(any(env, "HTTP_PROXY", "http_proxy"), any(env, "HTTPS_PROXY", "https_proxy"),
                any(env, "NO_PROXY", "no_proxy"));
    }

    public boolean isNone() {
        return httpProxy == null && httpsProxy == null;
    }

    private static String any(Map<String, String> env, String upper, String lower) {
        String v = blankToNull(env.get(upper));
        return v != null ? v : blankToNull(env.get(lower));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** Never shows a proxy's password. */
    @Override
    public String toString() {
        return "ProxyConfig[http=" + ProxySelection.redact(httpProxy) + ", https=" + ProxySelection.redact(httpsProxy)
                + ", noProxy=" + noProxy + "]";
    }
}
