package io.krgo.registry;

import io.krgo.error.RegistryException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.MediaTypes;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * HTTPS by default, plain HTTP only with insecure (or on loopback), and certificate errors named. All on
 * 127.0.0.1: the options stop treating loopback as plain-HTTP-allowed, so it stands for a remote registry.
 */
class RegistrySchemeTest {
    private static final RegistryOptions STRICT = RegistryOptions.defaults().withRetry(RetryPolicy.NONE)
            .withPlainHttpOnLoopback(false);
    private static final RegistryOptions INSECURE = STRICT.withInsecure(true);

    private static void roundTrip(RegistryClient c) throws IOException {
        byte[] blob = "over the network\n".getBytes(StandardCharsets.UTF_8);
        Descriptor d = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(blob), blob.length);
        c.uploadBlob("scheme/test", d, () -> new ByteArrayInputStream(blob));
        try (InputStream in = c.openBlob("scheme/test", d)) {
            assertThat(in.readAllBytes()).isEqualTo(blob);
        }
    }

    @Test
    void aPlainHttpRegistryNeedsInsecureUnlessLoopbackIsTrusted() throws IOException {
        try (RegistryHarness registry = RegistryHarness.start(Mode.ANONYMOUS)) {
            long before = registry.countRequests("GET", "/v2/.*");
            try (RegistryClient strict = new RegistryClient(registry.host(), STRICT, null)) {
                assertThatThrownBy(() -> strict.listTags("scheme/test"))
                        .isInstanceOf(RegistryException.class)
                        .hasMessageStartingWith("TLS failure talking to " + registry.host());
            }
            assertThat(registry.countRequests("GET", "/v2/.*")).as("no plain-HTTP request without insecure")
                    .isEqualTo(before);
            try (RegistryClient insecure = new RegistryClient(registry.host(), INSECURE, null)) {
                roundTrip(insecure);
            }
            try (RegistryClient loopbackDefault = new RegistryClient(registry.host(), RegistryOptions.defaults(), null)) {
                roundTrip(loopbackDefault);
            }
        }
    }

    @Test
    void anUntrustedCertificateIsNamedAndInsecureAcceptsIt() throws IOException {
        try (RegistryHarness registry = RegistryHarness.startTls(Mode.ANONYMOUS)) {
            assertThat(registry.host()).startsWith("127.0.0.1:");
            try (RegistryClient strict = new RegistryClient(registry.host(), STRICT, null)) {
                assertThatThrownBy(() -> strict.listTags("scheme/test"))
                        .isInstanceOf(RegistryException.class)
                        .hasMessage("TLS failure talking to " + registry.host()
                                + ": the certificate is not signed by a trusted authority (self-signed or unknown CA)");
            }
            try (RegistryClient insecure = new RegistryClient(registry.host(), INSECURE, null)) {
                roundTrip(insecure);
            }
            // The default for loopback (plain HTTP) does not silently fall back to anything else.
            try (RegistryClient plain = new RegistryClient(registry.host(),
                    RegistryOptions.defaults().withRetry(RetryPolicy.NONE), null)) {
                assertThatThrownBy(() -> plain.listTags("scheme/test")).isInstanceOf(RegistryException.class);
            }
        }
    }
}
