package io.krgo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.krgo.cli.InspectCommandsTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** login/logout against registries with Basic and with token authentication. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoginTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private RegistryHarness basic;
    private RegistryHarness token;
    private Path work;

    @BeforeAll
    void start() throws Exception {
        basic = RegistryHarness.start(RegistryHarness.Mode.BASIC);
        token = RegistryHarness.start(RegistryHarness.Mode.TOKEN);
        work = Files.createTempDirectory("krgo-login-test");
        Path l1 = Fixtures.baseLayer(work.resolve("l1.tar"));
        for (RegistryHarness r : List.of(basic, token)) {
            OciFixtures.pushImage(r, work, "team/app:v1", new PlatformImage("linux", "amd64", List.of(l1)));
        }
    }

    @AfterAll
    void stop() {
        for (RegistryHarness r : new RegistryHarness[] {basic, token}) {
            if (r != null) {
                r.close();
            }
        }
        Tools.deleteTree(work);
    }

    @Test
    void basicLoginStoresUsesAndRemovesCredentials() throws Exception {
        loginRoundTrip(basic, "basic");
    }

    @Test
    void tokenLoginStoresUsesAndRemovesCredentials() throws Exception {
        loginRoundTrip(token, "token");
    }

    private void loginRoundTrip(RegistryHarness registry, String name) throws Exception {
        Path home = Files.createDirectories(work.resolve("home-" + name));
        Path config = home.resolve(".docker/config.json");
        String host = registry.host();
        // without credentials the private repository is refused
        assertError(KrgoCli.runInProcess(home, null, "tags", host + "/team/app"), 3, host);

        assertError(KrgoCli.runInProcess(home, "wrong-password\n", "login", host, "-u", registry.username(), "--password-stdin"),
                3, "wrong username or password");
        assertThat(config).doesNotExist();

        // what was there stays there
        Files.createDirectories(config.getParent());
        Files.writeString(config, "{\"auths\":{\"other.example\":{\"auth\":\"" + b64("a:b") + "\"}},"
                + "\"HttpHeaders\":{\"X-Test\":\"1\"}}");
        KrgoCli.Result login = KrgoCli.runInProcess(home, registry.password() + "\n", "login", host, "-u", registry.username(),
                "--password-stdin");
        assertThat(login.exitCode()).as(login.toString()).isZero();
        assertThat(login.stdout()).contains("Login succeeded");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        JsonNode stored = JSON.readTree(config.toFile());
        assertThat(stored.path("auths").path(host).path("auth").asText())
                .isEqualTo(b64(registry.username() + ":" + registry.password()));
        assertThat(stored.path("auths").path("other.example").path("auth").asText()).isEqualTo(b64("a:b"));
        assertThat(stored.path("HttpHeaders").path("X-Test").asText()).isEqualTo("1");
        assertThat(login.stdout() + login.stderr()).doesNotContain(registry.password());
        try (var files = Files.list(config.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("config.json");
        }

        // the stored credentials are used
        KrgoCli.Result tags = KrgoCli.runInProcess(home, null, "tags", host + "/team/app");
        assertThat(tags.exitCode()).as(tags.toString()).isZero();
        assertThat(tags.stdout().strip()).isEqualTo("v1");

        KrgoCli.Result logout = KrgoCli.runInProcess(home, null, "logout", host);
        assertThat(logout.exitCode()).as(logout.toString()).isZero();
        stored = JSON.readTree(config.toFile());
        assertThat(stored.path("auths").has(host)).isFalse();
        assertThat(stored.path("auths").has("other.example")).isTrue();
        assertError(KrgoCli.runInProcess(home, null, "tags", host + "/team/app"), 3, host);
        assertThat(KrgoCli.runInProcess(home, null, "logout", host).stdout()).contains("Not logged in");
    }

    @Test
    void dockerConfigVariableAndCredentialHelperAreHonoured() throws Exception {
        Path home = Files.createDirectories(work.resolve("home-env"));
        Path dockerConfig = Files.createDirectories(work.resolve("docker-config"));
        Map<String, String> env = Map.of("DOCKER_CONFIG", dockerConfig.toString());
        KrgoCli.Result login = KrgoCli.run(home, env, basic.password() + "\n", "login", basic.host(), "-u",
                basic.username(), "--password-stdin");
        assertThat(login.exitCode()).as(login.toString()).isZero();
        assertThat(dockerConfig.resolve("config.json")).exists();
        assertThat(home.resolve(".docker")).doesNotExist();

        // a credsStore: the secret goes to the helper, not into the file
        Path bin = Files.createDirectories(work.resolve("bin"));
        Path store = work.resolve("helper-store.json");
        Path helper = bin.resolve("docker-credential-krgotest");
        Files.writeString(helper, "#!/bin/sh\ncase \"$1\" in\n"
                + "store) cat > '" + store + "' ;;\n"
                + "get) cat > /dev/null; if [ -f '" + store + "' ]; then cat '" + store + "'; else echo 'credentials not found'; exit 1; fi ;;\n"
                + "erase) cat > /dev/null; rm -f '" + store + "' ;;\nesac\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path helperConfig = Files.createDirectories(work.resolve("helper-config"));
        Files.writeString(helperConfig.resolve("config.json"), "{\"credsStore\":\"krgotest\"}");
        Map<String, String> helperEnv = Map.of("DOCKER_CONFIG", helperConfig.toString(),
                "PATH", bin + ":" + System.getenv("PATH"));
        login = KrgoCli.run(home, helperEnv, basic.password() + "\n", "login", basic.host(), "-u",
                basic.username(), "--password-stdin");
        assertThat(login.exitCode()).as(login.toString()).isZero();
        assertThat(JSON.readTree(store.toFile()).path("Secret").asText()).isEqualTo(basic.password());
        assertThat(Files.readString(helperConfig.resolve("config.json"))).doesNotContain(b64(basic.username() + ":"
                + basic.password()));
        KrgoCli.Result tags = KrgoCli.run(home, helperEnv, null, "tags", basic.host() + "/team/app");
        assertThat(tags.exitCode()).as(tags.toString()).isZero();
        assertThat(tags.stdout().strip()).isEqualTo("v1");
        assertThat(KrgoCli.run(home, helperEnv, null, "logout", basic.host()).exitCode()).isZero();
        assertThat(store).doesNotExist();
    }

    @Test
    void copyWithTokensMountsWithinTheRegistry() throws Exception {
        Path home = Files.createDirectories(work.resolve("home-copy"));
        String host = token.host();
        KrgoCli.Result r = KrgoCli.runInProcess(home, token.password() + "\n", "copy", "--json", "-u", token.username(),
                "--password-stdin", host + "/team/app:v1", host + "/team/copy:v1");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode json = JSON.readTree(r.stdoutBytes());
        assertThat(json.path("layers").path("mounted").asInt()).isEqualTo(1);
        assertError(KrgoCli.runInProcess(home, "wrong\n", "copy", "-u", token.username(), "--password-stdin",
                host + "/team/app:v1", host + "/team/copy2:v1"), 3, "wrong username or password");
    }

    @Test
    void usageErrors() throws Exception {
        Path home = Files.createDirectories(work.resolve("home-usage"));
        assertError(KrgoCli.runInProcess(home, "", "login", basic.host(), "-u", "me", "--password-stdin"), 1, "standard input");
        assertError(KrgoCli.runInProcess(home, null, "login", basic.host(), "-u", "me"), 1, "--password-stdin");
        assertError(KrgoCli.runInProcess(home, "pw\n", "login", "127.0.0.1:1", "-u", "me", "--password-stdin"), 4, "127.0.0.1:1");
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
