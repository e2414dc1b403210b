package io.krgo.registry;

import io.krgo.error.AuthException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Basic and token authentication against real registries. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryAuthTest {
    private RegistryHarness basic;
    private RegistryHarness token;
    private Path work;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("krgo-auth-test");
        Path layer = OciFixtures.tar(work.resolve("l.tar"), Map.of("a.txt", "auth test\n"));
        PlatformImage image = new PlatformImage("linux", "amd64", List.of(layer));
        basic = RegistryHarness.start(Mode.BASIC);
        token = RegistryHarness.start(Mode.TOKEN);
        OciFixtures.pushImage(basic, work, "private/app:v1", image);
        OciFixtures.pushImage(token, work, "private/app:v1", image);
        OciFixtures.pushImage(token, work, "public/app:v1", image);
    }

    @AfterAll
    void stop() {
        for (RegistryHarness h : new RegistryHarness[] {basic, token}) {
            if (h != null) {
                h.close();
            }
        }
        Tools.deleteTree(work);
    }

    private static RegistryClient client(RegistryHarness h, Credentials c) {
        return new RegistryClient(h.host(), RegistryOptions.defaults().withRetry(RetryPolicy.NONE), c);
    }

    private static Credentials good(RegistryHarness h) {
        return Credentials.basic(h.username(), h.password());
    }

    @Test
    void basicAuthWithTheRightPasswordPulls() {
        try (RegistryClient c = client(basic, good(basic))) {
            RegistryImage image = RegistryImage.resolve(c, Reference.parse(basic.host() + "/private/app:v1"),
                    Platform.parse("linux/amd64"));
            assertThat(image.layers()).hasSize(1);
        }
    }

    @Test
    void basicAuthWithoutCredentialsSaysAuthenticationRequired() {
        try (RegistryClient c = client(basic, null)) {
            assertThatThrownBy(() -> c.getManifest("private/app", "v1"))
                    .isInstanceOf(AuthException.class)
                    .hasMessage("authentication required for private/app at " + basic.host());
        }
    }

    @Test
    void basicAuthWithAWrongPasswordSaysSoWithoutLeakingIt() {
        try (RegistryClient c = client(basic, Credentials.basic(basic.username(), "wrong-horse"))) {
            assertThatThrownBy(() -> c.getManifest("private/app", "v1"))
                    .isInstanceOf(AuthException.class)
                    .hasMessage("wrong username or password for " + basic.host())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-horse"));
        }
    }

    @Test
    void tokenAuthWithCredentialsPullsAndCachesTheToken() {
        try (RegistryClient c = client(token, good(token))) {
            int before = token.tokenIssuer().requests();
            RawManifest m = c.getManifest("private/app", "v1");
            c.getManifest("private/app", "v1");
            c.headManifest("private/app", m.digest().toString());
            byte[] config = c.readSmallBlob("private/app", m.manifest().config());
            assertThat(Digest.sha256(config).toString()).isEqualTo(m.manifest().config().digest());
            // one token for repository:private/app:pull, reused for every request
            assertThat(token.tokenIssuer().requests() - before).isEqualTo(1);
        }
    }

    @Test
    void anExpiredTokenIsFetchedAgain() throws InterruptedException {
        token.tokenIssuer().setExpiresIn(1);
        try (RegistryClient c = client(token, good(token))) {
            int before = token.tokenIssuer().requests();
            c.getManifest("public/app", "v1");
            Thread.sleep(1100);
            c.getManifest("public/app", "v1");
            assertThat(token.tokenIssuer().requests() - before).isEqualTo(2);
        } finally {
            token.tokenIssuer().setExpiresIn(300);
        }
    }

    @Test
    void tokenAuthAnonymousPullsPublicButNotPrivate() {
        try (RegistryClient c = client(token, null)) {
            assertThat(c.getManifest("public/app", "v1").manifest().layers()).hasSize(1);
            assertThatThrownBy(() -> c.getManifest("private/app", "v1"))
                    .isInstanceOf(AuthException.class)
                    .hasMessage("authentication required for private/app at " + token.host());
        }
    }

    @Test
    void anIdentityTokenIsExchangedWithARefreshTokenGrant() {
        try (RegistryClient c = client(token, Credentials.identityToken("", io.krgo.testing.TokenIssuer.REFRESH_TOKEN))) {
            assertThat(c.getManifest("private/app", "v1").manifest().layers()).hasSize(1);
        }
        try (RegistryClient c = client(token, Credentials.identityToken("", "stale-token"))) {
            assertThatThrownBy(() -> c.getManifest("private/app", "v1")).isInstanceOf(AuthException.class);
        }
    }

    @Test
    void tokenAuthWithAWrongPasswordFailsAtTheTokenService() {
        try (RegistryClient c = client(token, Credentials.basic(token.username(), "nope-nope"))) {
            assertThatThrownBy(() -> c.getManifest("private/app", "v1"))
                    .isInstanceOf(AuthException.class)
                    .hasMessage("wrong username or password for " + token.host());
        }
    }

    @Test
    void tokenAuthPushUsesAPushScope() {
        byte[] blob = "pushed with a token\n".getBytes(StandardCharsets.UTF_8);
        Descriptor d = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(blob), blob.length);
        try (RegistryClient c = client(token, good(token))) {
            c.uploadBlob("private/pushed", d, () -> new ByteArrayInputStream(blob));
            assertThat(c.blobExists("private/pushed", d.parsedDigest())).isTrue();
            try (InputStream in = c.openBlob("private/pushed", d)) {
                assertThat(in.readAllBytes()).isEqualTo(blob);
            }
            // a mount needs push on the target and pull on the source in one token
            assertThat(c.mountBlob("private/mounted", d.parsedDigest(), "private/pushed")).isTrue();
            assertThat(c.blobExists("private/mounted", d.parsedDigest())).isTrue();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void manyThreadsShareOneClient() throws Exception {
        try (RegistryClient c = client(token, good(token))) {
            RawManifest m = c.getManifest("private/app", "v1");
            Descriptor layer = m.manifest().layers().get(0);
            var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                List<java.util.concurrent.Future<byte[]>> reads = new java.util.ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    reads.add(pool.submit(() -> {
                        try (InputStream in = c.openBlob("private/app", layer)) {
                            return in.readAllBytes();
                        }
                    }));
                }
                for (var f : reads) {
                    assertThat(Digest.sha256(f.get()).toString()).isEqualTo(layer.digest());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void anonymousPushToATokenRegistryIsRefused() {
        byte[] blob = "x".getBytes(StandardCharsets.UTF_8);
        Descriptor d = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(blob), blob.length);
        try (RegistryClient c = client(token, null)) {
            assertThatThrownBy(() -> c.uploadBlob("public/app", d, () -> new ByteArrayInputStream(blob)))
                    .isInstanceOf(AuthException.class)
                    .hasMessageContaining("public/app");
        }
    }

    @Test
    void credentialsFromDockerConfigAreUsed() throws Exception {
        Path home = Files.createTempDirectory(work, "home");
        Files.createDirectories(home.resolve(".docker"));
        String auth = java.util.Base64.getEncoder().encodeToString(
                (basic.username() + ":" + basic.password()).getBytes(StandardCharsets.UTF_8));
        Files.writeString(home.resolve(".docker/config.json"),
                "{\"auths\":{\"http://" + basic.host() + "\":{\"auth\":\"" + auth + "\"}}}");
        CredentialResolver resolver = new CredentialResolver(Map.of(), home);
        Reference ref = Reference.parse(basic.host() + "/private/app:v1");
        try (RegistryClient c = RegistryClient.forReference(ref,
                RegistryOptions.defaults().withRetry(RetryPolicy.NONE), resolver)) {
            assertThat(c.getManifest(ref.repository(), ref.identifier()).manifest().layers()).hasSize(1);
        }
    }
}
