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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.krgo.cli.InspectCommandsTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** A containers-auth.json written by {@code skopeo login} gives krgo access to a Basic-auth registry. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SkopeoAuthFileTest {
    private RegistryHarness registry;
    private Path work;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.BASIC);
        work = Files.createTempDirectory("krgo-authfile-test");
        Path l1 = Fixtures.baseLayer(work.resolve("l1.tar"));
        OciFixtures.pushImage(registry, work, "team/app:v1", new PlatformImage("linux", "amd64", List.of(l1)));
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    @Test
    void pullsWithTheAuthFileSkopeoLoginWrote() throws Exception {
        Tools.require("skopeo", "skopeo");
        Path home = Files.createDirectories(work.resolve("home"));
        Path authFile = work.resolve("auth/auth.json");
        Files.createDirectories(authFile.getParent());
        Tools.Result login = Tools.runAllowingFailure(List.of("skopeo", "login", "--authfile", authFile.toString(),
                        "--tls-verify=false", "-u", registry.username(), "-p", registry.password(), registry.host()),
                Map.of("HOME", home.toString()));
        assertThat(login.exitCode()).as(login.stdout() + login.stderr()).isZero();
        JsonNode written = new ObjectMapper().readTree(authFile.toFile());
        assertThat(written.path("auths").has(registry.host())).as(written.toString()).isTrue();

        String image = registry.host() + "/team/app:v1";
        // without the file (and with an empty home) the private repository is refused
        assertError(KrgoCli.run(home, Map.of(), null, "pull", image, "-r", work.resolve("refused").toString()),
                3, registry.host());
        assertThat(work.resolve("refused")).doesNotExist();

        Path rootfs = work.resolve("rootfs");
        KrgoCli.Result pulled = KrgoCli.run(home, Map.of("REGISTRY_AUTH_FILE", authFile.toString()), null,
                "pull", image, "-r", rootfs.toString());
        assertThat(pulled.exitCode()).as(pulled.toString()).isZero();
        assertThat(rootfs.resolve("etc/hello.txt")).hasContent("hello from layer one\n");

        // skopeo can log in for one repository: the key is host/team/app, and krgo matches it
        Path repoAuthFile = work.resolve("auth/repo.json");
        Tools.Result repoLogin = Tools.runAllowingFailure(List.of("skopeo", "login", "--authfile",
                        repoAuthFile.toString(), "--tls-verify=false", "-u", registry.username(), "-p",
                        registry.password(), registry.host() + "/team/app"),
                Map.of("HOME", home.toString()));
        assertThat(repoLogin.exitCode()).as(repoLogin.stdout() + repoLogin.stderr()).isZero();
        JsonNode repoWritten = new ObjectMapper().readTree(repoAuthFile.toFile());
        assertThat(repoWritten.path("auths").has(registry.host() + "/team/app")).as(repoWritten.toString()).isTrue();
        assertThat(repoWritten.path("auths").has(registry.host())).isFalse();
        KrgoCli.Result perRepo = KrgoCli.run(home, Map.of("REGISTRY_AUTH_FILE", repoAuthFile.toString()), null,
                "tags", registry.host() + "/team/app");
        assertThat(perRepo.exitCode()).as(perRepo.toString()).isZero();
        assertThat(perRepo.stdout()).contains("v1");
        // ...and for that repository only
        assertError(KrgoCli.run(home, Map.of("REGISTRY_AUTH_FILE", repoAuthFile.toString()), null,
                "tags", registry.host() + "/team/other"), 3, registry.host());

        // the same file found as $XDG_RUNTIME_DIR/containers/auth.json
        Path runtimeDir = work.resolve("run-user");
        Files.createDirectories(runtimeDir.resolve("containers"));
        Files.copy(authFile, runtimeDir.resolve("containers/auth.json"));
        KrgoCli.Result viaRuntimeDir = KrgoCli.run(home, Map.of("XDG_RUNTIME_DIR", runtimeDir.toString()), null,
                "tags", registry.host() + "/team/app");
        assertThat(viaRuntimeDir.exitCode()).as(viaRuntimeDir.toString()).isZero();
        assertThat(viaRuntimeDir.stdout()).contains("v1");
    }
}
