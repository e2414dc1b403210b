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

/** HTTPS by default, plain HTTP only with insecure (or on loopback), and certificate errors named. */
class RegistrySchemeTest {
    private static final RegistryOptions STRICT = RegistryOptions.defaults().withRetry(RetryPolicy.NONE);
    private static final RegistryOptions INSECURE = new RegistryOptions(null, true, RetryPolicy.NONE, "krgo-test");

    private static void roundTrip(RegistryClient c) throws IOException {
        byte[] blob = "over the network\n".getBytes(StandardCharsets.UTF_8);
        Descriptor d = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(blob), blob.length);
        c.uploadBlob("scheme/test", d, () -> new ByteArrayInputStream(blob));
        try (InputStream in = c.openBlob("scheme/test", d)) {
            assertThat(in.readAllBytes()).isEqualTo(blob);
        }
    }

    @Test
    void aRemotePlainHttpRegistryNeedsInsecure() throws IOException {
        try (RegistryHarness registry = RegistryHarness.startOnExternalAddress(Mode.ANONYMOUS, false)) {
            try (RegistryClient strict = new RegistryClient(registry.host(), STRICT, null)) {
                assertThatThrownBy(() -> strict.listTags("scheme/test"))
                        .isInstanceOf(RegistryException.class)
                        .hasMessageStartingWith("TLS failure talking to " + registry.host());
            }
            try (RegistryClient insecure = new RegistryClient(registry.host(), INSECURE, null)) {
                roundTrip(insecure);
            }
        }
    }

    @Test
    void anUntrustedCertificateIsNamedAndInsecureAcceptsIt() throws IOException {
        try (RegistryHarness registry = RegistryHarness.startOnExternalAddress(Mode.ANONYMOUS, true)) {
            try (RegistryClient strict = new RegistryClient(registry.host(), STRICT, null)) {
                assertThatThrownBy(() -> strict.listTags("scheme/test"))
                        .isInstanceOf(RegistryException.class)
                        .hasMessage("TLS failure talking to " + registry.host()
                                + ": the certificate is not signed by a trusted authority (self-signed or unknown CA)");
            }
            try (RegistryClient insecure = new RegistryClient(registry.host(), INSECURE, null)) {
                roundTrip(insecure);
            }
        }
    }
}
