package io.krgo.e2e;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.cli.Main;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Json;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.reference.Reference;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryOptions;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local file system failing or shared: a full disk (a 2 MiB tmpfs, so the test needs root to mount
 * it) under DIR or under the content store, and two {@code krgo pull} processes sharing one store.
 */
class FilesystemFaultsTest {
    @TempDir
    static Path shared;
    static RegistryHarness registry;
    static String bigImage;
    static String threeLayers;

    @TempDir
    Path work;

    @BeforeAll
    static void start() {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        try (RegistryClient client = RegistryClient.forReference(Reference.parse(registry.host() + "/x"),
                RegistryOptions.defaults())) {
            bigImage = registry.host() + "/fs/big:1";
            push(client, "fs/big", "1", List.of(randomLayer("big", 4 << 20, 1)));
            threeLayers = registry.host() + "/fs/three:1";
            push(client, "fs/three", "1", List.of(randomLayer("a", 3 << 20, 2), randomLayer("b", 3 << 20, 3),
                    randomLayer("c", 3 << 20, 4)));
        }
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static byte[] randomLayer(String name, int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return new TarBuilder().dir(name).file(name + "/data", data, 0644, 0, 0, TarBuilder.DEFAULT_MTIME).bytes();
    }

    private static void push(RegistryClient client, String repo, String tag, List<byte[]> layers) {
        List<Descriptor> descs = new ArrayList<>();
        ObjectNode cfg = Json.MAPPER.createObjectNode().put("os", "linux").put("architecture", "amd64");
        var ids = cfg.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        for (byte[] l : layers) {
            Descriptor d = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(l), l.length);
            client.uploadBlob(repo, d, () -> new ByteArrayInputStream(l));
            descs.add(d);
            ids.add(d.digest());
        }
        byte[] config = Json.write(cfg);
        Descriptor c = new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256(config), config.length);
        client.uploadBlob(repo, c, () -> new ByteArrayInputStream(config));
        client.putManifest(repo, tag, new Manifest(MediaTypes.OCI_MANIFEST, c, descs).toJson(), MediaTypes.OCI_MANIFEST);
    }

    // ---- disk full --------------------------------------------------------------------------------

    /** Mounts a 2 MiB tmpfs on {@code at}; unmounted by {@link #unmount}. */
    private static void mountSmallTmpfs(Path at) throws Exception {
        Tools.require("mount", "mount");
        Files.createDirectories(at);
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", at.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("mount -t tmpfs failed (this test must run as root): " + out).isZero();
    }

    private static void unmount(Path at) throws Exception {
        new ProcessBuilder("umount", "-l", at.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }

    private static void previousPull(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/previous"), "previous pull");
        Path meta = dir.resolveSibling("." + dir.getFileName() + ".krgo");
        Files.createDirectories(meta);
        Files.writeString(meta.resolve("image.json"), "{}");
    }

    @Test
    void diskFullUnderDirFailsCleanly() throws Exception {
        Path fs = work.resolve("small");
        mountSmallTmpfs(fs);
        try {
            Path dir = fs.resolve("rootfs");
            previousPull(dir);
            TreeSnapshot before = TreeSnapshot.of(fs);
            KrgoCli.Result r = KrgoCli.inProcessWithStore(work.resolve("cache")).run("pull", bigImage, "-r",
                    dir.toString(), "--force", "-q");
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(6);
            assertThat(r.stderr()).as(r.toString()).startsWith("krgo: ").contains("No space left on device");
            assertThat(r.stderr().strip()).doesNotContain("\n");
            assertThat(TreeSnapshot.of(fs).diff(before)).as("DIR and its metadata as before").isEmpty();
            try (Stream<Path> s = Files.list(fs)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("rootfs", ".rootfs.krgo");
            }
        } finally {
            unmount(fs);
        }
    }

    @Test
    void diskFullUnderTheContentStoreFailsCleanly() throws Exception {
        Path fs = work.resolve("small");
        mountSmallTmpfs(fs);
        try {
            Path dir = work.resolve("rootfs");
            previousPull(dir);
            TreeSnapshot before = TreeSnapshot.of(work, "small");
            KrgoCli.Result r = KrgoCli.inProcessWithStore(fs.resolve("cache")).run("pull", bigImage, "-r",
                    dir.toString(), "--force", "-q");
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(6);
            assertThat(r.stderr()).as(r.toString()).startsWith("krgo: ").contains("No space left on device");
            assertThat(r.stderr().strip()).doesNotContain("\n");
            assertThat(TreeSnapshot.of(work, "small").diff(before)).isEmpty();
            try (Stream<Path> s = Files.list(work)) {
                assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("rootfs", ".rootfs.krgo", "small");
            }
            // What fitted (the small config blob) may stay; nothing partial: no temp file, every blob whole.
            // (The writer's lease and roots are records for prune, not blob data.)
            try (Stream<Path> s = Files.walk(fs.resolve("cache"))) {
                for (Path f : s.filter(Files::isRegularFile).filter(f -> !fs.resolve("cache").relativize(f)
                        .toString().matches("(leases|roots)/[^/]+")).toList()) {
                    assertThat(fs.resolve("cache").relativize(f).toString()).as("no partial blob left in the store")
                            .startsWith("blobs/sha256/");
                    assertThat(sha256Hex(f)).isEqualTo(f.getFileName().toString());
                }
            }
        } finally {
            unmount(fs);
        }
    }

    // ---- two pulls, one store -----------------------------------------------------------------------

    @Test
    void twoConcurrentPullsShareTheStoreWithoutCorruptingIt() throws Exception {
        Path cache = work.resolve("cache");
        List<Process> pulls = new ArrayList<>();
        for (String name : List.of("one", "two")) {
            pulls.add(new ProcessBuilder(KrgoCli.javaCommand(List.of("-Dkrgo.cache=" + cache), Main.class,
                    "pull", threeLayers, "-r", work.resolve(name).toString(), "-q"))
                    .redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile()).start());
        }
        for (Process p : pulls) {
            try {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as(Files.readString(work.resolve(pulls.indexOf(p) == 0 ? "one.log" : "two.log")))
                        .isZero();
            } finally {
                p.destroyForcibly();
            }
        }
        assertThat(TreeSnapshot.of(work.resolve("two")).diff(TreeSnapshot.of(work.resolve("one")))).isEmpty();
        assertThat(work.resolve("one/c/data")).hasSize(3 << 20);

        // Every stored blob is complete and under its own digest; no temp file is left.
        List<Path> blobs;
        try (Stream<Path> s = Files.walk(cache.resolve("blobs"))) {
            blobs = s.filter(Files::isRegularFile).toList();
        }
        assertThat(blobs).as("three layers and the config").hasSize(4);
        for (Path b : blobs) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(b)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                }
            }
            assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(b.getFileName().toString());
        }
        try (Stream<Path> s = Files.list(cache.resolve("tmp"))) {
            assertThat(s).isEmpty();
        }

        // And a third pull of the same image into a new DIR uses the store as it is.
        KrgoCli.Result r = KrgoCli.inProcessWithStore(cache).run("pull", threeLayers, "-r",
                work.resolve("three").toString(), "-q");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(TreeSnapshot.of(work.resolve("three")).diff(TreeSnapshot.of(work.resolve("one")))).isEmpty();
    }

    private static String sha256Hex(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(Files.readAllBytes(file));
        return java.util.HexFormat.of().formatHex(sha.digest());
    }
}
