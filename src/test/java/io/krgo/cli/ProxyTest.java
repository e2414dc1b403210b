package io.krgo.cli;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.TestHosts;
import io.krgo.testing.TestPki;
import io.krgo.testing.TinyProxy;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI through a real forward proxy (Debian's tinyproxy, started here on a free port): HTTPS by CONNECT,
 * plain HTTP (an insecure registry) by absolute URLs, NO_PROXY, Basic proxy authentication from the proxy
 * URL, and blob redirects to a second host. The registries are reached as {@link TestHosts} names, since
 * loopback addresses are never proxied; the proxy's log proves what went through it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyTest {
    private Path work;
    private TestPki pki;
    private RegistryHarness tls;
    private RegistryHarness plain;
    private String tlsImage;
    private String plainImage;

    @BeforeAll
    void start() throws IOException {
        TestHosts.ensure();
        work = Files.createTempDirectory("krgo-proxy-test");
        pki = TestPki.create(work.resolve("pki"), "proxy");
        TestPki.Pair server = pki.server(List.of(TestHosts.REGISTRY, "127.0.0.1"), 2);
        tls = RegistryHarness.startTls(RegistryHarness.Mode.ANONYMOUS, server.cert(), server.key(), null);
        plain = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        Path layer = OciFixtures.tar(work.resolve("layer.tar"), Map.of("etc/via", "through the proxy\n"));
        OciFixtures.pushImage(tls, work, "px/app:1", new PlatformImage("linux", "amd64", List.of(layer)));
        OciFixtures.pushImage(plain, work, "px/app:1", new PlatformImage("linux", "amd64", List.of(layer)));
        tlsImage = tls.hostAs(TestHosts.REGISTRY) + "/px/app:1";
        plainImage = plain.hostAs(TestHosts.REGISTRY) + "/px/app:1";
    }

    @AfterAll
    void stop() {
        for (RegistryHarness r : new RegistryHarness[] {tls, plain}) {
            if (r != null) {
                r.close();
            }
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result krgo(String name, Map<String, String> env, String... args) throws IOException {
        Path home = Files.createDirectories(work.resolve("home-" + name));
        Map<String, String> all = new HashMap<>(Map.of("KRGO_CONFIG_ROOT", work.resolve("no-root").toString(),
                "NO_PROXY", "", "no_proxy", "", "HTTP_PROXY", "", "http_proxy", "", "HTTPS_PROXY", "", "https_proxy", ""));
        all.putAll(env);
        return KrgoCli.run(home, all, null, args);
    }

    @Test
    void httpsGoesThroughAConnectTunnelUnlessNoProxyNamesTheHost() throws IOException {
        try (TinyProxy proxy = TinyProxy.start()) {
            KrgoCli.Result r = krgo("connect", Map.of("HTTPS_PROXY", proxy.url()), "--debug", "pull", "-q", tlsImage,
                    "-r", work.resolve("t1").toString(), "--ca-file", pki.caCert().toString());
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(work.resolve("t1/etc/via")).hasContent("through the proxy");
            assertThat(proxy.requests()).isNotEmpty()
                    .allMatch(line -> line.equals("CONNECT " + tls.hostAs(TestHosts.REGISTRY) + " HTTP/1.1"));
            assertThat(r.stderr()).contains("debug: https://" + tls.hostAs(TestHosts.REGISTRY) + " goes through proxy "
                    + proxy.url());

            int before = proxy.requests().size();
            KrgoCli.Result direct = krgo("no-proxy", Map.of("https_proxy", proxy.url(), "no_proxy", "example.com,.test"),
                    "--debug", "pull", "-q", tlsImage, "-r", work.resolve("t2").toString(),
                    "--ca-file", pki.caCert().toString());
            assertThat(direct.exitCode()).as(direct.output()).isZero();
            assertThat(direct.stderr()).contains("debug: https://" + tls.hostAs(TestHosts.REGISTRY) + " connects directly");
            assertThat(proxy.requests()).hasSize(before);
        }
    }

    @Test
    void plainHttpPullPushAndCopyGoThroughTheProxy() throws IOException {
        try (TinyProxy proxy = TinyProxy.start()) {
            Map<String, String> env = Map.of("HTTP_PROXY", proxy.url());
            String registry = plain.hostAs(TestHosts.REGISTRY);
            KrgoCli.Result pull = krgo("http-pull", env, "pull", "-q", plainImage, "-r", work.resolve("h1").toString(),
                    "--insecure");
            assertThat(pull.exitCode()).as(pull.output()).isZero();
            assertThat(work.resolve("h1/etc/via")).hasContent("through the proxy");
            assertThat(proxy.requests()).contains("GET http://" + registry + "/v2/px/app/manifests/1 HTTP/1.1");

            Path dir = Files.createDirectories(work.resolve("to-push/etc"));
            Files.writeString(dir.resolve("pushed"), "pushed through the proxy\n");
            KrgoCli.Result push = krgo("http-push", env, "push", "-q", registry + "/px/pushed:1", "-r",
                    work.resolve("to-push").toString(), "--insecure");
            assertThat(push.exitCode()).as(push.output()).isZero();
            assertThat(proxy.requests()).contains("PUT http://" + registry + "/v2/px/pushed/manifests/1 HTTP/1.1");

            KrgoCli.Result copy = krgo("http-copy", env, "copy", plainImage, registry + "/px/copied:1", "--insecure");
            assertThat(copy.exitCode()).as(copy.output()).isZero();
            assertThat(proxy.requests()).contains("PUT http://" + registry + "/v2/px/copied/manifests/1 HTTP/1.1");
            assertThat(plain.countRequests("PUT", "/v2/px/copied/manifests/1")).isEqualTo(1);
        }
    }

    @Test
    void proxyBasicAuthenticationComesFromTheProxyUrlAndIsNeverPrinted() throws IOException {
        try (TinyProxy proxy = TinyProxy.start("alice", "pr0xy-pass")) {
            KrgoCli.Result ok = krgo("auth", Map.of("HTTPS_PROXY", proxy.url("alice", "pr0xy-pass")), "--debug", "pull",
                    "-q", tlsImage, "-r", work.resolve("a1").toString(), "--ca-file", pki.caCert().toString());
            assertThat(ok.exitCode()).as(ok.output()).isZero();
            assertThat(work.resolve("a1/etc/via")).hasContent("through the proxy");
            assertThat(ok.output()).doesNotContain("pr0xy-pass").contains("goes through proxy http://alice:***@127.0.0.1:");

            KrgoCli.Result none = krgo("auth-none", Map.of("HTTPS_PROXY", proxy.url()), "pull", "-q", tlsImage,
                    "-r", work.resolve("a2").toString(), "--ca-file", pki.caCert().toString());
            assertThat(none.exitCode()).as(none.output()).isEqualTo(3);
            assertThat(none.stderr()).hasLineCount(1).contains("proxy " + proxy.url() + " (HTTPS_PROXY) asks for"
                    + " authentication (407) for " + tls.hostAs(TestHosts.REGISTRY) + "; give it as");

            KrgoCli.Result wrong = krgo("auth-wrong", Map.of("HTTPS_PROXY", proxy.url("alice", "not-it")), "pull", "-q",
                    tlsImage, "-r", work.resolve("a3").toString(), "--ca-file", pki.caCert().toString());
            assertThat(wrong.exitCode()).as(wrong.output()).isEqualTo(3);
            assertThat(wrong.stderr()).contains("refused the user name or password in HTTPS_PROXY").doesNotContain("not-it");
            assertThat(work.resolve("a2")).doesNotExist();
            assertThat(work.resolve("a3")).doesNotExist();
        }
    }

    @Test
    void blobsRedirectedToAnotherHostAreFetchedThroughTheProxyToo() throws IOException {
        try (TinyProxy proxy = TinyProxy.start();
             LoopbackProxy storage = LoopbackProxy.start(plain.host(), null);
             LoopbackProxy front = LoopbackProxy.start(plain.host(), (ex, self) -> {
                 String path = ex.getRequestURI().getPath();
                 if (!ex.getRequestMethod().equals("GET") || !path.contains("/blobs/sha256:")) {
                     return false;
                 }
                 ex.getResponseHeaders().set("Location", "http://" + TestHosts.STORAGE + ":"
                         + storage.host().substring(storage.host().indexOf(':') + 1) + path);
                 ex.sendResponseHeaders(307, -1);
                 return true;
             })) {
            String frontName = TestHosts.REGISTRY + front.host().substring(front.host().indexOf(':'));
            String storageName = TestHosts.STORAGE + storage.host().substring(storage.host().indexOf(':'));
            KrgoCli.Result r = krgo("redirect", Map.of("HTTP_PROXY", proxy.url()), "--debug", "pull", "-q",
                    frontName + "/px/app:1", "-r", work.resolve("d1").toString(), "--insecure");
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(work.resolve("d1/etc/via")).hasContent("through the proxy");
            assertThat(storage.requests("GET", "/blobs/sha256:")).hasSize(2); // config and layer
            assertThat(proxy.requests()).filteredOn(l -> l.startsWith("GET http://" + storageName + "/v2/px/app/blobs/"))
                    .hasSize(2);
            assertThat(r.stderr()).contains("debug: http://" + storageName + " goes through proxy " + proxy.url());
        }
    }
}
