package io.krgo.cli;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.TestHosts;
import io.krgo.testing.TestPki;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI against a TLS registry (Debian's docker-registry, certificate from a CA openssl makes here): the
 * machine's certs.d under {@code KRGO_CONFIG_ROOT}, {@code --ca-file}, {@code --cert/--key} for mutual TLS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsCliTest {
    private Path work;
    private TestPki pki;
    private RegistryHarness registry;
    private RegistryHarness mtls;
    private Path root;

    @BeforeAll
    void start() throws IOException {
        TestHosts.ensure();
        work = Files.createTempDirectory("krgo-tls-cli");
        pki = TestPki.create(work.resolve("pki"), "cli");
        TestPki.Pair server = pki.server(List.of(TestHosts.REGISTRY, "127.0.0.1"), 2);
        registry = RegistryHarness.startTls(RegistryHarness.Mode.ANONYMOUS, server.cert(), server.key(), null);
        mtls = RegistryHarness.startTls(RegistryHarness.Mode.ANONYMOUS, server.cert(), server.key(), pki.caCert());
        Path layer = OciFixtures.tar(work.resolve("layer.tar"), Map.of("etc/hello", "hello over TLS\n"));
        OciFixtures.pushImage(registry, work, "cli/app:1", new PlatformImage("linux", "amd64", List.of(layer)));
        root = Files.createDirectories(work.resolve("empty-root"));
    }

    @AfterAll
    void stop() {
        for (RegistryHarness r : new RegistryHarness[] {registry, mtls}) {
            if (r != null) {
                r.close();
            }
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result krgo(String name, Path configRoot, String... args) throws IOException {
        Path home = Files.createDirectories(work.resolve("home-" + name));
        return KrgoCli.run(home, Map.of("KRGO_CONFIG_ROOT", configRoot.toString()), null, args);
    }

    @Test
    void pullTrustsTheMachinesCertsDAndCaFilesAndNamesWhatIsMissing() throws IOException {
        String image = registry.hostAs(TestHosts.REGISTRY) + "/cli/app:1";
        KrgoCli.Result refused = krgo("refused", root, "pull", "-q", image, "-r", work.resolve("r0").toString());
        assertThat(refused.exitCode()).as(refused.output()).isEqualTo(4);
        assertThat(refused.stderr()).hasLineCount(1)
                .contains("certificate of " + registry.hostAs(TestHosts.REGISTRY) + " refused: the certificate is not"
                        + " signed by a trusted CA")
                .contains("/.config/containers/certs.d/" + registry.hostAs(TestHosts.REGISTRY) + "/*.crt or --ca-file");
        assertThat(work.resolve("r0")).doesNotExist();

        Path machine = work.resolve("machine");
        Path dir = Files.createDirectories(machine.resolve("etc/containers/certs.d").resolve(registry.hostAs(TestHosts.REGISTRY)));
        Files.copy(pki.caCert(), dir.resolve("ca.crt"));
        KrgoCli.Result viaCertsD = krgo("certs-d", machine, "pull", "-q", image, "-r", work.resolve("r1").toString());
        assertThat(viaCertsD.exitCode()).as(viaCertsD.output()).isZero();
        assertThat(work.resolve("r1/etc/hello")).hasContent("hello over TLS");

        KrgoCli.Result viaFlag = krgo("ca-file", root, "pull", "-q", image, "-r", work.resolve("r2").toString(),
                "--ca-file", pki.caCert().toString());
        assertThat(viaFlag.exitCode()).as(viaFlag.output()).isZero();
        assertThat(work.resolve("r2/etc/hello")).hasContent("hello over TLS");

        // push over TLS too: commit needs git layers, so copy the image within the registry.
        KrgoCli.Result copy = krgo("copy", root, "copy", image, registry.hostAs(TestHosts.REGISTRY) + "/cli/copy:1",
                "--ca-file", pki.caCert().toString());
        assertThat(copy.exitCode()).as(copy.output()).isZero();
        assertThat(registry.countRequests("PUT", "/v2/cli/copy/manifests/1")).isEqualTo(1);
    }

    @Test
    void mutualTlsWithCertAndKeyFlags() throws IOException {
        String image = mtls.hostAs(TestHosts.REGISTRY) + "/cli/app:1";
        TestPki.Pair client = pki.client("cli", TestPki.KeyKind.RSA_PKCS8);
        KrgoCli.Result pushed = krgo("mtls-copy", root, "copy", registry.hostAs(TestHosts.REGISTRY) + "/cli/app:1", image,
                "--ca-file", pki.caCert().toString(), "--cert", client.cert().toString(), "--key", client.key().toString());
        assertThat(pushed.exitCode()).as(pushed.output()).isZero();

        KrgoCli.Result without = krgo("mtls-none", root, "pull", "-q", image, "-r", work.resolve("m0").toString(),
                "--ca-file", pki.caCert().toString());
        assertThat(without.exitCode()).as(without.output()).isEqualTo(4);
        assertThat(without.stderr()).contains("refused krgo's client certificate, or wants one");

        KrgoCli.Result with = krgo("mtls", root, "pull", "-q", image, "-r", work.resolve("m1").toString(),
                "--ca-file", pki.caCert().toString(), "--cert", client.cert().toString(), "--key", client.key().toString());
        assertThat(with.exitCode()).as(with.output()).isZero();
        assertThat(work.resolve("m1/etc/hello")).hasContent("hello over TLS");

        KrgoCli.Result half = krgo("half", root, "pull", image, "--cert", client.cert().toString());
        assertThat(half.exitCode()).isEqualTo(1);
        assertThat(half.stderr()).contains("--cert needs --key");
    }

    @Test
    void aTlsRegistryOnALoopbackAddressIsPulledWithItsCaAlone() throws IOException {
        String image = registry.host() + "/cli/app:1";
        assertThat(image).startsWith("127.0.0.1:");
        KrgoCli.Result pulled = krgo("loopback", root, "pull", "-q", image, "-r", work.resolve("l1").toString(),
                "--ca-file", pki.caCert().toString());
        assertThat(pulled.exitCode()).as(pulled.output()).isZero();
        assertThat(work.resolve("l1/etc/hello")).hasContent("hello over TLS");

        KrgoCli.Result untrusted = krgo("loopback-untrusted", root, "pull", "-q", image, "-r",
                work.resolve("l2").toString());
        assertThat(untrusted.exitCode()).as(untrusted.output()).isEqualTo(4);
        assertThat(untrusted.stderr()).contains("certificate of " + registry.host() + " refused");
    }
}
