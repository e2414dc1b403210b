package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two first runs of one image started at once unpack it once: the second waits on the first's lock and
 * then uses its unpacked image, making no request. The registry is reached through a proxy that holds the
 * first blob download until the kernel shows the second run blocked on that lock ({@code /proc/locks}), so
 * the two really overlap whatever the machine's load.
 */
class ConcurrentFirstRunTest {
    @TempDir
    Path tmp;

    @Test
    void twoFirstRunsAtOnceUnpackTheImageOnce() throws Exception {
        Tools.require("runc", "runc");
        Path state = tmp.resolve("state");
        AtomicBoolean held = new AtomicBoolean();
        AtomicBoolean sawWaiter = new AtomicBoolean();
        try (RegistryHarness registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
             LoopbackProxy proxy = LoopbackProxy.start(registry.host(), (ex, self) -> {
                 if (ex.getRequestMethod().equals("GET") && ex.getRequestURI().getPath().contains("/blobs/")
                         && held.compareAndSet(false, true)) {
                     sawWaiter.set(waitForABlockedLock(state.resolve("refs")));
                 }
                 return false; // forwarded
             })) {
            BusyboxImage.push(registry, tmp, "test/twice:1");
            String image = proxy.host() + "/test/twice:1";
            Map<String, String> env = Map.of("KRGO_STATE", state.toString());
            Path home = tmp.resolve("home");
            // Two threads of its own: the common pool has one worker on a 2-core machine, which ran the two runs
            // one after the other (on Temurin 25: the first waited on the held blob until krgo's read timeout)
            ExecutorService two = Executors.newFixedThreadPool(2);
            List<CompletableFuture<KrgoCli.Result>> runs = Stream.of("one", "two")
                    .map(name -> CompletableFuture.supplyAsync(() -> KrgoCli.run(home, env, null, "run", "--rm",
                            "--name", name, "--entrypoint", "/bin/echo", image, "ran " + name), two))
                    .toList();
            two.shutdown();
            for (CompletableFuture<KrgoCli.Result> run : runs) {
                KrgoCli.Result r = run.get(240, TimeUnit.SECONDS);
                assertThat(r.exitCode()).as(r.stderr()).isZero();
                assertThat(r.stdout()).matches("ran (one|two)\n");
            }
            assertThat(sawWaiter).as("the second run waited on the first's lock").isTrue();
            assertThat(proxy.requests("GET", "/manifests/")).as("the second run made no request").hasSize(1);
            try (Stream<Path> images = Files.list(state.resolve("images"))) {
                assertThat(images.map(p -> p.getFileName().toString()).toList()).as("one unpacked image, no staging")
                        .singleElement().matches(n -> n.matches("[0-9a-f]{64}"));
            }
        }
    }

    /** Waits (at most 120 s) until /proc/locks shows a process blocked on a lock file in {@code refs}. */
    private static boolean waitForABlockedLock(Path refs) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < end) {
            try (Stream<Path> files = Files.exists(refs) ? Files.list(refs) : Stream.empty()) {
                for (Path lock : files.filter(f -> f.toString().endsWith(".lock")).toList()) {
                    String inode = ":" + Files.getAttribute(lock, "unix:ino") + " ";
                    if (Files.readAllLines(Path.of("/proc/locks")).stream()
                            .anyMatch(l -> l.contains(" -> ") && l.contains(inode))) {
                        return true;
                    }
                }
                Thread.sleep(50);
            } catch (IOException e) {
                // the file may come and go; look again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
