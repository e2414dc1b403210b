package io.krgo.registry;

import io.krgo.error.AuthException;
import io.krgo.error.UsageException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Proxy choice as Go's {@code httpproxy.FromEnvironment} makes it (cases from its own tests where they apply). */
class ProxySelectionTest {
    private static String proxyFor(String url, String noProxy) {
        ProxySelection s = new ProxySelection(new ProxyConfig("http://http-proxy:3128", "http://https-proxy:3128", noProxy),
                null);
        ProxySelection.Endpoint e = s.endpointFor(URI.create(url));
        return e == null ? "direct" : e.address().getHostString();
    }

    @Test
    void theSchemeChoosesTheVariable() {
        assertThat(proxyFor("https://registry.example.com/v2/", null)).isEqualTo("https-proxy");
        assertThat(proxyFor("http://registry.example.com/v2/", null)).isEqualTo("http-proxy");
        ProxySelection onlyHttps = new ProxySelection(ProxyConfig.fromEnvironment(
                Map.of("https_proxy", "proxy.corp:8080")), null);
        assertThat(onlyHttps.endpointFor(URI.create("http://registry.example.com/"))).isNull();
        assertThat(onlyHttps.endpointFor(URI.create("https://registry.example.com/")).address().getPort()).isEqualTo(8080);
        assertThat(ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "http://upper:1", "https_proxy", "http://lower:1"))
                .httpsProxy()).isEqualTo("http://upper:1");
    }

    @Test
    void loopbackIsNeverProxied() {
        for (String url : List.of("https://localhost:5000/", "https://127.0.0.1/", "https://127.1.2.3:443/",
                "https://[::1]:5000/")) {
            assertThat(proxyFor(url, null)).as(url).isEqualTo("direct");
        }
    }

    @Test
    void noProxyEntriesMatchAsGoMatchesThem() {
        String no = "foo.com, .bar.com, *.baz.org, 10.0.0.0/8, 192.168.1.7, quux.net:5000, [2001:db8::1]:443, 2001:db8:1::/48";
        record Case(String url, String expected) {
        }
        List<Case> cases = List.of(
                new Case("https://foo.com/", "direct"),            // the name itself
                new Case("https://www.foo.com/", "direct"),        // and its subdomains
                new Case("https://afoo.com/", "https-proxy"),      // not a suffix at a dot
                new Case("https://bar.com/", "https-proxy"),       // .bar.com: only subdomains
                new Case("https://x.bar.com/", "direct"),
                new Case("https://baz.org/", "https-proxy"),       // *.baz.org as .baz.org
                new Case("https://a.b.baz.org/", "direct"),
                new Case("https://10.1.2.3/", "direct"),           // CIDR
                new Case("https://11.1.2.3/", "https-proxy"),
                new Case("https://192.168.1.7:5000/", "direct"),   // an IP, any port
                new Case("https://192.168.1.8/", "https-proxy"),
                new Case("https://quux.net:5000/", "direct"),      // only on that port
                new Case("https://quux.net/", "https-proxy"),
                new Case("https://[2001:db8::1]/", "direct"),      // IPv6 with port 443 (https's default)
                new Case("https://[2001:db8::1]:5000/", "https-proxy"),
                new Case("https://[2001:db8:1::9]:5000/", "direct"),
                new Case("https://FOO.COM/", "direct"));           // case-insensitive
        List<String> wrong = new ArrayList<>();
        for (Case c : cases) {
            String got = proxyFor(c.url(), no);
            if (!got.equals(c.expected())) {
                wrong.add(c.url() + " -> " + got + " (expected " + c.expected() + ")");
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(proxyFor("https://anything.example/", "*")).isEqualTo("direct");
        assertThat(proxyFor("https://anything.example/", " , ")).isEqualTo("https-proxy");
    }

    @Test
    void proxyUrlsAreCheckedAndTheirPasswordsNeverShown() {
        List<String> lines = new ArrayList<>();
        ProxySelection s = new ProxySelection(new ProxyConfig(null, "http://bob:pa%3Ass@proxy.corp:3128", null), lines::add);
        ProxySelection.Endpoint e = s.endpointFor(URI.create("https://registry.example.com/v2/"));
        s.endpointFor(URI.create("https://registry.example.com/v2/again"));
        s.endpointFor(URI.create("https://localhost:5000/v2/"));
        assertThat(e.user()).isEqualTo("bob");
        assertThat(e.password()).isEqualTo("pa:ss");
        assertThat(lines).containsExactly(
                "https://registry.example.com:443 goes through proxy http://bob:***@proxy.corp:3128",
                "https://localhost:5000 connects directly");
        assertThat(new ProxyConfig(null, "http://bob:secret@proxy.corp:3128", null).toString()).doesNotContain("secret");
        assertThat(e.refused(URI.create("https://registry.example.com/v2/")))
                .isInstanceOf(AuthException.class).hasMessageNotContaining("pa:ss").hasMessageNotContaining("pa%3Ass");
        assertThatThrownBy(() -> new ProxySelection(new ProxyConfig(null, "socks5://proxy.corp:1080", null), null))
                .isInstanceOf(UsageException.class)
                .hasMessage("HTTPS_PROXY: krgo supports http:// proxies (with CONNECT for HTTPS), not socks5://");
    }

    @Test
    void ipv6AuthoritiesAreWrittenAsReferencesWriteThem() {
        assertThat(HostTls.authority("0:0:0:0:0:0:0:1", 5000)).isEqualTo("[::1]:5000");
        assertThat(HostTls.authority("[::1]", 443)).isEqualTo("[::1]:443");
        assertThat(HostTls.authority("FD00:0:0:0:0:0:0:1", 5000)).isEqualTo("[fd00::1]:5000");
        assertThat(HostTls.authority("2001:db8:0:0:1:0:0:1", 1)).isEqualTo("[2001:db8::1:0:0:1]:1");
        assertThat(HostTls.authority("2001:db8:1:2:3:4:5:6", 1)).isEqualTo("[2001:db8:1:2:3:4:5:6]:1");
        assertThat(HostTls.authority("registry.example", 443)).isEqualTo("registry.example:443");
    }
}
