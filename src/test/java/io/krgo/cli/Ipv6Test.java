package io.krgo.cli;

import io.krgo.registry.ConfigLocations;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryOptions;
import io.krgo.registry.RetryPolicy;
import io.krgo.registry.TlsConfig;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.TestPki;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Registries at IPv6 literal addresses ({@code [::1]:PORT}): in references, as {@code --mirror} and
 * registries.conf mirrors, as Docker config credential keys, and as a certs.d directory name. The machine
 * must have IPv6 loopback: without it the test fails saying so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ipv6Test {
    private Path work;
    private RegistryHarness origin;
    private RegistryHarness v6;
    private RegistryHarness v6Basic;

    @BeforeAll
    void start() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("::1", 0));
        } catch (IOException e) {
            throw new AssertionError("this machine has no IPv6 loopback (::1): " + e.getMessage());
        }
        work = Files.createTempDirectory("krgo-ipv6");
        origin = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        v6 = RegistryHarness.startOnIpv6Loopback(RegistryHarness.Mode.ANONYMOUS);
        v6Basic = RegistryHarness.startOnIpv6Loopback(RegistryHarness.Mode.BASIC);
        Path layer = OciFixtures.tar(work.resolve("layer.tar"), Map.of("etc/six", "over IPv6\n"));
        PlatformImage image = new PlatformImage("linux", "amd64", List.of(layer));
        OciFixtures.pushImage(origin, work, "six/app:1", image);
        assertThat(v6.host()).startsWith("[::1]:");
        // skopeo 1.9 rejects IPv6 literals in references ("invalid reference format"): krgo copies skopeo's image.
        KrgoCli.Result c1 = krgo("seed", Map.of(), "copy", origin.host() + "/six/app:1", v6.host() + "/six/app:1");
        assertThat(c1.exitCode()).as(c1.output()).isZero();
        KrgoCli.Result c2 = KrgoCli.run(Files.createDirectories(work.resolve("home-seed-basic")), Map.of(),
                v6Basic.password() + "\n", "copy", origin.host() + "/six/app:1", v6Basic.host() + "/six/app:1",
                "-u", v6Basic.username(), "--password-stdin");
        assertThat(c2.exitCode()).as(c2.output()).isZero();
    }

    @AfterAll
    void stop() {
        for (RegistryHarness r : new RegistryHarness[] {origin, v6, v6Basic}) {
            if (r != null) {
                r.close();
            }
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result krgo(String name, Map<String, String> env, String... args) throws IOException {
        Path home = Files.createDirectories(work.resolve("home-" + name));
        if (name.startsWith("creds")) {
            String auth = Base64.getEncoder().encodeToString((v6Basic.username() + ":" + v6Basic.password()).getBytes());
            Files.createDirectories(home.resolve(".docker"));
            Files.writeString(home.resolve(".docker/config.json"),
                    "{\"auths\": {\"" + v6Basic.host() + "\": {\"auth\": \"" + auth + "\"}}}");
        }
        Map<String, String> all = new java.util.HashMap<>(Map.of("KRGO_CONFIG_ROOT", work.resolve("root").toString()));
        all.putAll(env);
        return KrgoCli.run(home, all, null, args);
    }

    @Test
    void pullsFromIpv6LiteralsAsReferencesMirrorsAndCredentialKeys() throws IOException {
        KrgoCli.Result plain = krgo("plain", Map.of(), "pull", "-q", v6.host() + "/six/app:1", "-r", work.resolve("a").toString());
        assertThat(plain.exitCode()).as(plain.output()).isZero();
        assertThat(work.resolve("a/etc/six")).hasContent("over IPv6");

        KrgoCli.Result flag = krgo("flag", Map.of(), "pull", "-q", origin.host() + "/six/app:1", "-r",
                work.resolve("b").toString(), "--mirror", v6.host());
        assertThat(flag.exitCode()).as(flag.output()).isZero();
        assertThat(flag.stderr()).isEmpty();
        assertThat(v6.countRequests("GET", "/v2/six/app/manifests/1")).isEqualTo(2);

        Path conf = work.resolve("v6.conf");
        Files.writeString(conf, "[[registry]]\nlocation = \"" + origin.host() + "\"\n[[registry.mirror]]\nlocation = \""
                + v6.host() + "\"\n");
        KrgoCli.Result viaConf = krgo("conf", Map.of("CONTAINERS_REGISTRIES_CONF", conf.toString()), "pull", "-q",
                origin.host() + "/six/app:1", "-r", work.resolve("c").toString());
        assertThat(viaConf.exitCode()).as(viaConf.output()).isZero();
        assertThat(v6.countRequests("GET", "/v2/six/app/manifests/1")).isEqualTo(3);

        KrgoCli.Result creds = krgo("creds", Map.of(), "pull", "-q", v6Basic.host() + "/six/app:1", "-r",
                work.resolve("d").toString());
        assertThat(creds.exitCode()).as(creds.output()).isZero();
        KrgoCli.Result anonymous = krgo("anon", Map.of(), "pull", "-q", v6Basic.host() + "/six/app:1", "-r",
                work.resolve("e").toString());
        assertThat(anonymous.exitCode()).as("without the config's entry").isEqualTo(3);
    }

    @Test
    void tlsOnIpv6TrustsTheCertsDirNamedByTheBracketedAddress() throws IOException {
        TestPki pki = TestPki.create(work.resolve("pki"), "six");
        TestPki.Pair server = pki.server(List.of("::1"), 2);
        try (RegistryHarness tls = RegistryHarness.startTlsOnIpv6Loopback(RegistryHarness.Mode.ANONYMOUS,
                server.cert(), server.key())) {
            Path root = Files.createDirectories(work.resolve("tls-root"));
            Path dir = Files.createDirectories(root.resolve("etc/docker/certs.d").resolve(tls.host()));
            Files.copy(pki.caCert(), dir.resolve("ca.crt"));
            RegistryOptions options = RegistryOptions.defaults().withRetry(RetryPolicy.NONE).withPlainHttpOnLoopback(false)
                    .withTls(TlsConfig.system(new ConfigLocations(root, work.resolve("tls-home"), Map.of())));
            try (RegistryClient client = new RegistryClient(tls.host(), options, null)) {
                assertThat(client.listTags("six/none")).isEmpty(); // the TLS handshake and an API call
            } catch (io.krgo.error.NotFoundException expected) {
                // distribution answers 404 NAME_UNKNOWN: the exchange itself went through TLS
            }
            RegistryOptions untrusting = options.withTls(TlsConfig.JDK_DEFAULTS);
            try (RegistryClient client = new RegistryClient(tls.host(), untrusting, null)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.listTags("six/none"))
                        .hasMessageContaining("not signed by a trusted authority");
            }
        }
    }
}
