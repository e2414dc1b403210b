package io.krgo.cli;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI, with --debug (stack traces of errors), against Basic and token registries: neither a wrong nor a
 * right password appears in anything it prints, in clear or base64 (as in a Basic header).
 */
class SecretsNeverPrintedTest {
    private static final String WRONG = "wr0ng-S3cret-Xyz";

    private static List<String> forms(String user, String password) {
        Base64.Encoder b64 = Base64.getEncoder();
        return List.of(password,
                b64.encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)),
                b64.encodeToString(password.getBytes(StandardCharsets.UTF_8)));
    }

    private static void assertNoSecret(KrgoCli.Result r, String user, String... passwords) {
        for (String password : passwords) {
            for (String form : forms(user, password)) {
                assertThat(r.stdout()).doesNotContain(form);
                assertThat(r.stderr()).doesNotContain(form);
            }
        }
    }

    /** krgo in this JVM with {@code home} as the user's home (no Docker config) and its own content store. */
    private static KrgoCli.Result krgo(Path home, String stdin, String... args) {
        return KrgoCli.runInProcess(Map.of("user.home", home.toString(), "krgo.cache", home.resolve("cache").toString()),
                stdin, args);
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"BASIC", "TOKEN"})
    void noPasswordInOutputWithDebug(Mode mode, @TempDir Path home) throws Exception {
        try (RegistryHarness registry = RegistryHarness.start(mode)) {
            Path work = Files.createDirectories(home.resolve("work"));
            Path layer = OciFixtures.tar(work.resolve("l.tar"), Map.of("etc/motd", "secret-free\n"));
            OciFixtures.pushImage(registry, work, "sec/app:v1", new PlatformImage("linux", "amd64", List.of(layer)));
            String user = registry.username();
            String right = registry.password();
            String image = registry.host() + "/sec/app:v1";
            List<KrgoCli.Result> runs = new ArrayList<>();

            KrgoCli.Result wrong = krgo(home, null, "pull", "--debug", image, "-r", home.resolve("a").toString(),
                    "-u", user + ":" + WRONG);
            assertThat(wrong.exitCode()).as(wrong.toString()).isEqualTo(3);
            assertThat(wrong.stderr()).as("--debug prints the stack trace").contains("at io.krgo.");
            runs.add(wrong);

            KrgoCli.Result wrongStdin = krgo(home, WRONG + "\n", "pull", "--debug", image,
                    "-r", home.resolve("b").toString(), "-u", user, "--password-stdin");
            assertThat(wrongStdin.exitCode()).as(wrongStdin.toString()).isEqualTo(3);
            runs.add(wrongStdin);

            KrgoCli.Result ok = krgo(home, null, "pull", "--debug", image, "-r", home.resolve("c").toString(),
                    "-u", user + ":" + right);
            assertThat(ok.exitCode()).as(ok.toString()).isZero();
            assertThat(home.resolve("c/etc/motd")).hasContent("secret-free\n");
            assertThat(ok.stderr()).as("--debug logs the HTTP exchanges").contains("debug: GET ");
            runs.add(ok);

            KrgoCli.Result pushOk = krgo(home, right + "\n", "push", "--debug", registry.host() + "/sec/copy:v1",
                    "-r", home.resolve("c").toString(), "-u", user, "--password-stdin");
            assertThat(pushOk.exitCode()).as(pushOk.toString()).isZero();
            runs.add(pushOk);

            KrgoCli.Result pushWrong = krgo(home, null, "push", "--debug", registry.host() + "/sec/copy:v2",
                    "-r", home.resolve("c").toString(), "-u", user + ":" + WRONG);
            assertThat(pushWrong.exitCode()).as(pushWrong.toString()).isEqualTo(3);
            runs.add(pushWrong);

            for (KrgoCli.Result r : runs) {
                assertNoSecret(r, user, WRONG, right);
            }
        }
    }
}
