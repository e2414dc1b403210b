package io.krgo.registry;

import io.krgo.error.AuthException;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CredentialResolverTest {
    private Path home;
    private Path bin;

    @BeforeEach
    void setUp() throws IOException {
        home = Files.createTempDirectory("krgo-home");
        bin = Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve(".docker"));
        // A fake credential helper: knows one server, logs what it was asked to a file.
        Path helper = bin.resolve("docker-credential-test");
        Files.writeString(helper, "#!/bin/sh\n"
                + "[ \"$1\" = get ] || exit 2\n"
                + "read -r server\n"
                + "echo \"$server\" >> \"$(dirname \"$0\")/asked\"\n"
                + "case \"$server\" in\n"
                + "  reg.example:5000) echo '{\"ServerURL\":\"reg.example:5000\",\"Username\":\"helper-user\",\"Secret\":\"helper-pass\"}' ;;\n"
                + "  https://index.docker.io/v1/) echo '{\"Username\":\"<token>\",\"Secret\":\"refresh-token\"}' ;;\n"
                + "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
                + "esac\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() {
        Tools.deleteTree(home);
    }

    private void config(String json) throws IOException {
        Files.writeString(home.resolve(".docker/config.json"), json);
    }

    private CredentialResolver resolver() {
        return new CredentialResolver(Map.of("PATH", bin + ":/usr/bin:/bin"), home);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void explicitCredentialsWin() throws IOException {
        config("{\"auths\":{\"reg.example\":{\"auth\":\"" + b64("a:b") + "\"}}}");
        Credentials explicit = Credentials.basic("me", "pw");
        assertThat(resolver().resolve("reg.example", explicit)).contains(explicit);
    }

    @Test
    void authsInEveryKeyForm() throws IOException {
        config("{\"auths\":{"
                + "\"https://one.example\":{\"auth\":\"" + b64("u1:p1:with:colons") + "\"},"
                + "\"http://two.example:5000\":{\"username\":\"u2\",\"password\":\"p2\"},"
                + "\"three.example\":{\"identitytoken\":\"tok3\"},"
                + "\"https://index.docker.io/v1/\":{\"auth\":\"" + b64("hub:hubpw") + "\"}}}");
        CredentialResolver r = resolver();
        assertThat(r.resolve("one.example", null)).contains(Credentials.basic("u1", "p1:with:colons"));
        assertThat(r.resolve("two.example:5000", null)).contains(Credentials.basic("u2", "p2"));
        assertThat(r.resolve("three.example", null)).hasValueSatisfying(c -> assertThat(c.isIdentityToken()).isTrue());
        assertThat(r.resolve("docker.io", null)).contains(Credentials.basic("hub", "hubpw"));
        assertThat(r.resolve("other.example", null)).isEmpty();
    }

    @Test
    void dockerConfigEnvironmentVariableChoosesTheDirectory() throws IOException {
        Path other = Files.createDirectories(home.resolve("elsewhere"));
        Files.writeString(other.resolve("config.json"), "{\"auths\":{\"x.example\":{\"auth\":\"" + b64("e:f") + "\"}}}");
        CredentialResolver r = new CredentialResolver(Map.of("DOCKER_CONFIG", other.toString()), home);
        assertThat(r.resolve("x.example", null)).contains(Credentials.basic("e", "f"));
    }

    @Test
    void credHelpersThenCredsStore() throws IOException {
        config("{\"credHelpers\":{\"reg.example:5000\":\"test\"},\"credsStore\":\"test\","
                + "\"auths\":{\"unknown.example\":{\"auth\":\"" + b64("fallback:pw") + "\"}}}");
        CredentialResolver r = resolver();
        assertThat(r.resolve("reg.example:5000", null)).contains(Credentials.basic("helper-user", "helper-pass"));
        assertThat(r.resolve("docker.io", null)).hasValueSatisfying(c -> {
            assertThat(c.isIdentityToken()).isTrue();
            assertThat(c.identityTokenValue()).isEqualTo("refresh-token");
        });
        // the store does not know it: auths still answer
        assertThat(r.resolve("unknown.example", null)).contains(Credentials.basic("fallback", "pw"));
        assertThat(Files.readString(bin.resolve("asked")).lines())
                .containsExactly("reg.example:5000", "https://index.docker.io/v1/", "unknown.example");
    }

    @Test
    void missingHelperIsAClearAuthError() throws IOException {
        config("{\"credsStore\":\"absent\"}");
        assertThatThrownBy(() -> resolver().resolve("any.example", null))
                .isInstanceOf(AuthException.class).hasMessageContaining("docker-credential-absent");
    }

    @Test
    void noConfigMeansAnonymous() {
        assertThat(resolver().resolve("reg.example", null)).isEmpty();
    }

    @Test
    void credentialsNeverPrintTheirSecret() {
        assertThat(Credentials.basic("alice", "hunter2").toString()).contains("alice").doesNotContain("hunter2");
        assertThat(Credentials.identityToken("", "tok-xyz").toString()).doesNotContain("tok-xyz");
        assertThat(Credentials.parseUserColonPassword("bob:pa:ss")).isEqualTo(Credentials.basic("bob", "pa:ss"));
    }
}
