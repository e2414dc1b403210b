package io.krgo.registry;

import io.krgo.error.AuthException;
import io.krgo.error.UsageException;

import java.io.IOException;
import java.math.BigInteger;
import java.net.Authenticator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Which proxy a request goes through, with the semantics of Go's {@code httpproxy.FromEnvironment}:
 * {@code https://} URLs use the HTTPS proxy (CONNECT tunnel), {@code http://} URLs the HTTP proxy;
 * {@code localhost} and loopback addresses never use one; NO_PROXY entries match a host name and its
 * subdomains ({@code example.com}), only subdomains ({@code .example.com}, {@code *.example.com}), an IP
 * address or a CIDR, each optionally only on one port; {@code *} matches everything. Redirects to other
 * hosts are selected by the same rules (the HttpClient asks for every request).
 */
final class ProxySelection extends ProxySelector {
    /** A proxy: where to connect, and the Basic credentials from its URL's user info (or null). */
    record Endpoint(String url, InetSocketAddress address, String user, String password, String variable) {
        String shown() {
            return redact(url);
        }

        /** Why the proxy answered 407 to a request for {@code uri}, and what to do about it. */
        AuthException refused(URI uri) {
            String what = "proxy " + shown() + " (" + variable + ") asks for authentication (407) for " + uri.getAuthority();
            if (user == null) {
                return new AuthException(what + "; give it as http://USER:PASSWORD@HOST:PORT in " + variable);
            }
            String disabled = System.getProperty(TUNNEL_DISABLED_SCHEMES, "Basic");
            if ("https".equalsIgnoreCase(uri.getScheme())
                    && java.util.Arrays.stream(disabled.split(",")).anyMatch(x -> x.strip().equalsIgnoreCase("Basic"))) {
                return new AuthException(what + ", and this JVM disables Basic authentication for CONNECT tunnels: start"
                        + " it with -D" + TUNNEL_DISABLED_SCHEMES + "= (the krgo command does)");
            }
            return new AuthException(what + " and refused the user name or password in " + variable);
        }
    }

    /** The JDK's list of schemes it will not use to authenticate to a proxy for a CONNECT tunnel ("Basic" by default). */
    static final String TUNNEL_DISABLED_SCHEMES = "jdk.http.auth.tunneling.disabledSchemes";

    private record Rule(String domain, boolean matchHost, byte[] network, int prefix, String port) {
    }

    private final Endpoint http;
    private final Endpoint https;
    private final boolean noneForAll;
    private final List<Rule> rules = new ArrayList<>();
    private final Consumer<String> debug;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    /** @param debug receives one line per host saying which proxy it goes through (null: no such lines) */
    ProxySelection(ProxyConfig config, Consumer<String> debug) {
        this.http = endpoint(config.httpProxy(), "HTTP_PROXY");
        this.https = endpoint(config.httpsProxy(), "HTTPS_PROXY");
        this.debug = debug;
        boolean all = false;
        if (config.noProxy() != null) {
            for (String raw : config.noProxy().split(",")) {
                String entry = raw.strip().toLowerCase(Locale.ROOT);
                if (entry.isEmpty()) {
                    continue;
                }
                if (entry.equals("*")) {
                    all = true;
                    break;
                }
                rules.add(rule(entry));
            }
        }
        this.noneForAll = all;
    }

    /** The proxy for {@code uri}, or null to connect directly. */
    Endpoint endpointFor(URI uri) {
        boolean secure = "https".equalsIgnoreCase(uri.getScheme());
        Endpoint proxy = secure ? https : http;
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
        Endpoint chosen = proxy == null || !useProxy(host, String.valueOf(port)) ? null : proxy;
        if (debug != null && reported.add(uri.getScheme() + "://" + host + ":" + port)) {
            debug.accept(uri.getScheme() + "://" + TlsConfig.hostOnly(uri.getRawAuthority()) + ":" + port
                    + (chosen == null ? " connects directly" : " goes through proxy " + chosen.shown()));
        }
        return chosen;
    }

    @Override
    public List<Proxy> select(URI uri) {
        Endpoint e = endpointFor(uri);
        return List.of(e == null ? Proxy.NO_PROXY : new Proxy(Proxy.Type.HTTP, e.address()));
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // the exchange reports the failure itself
    }

    /** Basic credentials for the proxies whose URL carries them; never answers a registry's own challenge. */
    Authenticator authenticator() {
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                if (getRequestorType() != RequestorType.PROXY) {
                    return null;
                }
                for (Endpoint e : new Endpoint[] {https, http}) {
                    if (e != null && e.user() != null && e.address().getPort() == getRequestingPort()
                            && e.address().getHostString().equalsIgnoreCase(getRequestingHost())) {
                        return new PasswordAuthentication(e.user(), e.password().toCharArray());
                    }
                }
                return null;
            }
        };
    }

    boolean hasCredentials() {
        return (http != null && http.user() != null) || (https != null && https.user() != null);
    }

    private boolean useProxy(String host, String port) {
        if (host.isEmpty() || host.equals("localhost") || Ping.isLoopback(host.contains(":") ? "[" + host + "]" : host)) {
            return false;
        }
        if (noneForAll) {
            return false;
        }
        byte[] ip = ipLiteral(host);
        for (Rule r : rules) {
            if (r.port() != null && !r.port().equals(port)) {
                continue;
            }
            if (r.network() != null) {
                if (ip != null && ip.length == r.network().length && inNetwork(ip, r.network(), r.prefix())) {
                    return false;
                }
            } else if (host.endsWith(r.domain()) || (r.matchHost() && host.equals(r.domain().substring(1)))) {
                return false;
            }
        }
        return true;
    }

    private static Rule rule(String entry) {
        String hostPart = entry;
        String port = null;
        int slash = entry.indexOf('/');
        if (slash < 0) {
            if (entry.startsWith("[") && entry.contains("]:")) {
                port = entry.substring(entry.indexOf("]:") + 2);
                hostPart = entry.substring(1, entry.indexOf(']'));
            } else if (entry.startsWith("[") && entry.endsWith("]")) {
                hostPart = entry.substring(1, entry.length() - 1);
            } else if (entry.indexOf(':') >= 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
                port = entry.substring(entry.indexOf(':') + 1);
                hostPart = entry.substring(0, entry.indexOf(':'));
            }
        }
        if (slash > 0) {
            byte[] net = ipLiteral(entry.substring(0, slash));
            try {
                int prefix = Integer.parseInt(entry.substring(slash + 1));
                if (net != null && prefix >= 0 && prefix <= net.length * 8) {
                    return new Rule(null, false, net, prefix, null);
                }
            } catch (NumberFormatException ignored) {
                // not a CIDR: treated as a name below, as Go does
            }
        }
        byte[] ip = ipLiteral(hostPart);
        if (ip != null) {
            return new Rule(null, false, ip, ip.length * 8, port);
        }
        String domain = hostPart.startsWith("*.") ? hostPart.substring(1) : hostPart;
        boolean matchHost = !domain.startsWith(".");
        return new Rule(matchHost ? "." + domain : domain, matchHost, null, 0, port);
    }

    private static boolean inNetwork(byte[] ip, byte[] net, int prefix) {
        int bits = ip.length * 8;
        BigInteger mask = prefix == 0 ? BigInteger.ZERO
                : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftRight(bits - prefix).shiftLeft(bits - prefix);
        return new BigInteger(1, ip).and(mask).equals(new BigInteger(1, net).and(mask));
    }

    /** The address bytes of an IPv4 or IPv6 literal, or null for a name (never resolved). */
    static byte[] ipLiteral(String s) {
        boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = s.indexOf(':') >= 0 && s.matches("[0-9a-fA-F:.%]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static Endpoint endpoint(String value, String variable) {
        if (value == null) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(value.contains("://") ? value : "http://" + value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(variable + " is not a valid proxy URL: " + redact(value));
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http")) {
            throw new UsageException(variable + ": krgo supports http:// proxies (with CONNECT for HTTPS), not "
                    + scheme + "://");
        }
        if (uri.getHost() == null) {
            throw new UsageException(variable + " names no proxy host: " + redact(value));
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = URLDecoder.decode(colon < 0 ? info : info.substring(0, colon), StandardCharsets.UTF_8);
            password = colon < 0 ? "" : URLDecoder.decode(info.substring(colon + 1), StandardCharsets.UTF_8);
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        return new Endpoint(value, InetSocketAddress.createUnresolved(host, uri.getPort() > 0 ? uri.getPort() : 80),
                user, password, variable);
    }

    /** A proxy URL with its password replaced by {@code ***}. */
    static String redact(String url) {
        if (url == null) {
            return null;
        }
        return url.replaceFirst("^((?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[^/@:]*):[^/@]*@", "$1:***@");
    }
}
