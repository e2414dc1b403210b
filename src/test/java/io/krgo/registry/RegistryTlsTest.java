package io.krgo.registry;

import io.krgo.error.RegistryException;
import io.krgo.error.UsageException;
import io.krgo.image.Descriptor;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.TestHosts;
import io.krgo.testing.TestPki;
import io.krgo.testing.TestPki.KeyKind;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Trust and client certificates against Debian's docker-registry serving TLS with certificates from a CA
 * that openssl makes here: certs.d directories (per user, containers', docker's, under a test root), CA files,
 * SSL_CERT_FILE, and each failure named (unknown CA, wrong host name, expired), then mutual TLS with
 * {@code http.tls.clientcas}. The registry is reached as {@link TestHosts#REGISTRY} (127.0.0.1 by /etc/hosts).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryTlsTest {
    private Path work;
    private TestPki pki;
    private RegistryHarness registry;
    private RegistryHarness mtls;
    private String authority;

    @BeforeAll
    void start() throws IOException {
        TestHosts.ensure();
        work = Files.createTempDirectory("krgo-tls-test");
        pki = TestPki.create(work.resolve("pki"), "krgo");
        TestPki.Pair server = pki.server(List.of(TestHosts.REGISTRY, "127.0.0.1"), 2);
        registry = RegistryHarness.startTls(Mode.ANONYMOUS, server.cert(), server.key(), null);
        OciFixtures.pushImage(registry, work, "tls/app:1", image("tls"));
        authority = registry.hostAs(TestHosts.REGISTRY);
        mtls = RegistryHarness.startTls(Mode.ANONYMOUS, server.cert(), server.key(), pki.caCert());
        // skopeo (the peer that writes the image) presents a client certificate from a docker-style cert dir.
        Path skopeoCerts = work.resolve("skopeo-certs");
        TestPki.Pair skopeoClient = pki.client("skopeo", KeyKind.RSA_PKCS8);
        Files.createDirectories(skopeoCerts);
        Files.copy(skopeoClient.cert(), skopeoCerts.resolve("client.cert"));
        Files.copy(skopeoClient.key(), skopeoCerts.resolve("client.key"));
        OciFixtures.pushImage(mtls, work, "mtls/app:1", image("mtls"), "--dest-cert-dir", skopeoCerts.toString());
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        if (mtls != null) {
            mtls.close();
        }
        Tools.deleteTree(work);
    }

    private PlatformImage image(String name) {
        Path layer = OciFixtures.tar(work.resolve(name + "-layer.tar"), Map.of("etc/" + name, name + "\n"));
        return new PlatformImage("linux", "amd64", List.of(layer));
    }

    /** A fresh configuration root and home, as a machine with nothing installed. */
    private ConfigLocations locations(String name, Map<String, String> env) throws IOException {
        Path base = Files.createDirectories(work.resolve("machines").resolve(name));
        return new ConfigLocations(Files.createDirectories(base.resolve("root")),
                Files.createDirectories(base.resolve("home")), env);
    }

    private static RegistryOptions options(TlsConfig tls) {
        return RegistryOptions.defaults().withRetry(RetryPolicy.NONE).withTls(tls);
    }

    /** Fetches the manifest and every blob of {@code repo:1}: the whole read side of a pull. */
    private static void pullAll(String host, String repo, RegistryOptions options) throws IOException {
        try (RegistryClient client = new RegistryClient(host, options, null)) {
            RawManifest m = client.getManifest(repo, "1");
            var manifest = io.krgo.image.Json.MAPPER.readTree(m.bytes());
            List<Descriptor> blobs = new java.util.ArrayList<>();
            blobs.add(io.krgo.image.Json.MAPPER.treeToValue(manifest.path("config"), Descriptor.class));
            for (var l : manifest.path("layers")) {
                blobs.add(io.krgo.image.Json.MAPPER.treeToValue(l, Descriptor.class));
            }
            for (Descriptor d : blobs) {
                try (InputStream in = client.openBlob(repo, d)) {
                    assertThat(in.readAllBytes()).hasSize((int) d.size());
                }
            }
        }
    }

    private static void install(Path file, Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Files.copy(file, dir.resolve(name));
    }

    @Test
    void anUnknownCaIsRefusedNamingTheHostTheReasonAndWhereItsCaWouldGo() throws IOException {
        ConfigLocations machine = locations("unknown-ca", Map.of());
        assertThatThrownBy(() -> pullAll(authority, "tls/app", options(TlsConfig.system(machine))))
                .isInstanceOf(RegistryException.class)
                .hasMessage("TLS failure talking to " + authority + ": certificate of " + authority
                        + " refused: the certificate is not signed by a trusted CA (issuer: CN=krgo test CA); krgo trusts"
                        + " CAs for it from " + machine.home().resolve(".config/containers/certs.d").resolve(authority)
                        + "/*.crt or --ca-file");
    }

    @Test
    void aCaInAnyCertsDirOfTheHostIsTrusted() throws IOException {
        ConfigLocations user = locations("user-certs-d", Map.of());
        install(pki.caCert(), user.home().resolve(".config/containers/certs.d").resolve(authority), "ca.crt");
        pullAll(authority, "tls/app", options(TlsConfig.system(user)));

        ConfigLocations containers = locations("containers-certs-d", Map.of());
        install(pki.caCert(), containers.root().resolve("etc/containers/certs.d").resolve(authority), "my-ca.crt");
        pullAll(authority, "tls/app", options(TlsConfig.system(containers)));

        // docker's directory, named by the host alone: it applies to every port.
        ConfigLocations docker = locations("docker-certs-d", Map.of());
        install(pki.caCert(), docker.root().resolve("etc/docker/certs.d").resolve(TestHosts.REGISTRY), "ca.crt");
        pullAll(authority, "tls/app", options(TlsConfig.system(docker)));

        // Another host's directory does not count.
        ConfigLocations other = locations("other-host-certs-d", Map.of());
        install(pki.caCert(), other.root().resolve("etc/docker/certs.d").resolve(TestHosts.STORAGE), "ca.crt");
        assertThatThrownBy(() -> pullAll(authority, "tls/app", options(TlsConfig.system(other))))
                .hasMessageContaining("not signed by a trusted CA");
    }

    @Test
    void caFilesAndTheSystemBundleAreTrustedForEveryHost() throws IOException {
        ConfigLocations machine = locations("ca-file", Map.of());
        pullAll(authority, "tls/app", options(TlsConfig.system(machine).withCaFiles(List.of(pki.caCert()))));

        // SSL_CERT_FILE replaces /etc/ssl/certs/ca-certificates.crt (here: the test root's, which is absent).
        ConfigLocations bundle = locations("ssl-cert-file", Map.of("SSL_CERT_FILE", pki.caCert().toString()));
        pullAll(authority, "tls/app", options(TlsConfig.system(bundle)));
        ConfigLocations bundleFile = locations("system-bundle", Map.of());
        install(pki.caCert(), bundleFile.root().resolve("etc/ssl/certs"), "ca-certificates.crt");
        pullAll(authority, "tls/app", options(TlsConfig.system(bundleFile)));
        ConfigLocations dir = locations("ssl-cert-dir", Map.of("SSL_CERT_DIR", pki.caCert().getParent().toString()));
        pullAll(authority, "tls/app", options(TlsConfig.system(dir)));
    }

    @Test
    void aMissingCaFileIsAUsageError() throws IOException {
        ConfigLocations machine = locations("missing-ca-file", Map.of());
        Path missing = work.resolve("no-such-ca.pem");
        assertThatThrownBy(() -> pullAll(authority, "tls/app",
                options(TlsConfig.system(machine).withCaFiles(List.of(missing)))))
                .isInstanceOf(UsageException.class)
                .hasMessage("cannot read certificates from " + missing + ": no such file");
    }

    @Test
    void aWrongHostNameAndAnExpiredCertificateEachHaveTheirOwnMessage() throws IOException {
        ConfigLocations machine = locations("trusting", Map.of());
        TlsConfig trusting = TlsConfig.system(machine).withCaFiles(List.of(pki.caCert()));
        TestPki.Pair wrongHost = pki.server(List.of("elsewhere.example"), 2);
        try (RegistryHarness wrong = RegistryHarness.startTls(Mode.ANONYMOUS, wrongHost.cert(), wrongHost.key(), null)) {
            String a = wrong.hostAs(TestHosts.REGISTRY);
            assertThatThrownBy(() -> pullAll(a, "tls/app", options(trusting)))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageStartingWith("TLS failure talking to " + a + ": certificate of " + a
                            + " refused: the certificate is for elsewhere.example, not " + TestHosts.REGISTRY + ";")
                    .hasMessageContaining(a + "/*.crt");
        }
        TestPki.Pair expired = pki.server(List.of(TestHosts.REGISTRY), -1);
        try (RegistryHarness old = RegistryHarness.startTls(Mode.ANONYMOUS, expired.cert(), expired.key(), null)) {
            String a = old.hostAs(TestHosts.REGISTRY);
            String yesterday = java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString();
            assertThatThrownBy(() -> pullAll(a, "tls/app", options(trusting)))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageStartingWith("TLS failure talking to " + a + ": certificate of " + a
                            + " refused: the certificate expired on " + yesterday + ";");
        }
    }

    @Test
    void mutualTlsNeedsAClientCertificateFromCertsDOrTheOptions() throws IOException {
        String a = mtls.hostAs(TestHosts.REGISTRY);
        ConfigLocations none = locations("mtls-none", Map.of());
        install(pki.caCert(), none.root().resolve("etc/containers/certs.d").resolve(a), "ca.crt");
        assertThatThrownBy(() -> pullAll(a, "mtls/app", options(TlsConfig.system(none))))
                .isInstanceOf(RegistryException.class)
                .hasMessageStartingWith("TLS failure talking to " + a + ": the registry refused krgo's client certificate,"
                        + " or wants one");

        // docker's usual name, an EC key in SEC1 form, beside the CA.
        ConfigLocations ec = locations("mtls-ec", Map.of());
        Path ecDir = ec.root().resolve("etc/containers/certs.d").resolve(a);
        install(pki.caCert(), ecDir, "ca.crt");
        TestPki.Pair ecPair = pki.client("ec", KeyKind.EC_SEC1);
        install(ecPair.cert(), ecDir, "client.cert");
        install(ecPair.key(), ecDir, "client.key");
        pullAll(a, "mtls/app", options(TlsConfig.system(ec)));

        // Any NAME.cert/NAME.key pair, RSA in PKCS#1 form, in docker's directory for the host alone.
        ConfigLocations rsa = locations("mtls-rsa", Map.of());
        Path rsaDir = rsa.root().resolve("etc/docker/certs.d").resolve(TestHosts.REGISTRY);
        install(pki.caCert(), rsaDir, "ca.crt");
        TestPki.Pair rsaPair = pki.client("rsa", KeyKind.RSA_PKCS1);
        install(rsaPair.cert(), rsaDir, "build-bot.cert");
        install(rsaPair.key(), rsaDir, "build-bot.key");
        pullAll(a, "mtls/app", options(TlsConfig.system(rsa)));

        // A pair given in the options (--cert/--key), EC in PKCS#8 form.
        TestPki.Pair pkcs8 = pki.client("pkcs8", KeyKind.EC_PKCS8);
        pullAll(a, "mtls/app", options(TlsConfig.system(none).withClientCertificate(pkcs8.cert(), pkcs8.key())));
    }

    @Test
    void aClientCertificateWithoutItsKeyIsAUsageError() throws IOException {
        String a = mtls.hostAs(TestHosts.REGISTRY);
        ConfigLocations broken = locations("mtls-no-key", Map.of());
        Path dir = broken.root().resolve("etc/containers/certs.d").resolve(a);
        install(pki.caCert(), dir, "ca.crt");
        install(pki.client("lonely", KeyKind.EC_SEC1).cert(), dir, "client.cert");
        assertThatThrownBy(() -> pullAll(a, "mtls/app", options(TlsConfig.system(broken))))
                .isInstanceOf(UsageException.class)
                .hasMessage("client certificate " + dir.resolve("client.cert") + " has no key client.key beside it"
                        + " (CA certificates end in .crt)");
    }

    @Test
    void aTlsRegistryOnALoopbackAddressWorksWithItsCaAndNoLibraryOption() throws IOException {
        assertThat(registry.host()).startsWith("127.0.0.1:");
        ConfigLocations machine = locations("loopback-tls", Map.of());
        install(pki.caCert(), machine.root().resolve("etc/containers/certs.d").resolve(registry.host()), "ca.crt");
        long plainBefore = registry.countRequests("GET", "/v2/");
        pullAll(registry.host(), "tls/app", options(TlsConfig.system(machine)));
        // One client asks once over plain HTTP (a TLS listener answers 400: no request reaches the registry), then
        // all goes over HTTPS.
        assertThat(registry.countRequests("GET", "/v2/tls/app/.*")).isPositive();
        assertThat(registry.countRequests("GET", "/v2/")).isEqualTo(plainBefore + 1);

        // Without the CA, the TLS failure is reported as such, not as a plain-HTTP failure.
        ConfigLocations none = locations("loopback-tls-no-ca", Map.of());
        assertThatThrownBy(() -> pullAll(registry.host(), "tls/app", options(TlsConfig.system(none))))
                .isInstanceOf(RegistryException.class)
                .hasMessageStartingWith("TLS failure talking to " + registry.host() + ": certificate of "
                        + registry.host() + " refused: the certificate is not signed by a trusted CA");
    }

    @Test
    void aPlainHttpRegistryByAHostNameIsRefusedWithoutInsecureEvenWhenTheNameResolvesToLoopback() throws IOException {
        try (RegistryHarness plain = RegistryHarness.start(Mode.ANONYMOUS)) {
            OciFixtures.pushImage(plain, work, "plain/app:1", image("plain"));
            String named = plain.hostAs(TestHosts.REGISTRY);
            ConfigLocations machine = locations("plain-by-name", Map.of());
            long before = plain.countRequests("GET", "/v2/.*");
            assertThatThrownBy(() -> pullAll(named, "plain/app", options(TlsConfig.system(machine))))
                    .isInstanceOf(RegistryException.class)
                    .hasMessage("TLS failure talking to " + named + ": it answers in plain HTTP, not HTTPS; krgo talks"
                            + " plain HTTP only to loopback addresses and to registries marked insecure (--insecure, or"
                            + " insecure = true in registries.conf)");
            assertThat(plain.countRequests("GET", "/v2/.*")).as("nothing sent in plain HTTP").isEqualTo(before);
            pullAll(named, "plain/app", options(TlsConfig.system(machine)).withInsecure(true));
            // The same registry by its loopback address needs nothing.
            pullAll(plain.host(), "plain/app", options(TlsConfig.system(machine)));
        }
    }
}
