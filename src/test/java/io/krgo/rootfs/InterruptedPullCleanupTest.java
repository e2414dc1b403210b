package io.krgo.rootfs;

import io.krgo.gitlayers.GitLayers;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.TreeSnapshot;
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

/**
 * What a killed pull leaves behind. SIGKILL runs no shutdown hook, so the staging directory stays until
 * the next pull of that DIR removes it (only when its owning process is gone); SIGTERM during
 * {@code pull -g} removes the staged tree and the staged git metadata and leaves DIR and
 * {@code .DIR.krgo} exactly as the previous pull made them.
 */
class InterruptedPullCleanupTest {
    @TempDir
    Path tmp;

    private Process startChild(Class<?> main, Path dir) throws Exception {
        return new ProcessBuilder(KrgoCli.javaCommand(List.of(), main, dir.toString(), tmp.resolve("cache").toString()))
                .redirectErrorStream(true).start();
    }

    private static void awaitApplying(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("child reached the first layer").isEqualTo("applying");
    }

    private List<String> siblings() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void stagingOfASigkilledPullIsRemovedByTheNextPullOfThatDir() throws Exception {
        Path dir = tmp.resolve("rootfs");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("old"), "old");
        Process p = startChild(PullChild.class, dir);
        long deadPid = p.pid();
        try {
            awaitApplying(p);
            p.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        List<String> left = siblings().stream().filter(n -> n.startsWith(".rootfs.krgo-staging-")).toList();
        assertThat(left).as("SIGKILL leaves the staging directory").hasSize(1);
        assertThat(left.get(0)).startsWith(".rootfs.krgo-staging-" + deadPid + "-");
        // A staging directory whose owner still runs (this JVM), and one of another DIR, must survive.
        Path live = Files.createDirectories(tmp.resolve(".rootfs.krgo-staging-" + ProcessHandle.current().pid() + "-live0000"));
        Path otherDir = Files.createDirectories(tmp.resolve(".other.krgo-staging-" + deadPid + "-0ther000"));
        // A pid reused by a process that started after the directory was last written: its owner is gone.
        Process reuser = new ProcessBuilder("sleep", "60").start();
        Path reused;
        try {
            reused = Files.createDirectories(tmp.resolve(".rootfs.krgo-staging-" + reuser.pid() + "-reused00"));
            Files.setLastModifiedTime(reused, java.nio.file.attribute.FileTime.from(
                    java.time.Instant.now().minus(java.time.Duration.ofHours(1))));

            new RootfsWriter(new BlobStore(tmp.resolve("cache"))).write(
                    InMemoryImage.of(Blob.tar(new TarBuilder().file("new", "new").bytes())), dir,
                    RootfsOptions.defaults().withForce(true), null, null);
        } finally {
            reuser.destroyForcibly();
        }

        assertThat(siblings()).containsExactly(".other.krgo-staging-" + deadPid + "-0ther000", ".rootfs.krgo",
                live.getFileName().toString(), "cache", "rootfs");
        assertThat(Files.readString(dir.resolve("new"))).isEqualTo("new");
        assertThat(otherDir).isDirectory();
        assertThat(reused).doesNotExist();
    }

    @Test
    void sigtermDuringGitPullKeepsDirAndItsGitMetadata() throws Exception {
        Path dir = tmp.resolve("rootfs");
        BlobStore store = new BlobStore(tmp.resolve("cache"));
        new RootfsWriter(store).write(InMemoryImage.of(
                        Blob.tar(new TarBuilder().dir("etc").file("etc/old", "old").bytes()),
                        Blob.tar(new TarBuilder().file("etc/second", "2").bytes())),
                dir, RootfsOptions.defaults(), new GitLayers(store, dir), null);
        assertThat(new GitLayers(store, dir).branches()).hasSize(2);
        TreeSnapshot before = TreeSnapshot.of(tmp, "cache");

        Process p = startChild(GitPullChild.class, dir);
        try {
            awaitApplying(p);
            assertThat(siblings()).anyMatch(n -> n.startsWith(".rootfs.krgo-staging-"));
            p.destroy(); // SIGTERM, as Ctrl-C
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }

        assertThat(siblings()).containsExactly(".rootfs.krgo", "cache", "rootfs");
        assertThat(TreeSnapshot.of(tmp, "cache").diff(before)).as("DIR and .DIR.krgo as before").isEmpty();
        GitLayers git = new GitLayers(store, dir);
        assertThat(git.exists()).isTrue();
        assertThat(git.branches()).hasSize(2);
    }
}
