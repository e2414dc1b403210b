package io.krgo.cli;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --retries} and {@code --timeout} of the CLI, against a fault-injecting proxy of ours in front of a real
 * registry (Debian's docker-registry): a stalled body ends after the timeout with a message saying so, a 503 is
 * fatal with {@code --retries 0} and healed by the default retries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransportFlagsTest {
    private RegistryHarness registry;
    private Path work;

    @BeforeAll
    void start() throws IOException {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        work = Files.createTempDirectory("krgo-transport-flags");
        Path layer = OciFixtures.tar(work.resolve("layer.tar"), Map.of("etc/flags", "through a faulty network\n"));
        OciFixtures.pushImage(registry, work, "flags/app:1", new PlatformImage("linux", "amd64", List.of(layer)));
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result krgo(String name, String... args) throws IOException {
        return KrgoCli.run(Files.createDirectories(work.resolve("home-" + name)), null, args);
    }

    private static boolean isBlobGet(com.sun.net.httpserver.HttpExchange ex) {
        return ex.getRequestMethod().equals("GET") && ex.getRequestURI().getPath().contains("/blobs/sha256:");
    }

    @Test
    void aStalledBodyFailsAfterTheTimeoutWithAMessageSayingSo() throws IOException {
        AtomicInteger stalled = new AtomicInteger();
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!isBlobGet(ex)) {
                     return false;
                 }
                 stalled.incrementAndGet();
                 LoopbackProxy.Upstream up = self.fetch(ex);
                 self.respondDrippingThenStalling(ex, up, up.body(), 10, Duration.ZERO, 10);
                 return true;
             })) {
            Path dir = work.resolve("stalled");
            KrgoCli.Result r = krgo("stalled", "pull", "-q", front.host() + "/flags/app:1", "-r", dir.toString(),
                    "--timeout", "2s", "--retries", "0");
            assertThat(r.exitCode()).as(r.output()).isEqualTo(4);
            assertThat(r.stderr()).hasLineCount(1).contains("registry " + front.host() + " timed out")
                    .contains("no data for 2.0 s");
            assertThat(stalled).as("no second try with --retries 0").hasValue(1);
            assertThat(dir).doesNotExist();
        }
    }

    @Test
    void aStalledAnswerFailsAfterTheTimeout() throws IOException {
        try (LoopbackProxy front = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (!ex.getRequestURI().getPath().contains("/manifests/")) {
                     return false;
                 }
                 try {
                     Thread.sleep(60_000); // accepts the request, never answers
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return true;
             })) {
            KrgoCli.Result r = krgo("silent", "inspect", front.host() + "/flags/app:1", "--timeout", "1500ms",
                    "--retries", "0");
            assertThat(r.exitCode()).as(r.output()).isEqualTo(4);
            assertThat(r.stderr()).hasLineCount(1).contains("registry " + front.host() + " timed out: no answer for 1.5 s");
        }
    }

    /** A proxy answering the first {@code failures} manifest requests with 503. */
    private LoopbackProxy failingManifests(AtomicInteger asked, int failures) {
        return LoopbackProxy.start(registry.host(), (ex, self) -> {
            if (!ex.getRequestURI().getPath().contains("/manifests/")) {
                return false;
            }
            if (asked.incrementAndGet() > failures) {
                return false;
            }
            ex.getResponseHeaders().set("Retry-After", "0");
            ex.sendResponseHeaders(503, -1);
            return true;
        });
    }

    @Test
    void retriesZeroFailsAtTheFirst503AndTheDefaultRetriesRecover() throws IOException {
        AtomicInteger asked = new AtomicInteger();
        try (LoopbackProxy front = failingManifests(asked, 2)) {
            Path dir = work.resolve("once");
            KrgoCli.Result once = krgo("once", "pull", "-q", front.host() + "/flags/app:1", "-r", dir.toString(),
                    "--retries", "0");
            assertThat(once.exitCode()).as(once.output()).isEqualTo(4);
            assertThat(once.stderr()).hasLineCount(1).contains("answered 503");
            assertThat(asked).hasValue(1);
            assertThat(dir).doesNotExist();
        }
        asked.set(0);
        try (LoopbackProxy front = failingManifests(asked, 2)) {
            Path dir = work.resolve("retried");
            KrgoCli.Result retried = krgo("retried", "pull", "-q", front.host() + "/flags/app:1", "-r", dir.toString());
            assertThat(retried.exitCode()).as(retried.output()).isZero();
            assertThat(dir.resolve("etc/flags")).hasContent("through a faulty network");
            assertThat(asked).as("two 503s, then the answer").hasValue(3);
        }
    }

    @Test
    void badValuesAreUsageErrors() throws IOException {
        for (String[] args : List.of(new String[] {"--timeout", "soon"}, new String[] {"--timeout", "0s"},
                new String[] {"--timeout", "2x"}, new String[] {"--retries", "-1"})) {
            KrgoCli.Result r = krgo("bad", "digest", registry.host() + "/flags/app:1", args[0], args[1]);
            assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.output()).isEqualTo(1);
            assertThat(r.stderr()).contains(args[0]);
        }
        // The flags exist on every command that talks to a registry.
        for (String command : List.of("pull", "push", "copy", "inspect", "digest", "tags", "export", "verify", "login")) {
            KrgoCli.Result help = krgo("help", command, "--help");
            assertThat(help.stdout()).as(command).contains("--retries=N").contains("--timeout=DURATION");
        }
    }
}
