package io.krgo.cli;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The progress display on a (pseudo) terminal and off it, and the completion script. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProgressAndCompletionTest {
    private static final String CURSOR_UP_2 = "\033[2A";
    private RegistryHarness registry;
    private Path work;
    private String image;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        work = Files.createTempDirectory("krgo-progress-test");
        Path l1 = Fixtures.baseLayer(work.resolve("l1.tar"));
        Path big = Fixtures.bigLayer(work.resolve("big.tar"), 4 * 1024 * 1024);
        OciFixtures.pushImage(registry, work, "demo/big:v1", new PlatformImage("linux", "amd64", List.of(l1, big)));
        image = registry.host() + "/demo/big:v1";
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    @Test
    void ttyProgressRedrawsOneLinePerLayerInPlace() throws Exception {
        Path home = Files.createDirectories(work.resolve("home-tty"));
        KrgoCli.Result r = KrgoCli.runInProcess(home, null, "pull", image, "-r", work.resolve("tty").toString(),
                "--progress=tty");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        String out = r.stdout();
        assertThat(out).contains(CURSOR_UP_2).contains(TtyProgress.ERASE_LINE).contains("Waiting")
                .contains("Downloading").contains("Extracting").contains("Pull complete").contains("Done.");
        // the last frame: both layers complete, then the result line
        String lastFrame = out.substring(out.lastIndexOf(CURSOR_UP_2));
        assertThat(lastFrame.split("\n")).hasSize(3);
        assertThat(lastFrame).doesNotContain("Downloading").contains("4.0 MiB");
        assertThat(lastFrame.split("Pull complete", -1)).hasSize(3);
    }

    @Test
    void autoProgressRedrawsOnAPseudoTerminalOnly() throws Exception {
        Tools.require("script", "bsdutils");
        Path home = Files.createDirectories(work.resolve("home-pty"));
        List<String> java = new ArrayList<>(KrgoCli.javaCommand("pull", image, "-r", work.resolve("pty").toString()));
        java.add(1, "-Duser.home=" + home);
        String command = java.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
        Tools.Result onPty = Tools.runAllowingFailure(List.of("script", "-qec", command, "/dev/null"),
                Map.of("HOME", home.toString(), "TERM", "xterm"));
        assertThat(onPty.exitCode()).as(onPty.stdout() + onPty.stderr()).isZero();
        assertThat(onPty.stdout()).contains(CURSOR_UP_2).contains("\033[2K").contains("Pull complete");

        // not a terminal: one plain line per event, no escape sequences
        KrgoCli.Result piped = KrgoCli.run(home, Map.of(), null, "pull", image, "-r", work.resolve("piped").toString());
        assertThat(piped.exitCode()).as(piped.toString()).isZero();
        assertThat(piped.stdout()).doesNotContain("\033").contains("layer 1: ").contains("layer 2: applied");
    }

    @Test
    void plainAndJsonOutputs() throws Exception {
        Path home = Files.createDirectories(work.resolve("home-json"));
        KrgoCli.Result r = KrgoCli.runInProcess(home, null, "pull", image, "-r", work.resolve("json").toString(), "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdoutBytes());
        assertThat(json.path("layers").asInt()).isEqualTo(2);
        assertThat(json.path("digest").asText()).startsWith("sha256:");
        assertThat(json.path("upToDate").asBoolean()).isFalse();
        KrgoCli.Result again = KrgoCli.runInProcess(home, null, "pull", image, "-r", work.resolve("json").toString(),
                "--progress=plain");
        assertThat(again.stdout()).contains("Already up to date").doesNotContain("\033");
    }

    @Test
    void completionScriptCoversTheCommandsAndLoadsInBash() throws Exception {
        Path home = Files.createDirectories(work.resolve("home-completion"));
        KrgoCli.Result r = KrgoCli.runInProcess(home, null, "completion", "bash");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        for (String sub : List.of("pull", "push", "commit", "inspect", "digest", "tags", "copy", "export", "login",
                "logout", "completion", "version", "--platform", "--progress")) {
            assertThat(r.stdout()).contains(sub);
        }
        Path script = work.resolve("krgo-completion.bash");
        Files.write(script, r.stdoutBytes());
        String registered = Tools.run(List.of("bash", "-c", "source '" + script + "' && complete -p krgo"));
        assertThat(registered).contains("krgo");
        InspectCommandsTest.assertError(KrgoCli.runInProcess(home, null, "completion", "fish"), 1, "bash");
    }

    @Test
    void everyCommandHasHelpWithExamples() throws Exception {
        Path home = Files.createDirectories(work.resolve("home-help"));
        for (String sub : List.of("pull", "push", "commit", "inspect", "digest", "tags", "copy", "export", "login",
                "logout", "completion")) {
            KrgoCli.Result r = KrgoCli.runInProcess(home, null, sub, "--help");
            assertThat(r.exitCode()).as(sub + ": " + r).isZero();
            assertThat(r.stdout()).as(sub).startsWith("Usage: krgo " + sub).contains("Example");
            assertThat(r.stdout().lines().filter(l -> l.length() > 80).toList()).as(sub).isEmpty();
        }
        KrgoCli.Result help = KrgoCli.runInProcess(home, null, "help", "tags");
        assertThat(help.stdout()).startsWith("Usage: krgo tags");
    }
}
