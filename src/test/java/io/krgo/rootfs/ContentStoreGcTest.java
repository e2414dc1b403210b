package io.krgo.rootfs;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code krgo prune} collects the content store against a real registry: two images sharing a base layer
 * are pulled, one rootfs is deleted, and prune frees exactly the blobs only that one used, plus the temp
 * files of writers that are gone; what live roots, live pulls' leases and -g commits reference stays.
 */
class ContentStoreGcTest {
    @TempDir
    Path tmp;

    private static Path layer(Path dir, String name, String content) {
        return new TarBuilder().file(name, content).writeTo(dir.resolve(name + ".tar"));
    }

    /** Every blob in the store with its size. */
    private static Map<String, Long> blobs(Path cache) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        Path dir = cache.resolve("blobs/sha256");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    m.put("sha256:" + p.getFileName(), Files.size(p));
                }
            }
        }
        return m;
    }

    private static Set<String> blobsOf(Path rootfs) throws IOException {
        String image = Files.readString(rootfs.resolveSibling("." + rootfs.getFileName() + ".krgo/image.json"));
        return java.util.regex.Pattern.compile("sha256:[0-9a-f]{64}").matcher(image).results()
                .map(java.util.regex.MatchResult::group).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void pruneFreesExactlyTheBlobsOnlyADeletedRootfsUsed() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path home = tmp.resolve("home");
        Path cache = home.resolve("cache");
        Map<String, String> env = Map.of("KRGO_STATE", tmp.resolve("state").toString());
        try (RegistryHarness registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS)) {
            Path base = layer(work, "base", "shared by both images\n");
            OciFixtures.create(work.resolve("layout"), "a", java.util.List.of(base, layer(work, "only-a", "a\n")));
            OciFixtures.create(work.resolve("layout"), "b", java.util.List.of(base, layer(work, "only-b", "bb\n")));
            Skopeo.copyTo(registry, "oci:" + work.resolve("layout") + ":a", "test/a:1");
            Skopeo.copyTo(registry, "oci:" + work.resolve("layout") + ":b", "test/b:1");
            Path a = tmp.resolve("a");
            Path b = tmp.resolve("b");
            for (String[] pull : new String[][]{{"test/a:1", a.toString()}, {"test/b:1", b.toString()}}) {
                KrgoCli.Result r = KrgoCli.run(home, env, null, "pull", registry.host() + "/" + pull[0], "-r", pull[1]);
                assertThat(r.exitCode()).as(r.stderr()).isZero();
            }
            Set<String> usedByA = blobsOf(a);
            Set<String> onlyB = new TreeSet<>(blobsOf(b));
            onlyB.removeAll(usedByA);
            Map<String, Long> before = blobs(cache);
            Set<String> expectedFreed = new TreeSet<>(onlyB);
            expectedFreed.retainAll(before.keySet()); // the config and b's own layer (manifests are not stored)
            assertThat(expectedFreed).hasSize(2);
            long expectedBytes = expectedFreed.stream().mapToLong(before::get).sum();

            // Temp files: one of a writer that is gone (a pid no process has), one of this live JVM.
            Files.createDirectories(cache.resolve("tmp"));
            Path deadPart = Files.write(cache.resolve("tmp/0123456789ab.krgo-999999999-1.part"), new byte[1000]);
            Path livePart = Files.write(cache.resolve("tmp/0123456789ab.krgo-" + ProcessHandle.current().pid()
                    + "-2.part"), new byte[10]);

            Tools.deleteTree(b); // its record .b.krgo stays: the rootfs is gone, so the root stops counting
            KrgoCli.Result prune = KrgoCli.run(home, env, null, "prune");
            assertThat(prune.exitCode()).as(prune.stderr()).isZero();
            assertThat(prune.stdout()).contains("Content store: freed ", "(" + (expectedBytes + 1000) + " bytes): 2"
                    + " blob(s) nothing references, 1 temp file(s) of killed writers");
            Map<String, Long> after = blobs(cache);
            Set<String> freed = new TreeSet<>(before.keySet());
            freed.removeAll(after.keySet());
            assertThat(freed).isEqualTo(expectedFreed);
            assertThat(Files.exists(deadPart)).isFalse();
            assertThat(Files.exists(livePart)).isTrue();

            // a's rootfs still pulls without a download: all its blobs stayed
            long gets = registry.countRequests("GET", ".*/blobs/.*");
            KrgoCli.Result again = KrgoCli.run(home, env, null, "pull", registry.host() + "/test/a:1", "-r",
                    tmp.resolve("a2").toString());
            assertThat(again.exitCode()).as(again.stderr()).isZero();
            assertThat(registry.countRequests("GET", ".*/blobs/.*")).isEqualTo(gets);

            // Nothing left to free: a second prune frees 0 bytes.
            prune = KrgoCli.run(home, env, null, "prune");
            assertThat(prune.stdout()).contains("(0 bytes): 0 blob(s)");
        }
    }

    @Test
    void aCommittedGitRootfsKeepsItsNewAndItsPulledBlobs() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path home = tmp.resolve("home");
        Map<String, String> env = Map.of("KRGO_STATE", tmp.resolve("state").toString());
        try (RegistryHarness registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS)) {
            OciFixtures.create(work.resolve("layout"), "g", java.util.List.of(layer(work, "base", "base\n")));
            Skopeo.copyTo(registry, "oci:" + work.resolve("layout") + ":g", "test/g:1");
            Path g = tmp.resolve("g");
            KrgoCli.Result r = KrgoCli.run(home, env, null, "pull", "-g", registry.host() + "/test/g:1", "-r", g.toString());
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            Files.writeString(g.resolve("added"), "committed\n");
            r = KrgoCli.run(home, env, null, "commit", "-r", g.toString(), "-m", "add");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            Map<String, Long> before = blobs(home.resolve("cache"));
            assertThat(before).hasSize(5); // pulled config and layer; committed layer, config and manifest

            KrgoCli.Result prune = KrgoCli.run(home, env, null, "prune");
            assertThat(prune.exitCode()).as(prune.stderr()).isZero();
            assertThat(prune.stdout()).contains("(0 bytes): 0 blob(s)");
            assertThat(blobs(home.resolve("cache"))).isEqualTo(before);
            r = KrgoCli.run(home, env, null, "push", registry.host() + "/test/g:2", "-r", g.toString());
            assertThat(r.exitCode()).as("push needs the pulled and the committed blobs: " + r.stderr()).isZero();
        }
    }

    @Test
    void aBlobWrittenAfterALiveWritersLeaseIsKeptAnOlderOneIsNot() throws Exception {
        Path home = tmp.resolve("home");
        Path cache = home.resolve("cache");
        Path blobs = Files.createDirectories(cache.resolve("blobs/sha256"));
        Path leases = Files.createDirectories(cache.resolve("leases"));
        Instant now = Instant.now();
        // The store records roots since two hours ago; a blob from before that is kept (an older krgo's).
        Path since = Files.createFile(Files.createDirectories(cache.resolve("roots")).resolve(".since"));
        Files.setLastModifiedTime(since, FileTime.from(now.minusSeconds(7200)));
        Path older = Files.write(blobs.resolve("c".repeat(64)), new byte[3]);
        Files.setLastModifiedTime(older, FileTime.from(now.minusSeconds(9000)));
        // This JVM plays a krgo process that took its lease a minute ago and is, say, committing.
        Path lease = Files.createFile(leases.resolve("krgo-" + ProcessHandle.current().pid() + "-1.lease"));
        Files.setLastModifiedTime(lease, FileTime.from(now.minusSeconds(60)));
        Path old = Files.write(blobs.resolve("a".repeat(64)), new byte[7]);
        Files.setLastModifiedTime(old, FileTime.from(now.minusSeconds(3600)));
        Path young = Files.write(blobs.resolve("b".repeat(64)), new byte[5]);
        Path deadLease = Files.createFile(leases.resolve("krgo-999999999-2.lease"));
        KrgoCli.Result prune = KrgoCli.run(home, Map.of("KRGO_STATE", tmp.resolve("state").toString()), null, "prune");
        assertThat(prune.exitCode()).as(prune.stderr()).isZero();
        assertThat(prune.stdout()).contains("(7 bytes): 1 blob(s)");
        assertThat(Files.exists(old)).isFalse();
        assertThat(Files.exists(young)).as("maybe not registered yet by the live writer").isTrue();
        assertThat(Files.exists(older)).as("stored before roots were recorded").isTrue();
        assertThat(Files.exists(deadLease)).isFalse();
        assertThat(Files.exists(lease)).isTrue();
    }
}
