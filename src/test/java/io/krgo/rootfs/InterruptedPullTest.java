package io.krgo.rootfs;

import io.krgo.testing.KrgoCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGTERM (as Ctrl-C would) in the middle of a pull: the shutdown hook removes staging, DIR is untouched. */
class InterruptedPullTest {
    @TempDir
    Path tmp;

    @Test
    void sigtermMidPullRemovesStagingAndKeepsTheOldDirectory() throws Exception {
        Path dir = tmp.resolve("rootfs");
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/old"), "old");
        Process p = new ProcessBuilder(KrgoCli.javaCommand(List.of(), PullChild.class, dir.toString(),
                tmp.resolve("cache").toString()))
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertThat(line).as("child reached the first layer").isEqualTo("applying");
            assertThat(siblings()).anyMatch(n -> n.startsWith(".rootfs.krgo-staging-"));
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(siblings()).containsExactlyInAnyOrder("rootfs", "cache");
        try (Stream<Path> s = Files.list(dir.resolve("etc"))) {
            assertThat(s.map(x -> x.getFileName().toString())).containsExactly("old");
        }
    }

    /**
     * The signal lands while the applier writes: the pull stops before its staging directory is removed
     * (deleting under a running applier left files behind and made it report the vanished paths).
     */
    @Test
    void sigtermWhileWritingStopsThePullThenRemovesItsStaging() throws Exception {
        Path dir = tmp.resolve("rootfs");
        Path log = Files.createTempFile("busy-pull", ".log"); // outside tmp: only the pull's own files there
        Process p = new ProcessBuilder(KrgoCli.javaCommand(List.of(), BusyPullChild.class, dir.toString(),
                tmp.resolve("cache").toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String output;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(log).contains("applying") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(Files.readString(log)).as("child reached the layer").startsWith("applying");
            Thread.sleep(150); // well inside the 40,000 files
            assertThat(siblings()).anyMatch(n -> n.startsWith(".rootfs.krgo-staging-"));
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            output = Files.readString(log);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
        assertThat(output).as("stopped before the end").doesNotContain("finished");
        assertThat(output).doesNotContain("NoSuchFile");
        assertThat(p.exitValue()).isEqualTo(143);
        assertThat(siblings()).containsExactly("cache");
    }

    private List<String> siblings() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(x -> x.getFileName().toString()).toList();
        }
    }
}
