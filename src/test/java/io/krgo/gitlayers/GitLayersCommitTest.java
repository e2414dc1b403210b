package io.krgo.gitlayers;

import io.krgo.error.UsageException;
import io.krgo.image.Compression;
import io.krgo.image.Image;
import io.krgo.image.MediaTypes;
import io.krgo.layer.LayerWriter;
import io.krgo.layer.XattrReader;
import io.krgo.testing.Tools;
import io.krgo.testing.TreeSnapshot;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every kind of change is committed as a layer; umoci (the real peer) unpacks base + that layer from the
 * OCI layout and must reproduce DIR exactly, metadata included.
 */
class GitLayersCommitTest {
    @TempDir
    Path tmp;

    private OciFixture oci;
    private Path dir;
    private GitLayers layers;
    private final XattrReader xattrs = new XattrReader();

    interface Change {
        void apply(Path dir) throws Exception;
    }

    record Committed(CommitResult result, List<String> entries) {
    }

    @BeforeEach
    void pullBase() throws Exception {
        Path src = tmp.resolve("src");
        buildBase(src);
        oci = OciFixture.create(tmp.resolve("oci"), src, tmp);
        Image base = oci.image("base");
        dir = oci.unpack("base", tmp.resolve("bundle0"));
        layers = new GitLayers(oci.store, dir);
        layers.begin(base);
        layers.layerApplied(0, base.layers().get(0), dir, OciFixture.everything(dir));
        layers.pullFinished(dir);
    }

    static void buildBase(Path src) throws IOException {
        Files.createDirectories(src.resolve("etc"));
        Files.writeString(src.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(src.resolve("etc/hosts"), "127.0.0.1 localhost\n");
        Files.createDirectories(src.resolve("bin"));
        Files.writeString(src.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
        Files.setPosixFilePermissions(src.resolve("bin/tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(src.resolve("usr/share/doc/sub"));
        Files.writeString(src.resolve("usr/share/doc/a.txt"), "a");
        Files.writeString(src.resolve("usr/share/doc/b.txt"), "b");
        Files.writeString(src.resolve("usr/share/doc/sub/c.txt"), "c");
        Files.createDirectories(src.resolve("data"));
        byte[] big = new byte[300_000];
        new Random(1).nextBytes(big);
        Files.write(src.resolve("data/big"), big);
        Files.createSymbolicLink(src.resolve("link"), Path.of("etc/passwd"));
        Files.writeString(src.resolve(".gitignore"), "*\n");
        Files.createDirectories(src.resolve(".git"));
        Files.writeString(src.resolve(".git/config"), "[core]\n");
        Files.createDirectories(src.resolve("h"));
        Files.writeString(src.resolve("h/one"), "linked");
        Files.createLink(src.resolve("h/two"), src.resolve("h/one"));
        Files.writeString(src.resolve("etc/owned"), "mine");
        Files.setAttribute(src.resolve("etc/owned"), "unix:uid", 1000);
        Files.setAttribute(src.resolve("etc/owned"), "unix:gid", 1000);
        Files.createDirectories(src.resolve("empty"));
    }

    private Committed commitAndCheck(Change change) throws Exception {
        change.apply(dir);
        CommitResult r = layers.commit("test change", new CommitOptions(LayerWriter.Options.defaults(),
                Instant.parse("2024-01-02T03:04:05Z")));
        Image committed = layers.image();
        oci.tag(committed, "new" + layers.branches().size());
        Path unpacked = oci.unpack("new" + layers.branches().size(), tmp.resolve("bundle" + layers.branches().size()));
        // Both trees are written by nanosecond-exact tools here (umoci unpack, the test's changes), and a
        // link count must survive the round trip: compare as strictly as TreeSnapshot can.
        Set<TreeSnapshot.Option> strict = EnumSet.allOf(TreeSnapshot.Option.class);
        assertThat(TreeSnapshot.of(unpacked, strict).diff(TreeSnapshot.of(dir, strict))).as("paths that differ").isEmpty();
        assertThat(layers.currentBranch()).isEqualTo(r.branch());
        assertThat(layers.branches()).last().isEqualTo(r.branch());
        assertThat(r.branch()).isEqualTo("layer_" + (layers.branches().size() - 1) + "_" + r.layerDigest().shortHex());
        assertThat(committed.config().diffIds()).last().isEqualTo(r.diffId());
        assertThat(committed.manifest().layers()).last()
                .satisfies(d -> assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP));
        // Push reads the layers from the content store through the recorded image, verified.
        try (InputStream in = committed.layers().get(committed.layers().size() - 1).open()) {
            assertThat(io.krgo.image.Digest.sha256(in.readAllBytes())).isEqualTo(r.layerDigest());
        }
        assertGitTreeHoldsTheFiles(r.branch());
        return new Committed(r, entries(r));
    }

    /** The committed branch holds every file and symlink of DIR (but .git paths) with its content. */
    private void assertGitTreeHoldsTheFiles(String branch) throws Exception {
        Map<String, byte[]> expected = new java.util.TreeMap<>();
        try (var paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                String rel = dir.relativize(p).toString();
                if (rel.isEmpty() || java.util.Arrays.asList(rel.split("/")).contains(".git")) {
                    continue;
                }
                if (Files.isSymbolicLink(p)) {
                    expected.put(rel, Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    expected.put(rel, Files.readAllBytes(p));
                }
            }
        }
        Map<String, byte[]> actual = new java.util.TreeMap<>();
        try (var repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder().setGitDir(layers.gitDir().toFile())
                .setMustExist(true).build();
             var walk = new org.eclipse.jgit.treewalk.TreeWalk(repo)) {
            walk.addTree(repo.parseCommit(repo.resolve("refs/heads/" + branch)).getTree());
            walk.setRecursive(true);
            while (walk.next()) {
                actual.put(walk.getPathString(), repo.open(walk.getObjectId(0)).getBytes());
            }
        }
        assertThat(actual.keySet()).as("paths in git").isEqualTo(expected.keySet());
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            assertThat(actual.get(e.getKey())).as("git content of %s", e.getKey()).isEqualTo(e.getValue());
        }
    }

    private List<String> entries(CommitResult r) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = new TarArchiveInputStream(new GZIPInputStream(
                oci.store.open(r.layerDigest(), r.layerSize()).orElseThrow()), "UTF-8")) {
            TarArchiveInputStream tar = (TarArchiveInputStream) in;
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                names.add(e.getName() + (e.isLink() ? " => " + e.getLinkName() : ""));
            }
        }
        return names;
    }

    @Test
    void addFile() throws Exception {
        Committed c = commitAndCheck(d -> Files.writeString(d.resolve("etc/new.conf"), "x=1\n"));
        assertThat(c.entries()).containsExactly("etc/", "etc/new.conf");
    }

    @Test
    void modifyContentEvenWithSameSizeAndMtime() throws Exception {
        Committed c = commitAndCheck(d -> {
            Path f = d.resolve("etc/hosts");
            FileTime t = Files.getLastModifiedTime(f);
            Files.writeString(f, "127.0.0.9 localhost\n");
            Files.setLastModifiedTime(f, t); // only ctime and content tell
        });
        assertThat(c.entries()).containsExactly("etc/hosts");
    }

    @Test
    void chmodIncludingSpecialBits() throws Exception {
        Committed c = commitAndCheck(d -> {
            Files.setAttribute(d.resolve("bin/tool"), "unix:mode", 04755);
            Files.setAttribute(d.resolve("usr/share/doc"), "unix:mode", 01777);
        });
        assertThat(c.entries()).containsExactly("bin/tool", "usr/share/doc/");
    }

    @Test
    void chown() throws Exception {
        Committed c = commitAndCheck(d -> {
            Files.setAttribute(d.resolve("etc/passwd"), "unix:uid", 4242);
            Files.setAttribute(d.resolve("etc/owned"), "unix:uid", 3_000_000); // beyond ustar's octal: PAX
            Files.setAttribute(d.resolve("etc/owned"), "unix:gid", 3_000_001);
        });
        assertThat(c.entries()).containsExactly("etc/owned", "etc/passwd");
    }

    @Test
    void deleteFileAndDirectory() throws Exception {
        Committed c = commitAndCheck(d -> {
            Files.delete(d.resolve("etc/hosts"));
            deleteTree(d.resolve("usr/share/doc/sub"));
        });
        assertThat(c.entries()).containsExactly("etc/", "etc/.wh.hosts", "usr/share/doc/",
                "usr/share/doc/.wh.sub");
    }

    @Test
    void directoryReplacedWholesaleBecomesOpaque() throws Exception {
        Committed c = commitAndCheck(d -> {
            deleteTree(d.resolve("usr/share/doc"));
            Files.createDirectories(d.resolve("usr/share/doc"));
            Files.writeString(d.resolve("usr/share/doc/only"), "new");
        });
        assertThat(c.entries()).contains("usr/share/doc/.wh..wh..opq", "usr/share/doc/only")
                .noneMatch(n -> n.contains(".wh.a.txt"));
    }

    @Test
    void replaceDirectoryByFileAndFileByDirectory() throws Exception {
        Committed c = commitAndCheck(d -> {
            deleteTree(d.resolve("usr/share/doc/sub"));
            Files.writeString(d.resolve("usr/share/doc/sub"), "now a file");
            Files.delete(d.resolve("etc/hosts"));
            Files.createDirectories(d.resolve("etc/hosts"));
            Files.writeString(d.resolve("etc/hosts/inside"), "x");
        });
        assertThat(c.entries()).containsSubsequence("etc/.wh.hosts", "etc/hosts/", "etc/hosts/inside");
        assertThat(c.entries()).containsSubsequence("usr/share/doc/.wh.sub", "usr/share/doc/sub");
    }

    @Test
    void rename() throws Exception {
        Committed c = commitAndCheck(d -> Files.move(d.resolve("usr/share/doc/a.txt"), d.resolve("usr/share/doc/z.txt")));
        assertThat(c.entries()).containsExactly("usr/share/doc/", "usr/share/doc/.wh.a.txt", "usr/share/doc/z.txt");
    }

    @Test
    void newHardlinkToAnExistingFile() throws Exception {
        Committed c = commitAndCheck(d -> Files.createLink(d.resolve("etc/hosts2"), d.resolve("etc/hosts")));
        assertThat(c.entries()).containsExactly("etc/", "etc/hosts", "etc/hosts2 => etc/hosts");
    }

    @Test
    void changingAHardlinkedFileKeepsTheGroup() throws Exception {
        Committed c = commitAndCheck(d -> {
            Files.writeString(d.resolve("h/one"), "changed through one name");
            Files.setAttribute(d.resolve("link"), "unix:uid", 77, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        });
        assertThat(c.entries()).containsExactly("h/one", "h/two => h/one", "link");
    }

    @Test
    void newSymlinks() throws Exception {
        Committed c = commitAndCheck(d -> {
            Files.createSymbolicLink(d.resolve("etc/rel"), Path.of("hosts"));
            Files.createSymbolicLink(d.resolve("etc/abs"), Path.of("/etc/passwd"));
            Files.createSymbolicLink(d.resolve("etc/dangling"), Path.of("../nowhere"));
        });
        assertThat(c.entries()).containsExactly("etc/", "etc/abs", "etc/dangling", "etc/rel");
    }

    @Test
    void devicesAndFifo() throws Exception {
        Committed c = commitAndCheck(d -> {
            Files.createDirectories(d.resolve("dev"));
            Tools.run("mknod", d.resolve("dev/null").toString(), "c", "1", "3");
            Tools.run("mknod", d.resolve("dev/loop9").toString(), "b", "7", "9");
            Tools.run("mkfifo", d.resolve("dev/fifo").toString());
        });
        assertThat(c.entries()).containsExactly("dev/", "dev/fifo", "dev/loop9", "dev/null");
    }

    @Test
    void socketsAreNotImageContent() throws Exception {
        // A running container's socket in DIR (here at the untracked root) cannot go into a tar.
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(dir.resolve("app.sock")));
            assertThatThrownBy(() -> layers.commit("socket", CommitOptions.defaults()))
                    .isInstanceOf(UsageException.class).hasMessageContaining("nothing to commit");
        }
    }

    @Test
    void xattrChanges() throws Exception {
        Committed c = commitAndCheck(d -> {
            xattrs.set(d.resolve("etc/passwd"), "user.note", "hello".getBytes(StandardCharsets.UTF_8));
            xattrs.set(d.resolve("bin/tool"), "trusted.bin", new byte[]{0, 1, (byte) 0xff, '\n', '='});
        });
        assertThat(c.entries()).containsExactly("bin/tool", "etc/passwd");
    }

    @Test
    void nonAsciiAndNewlineNamesAndLongNames() throws Exception {
        String longName = "d".repeat(120) + "/" + "f".repeat(150);
        Committed c = commitAndCheck(d -> {
            Files.writeString(d.resolve("etc/héllo wörld ☃"), "snow");
            Files.writeString(d.resolve("etc/line\nbreak"), "nl");
            Files.createDirectories(d.resolve("d".repeat(120)));
            Files.writeString(d.resolve(longName), "long");
        });
        assertThat(c.entries()).contains("etc/héllo wörld ☃", "etc/line\nbreak", longName);
    }

    @Test
    void gitignoreDoesNotHideFilesAndDotGitIsCarried() throws Exception {
        Committed c = commitAndCheck(d -> {
            Files.writeString(d.resolve("etc/ignored-by-gitignore"), "still here");
            Files.writeString(d.resolve(".git/config"), "[core]\n\tbare = true\n");
        });
        assertThat(c.entries()).contains("etc/ignored-by-gitignore", ".git/config");
    }

    @Test
    void nothingToCommitCreatesNothing() throws Exception {
        List<String> before = layers.branches();
        assertThatThrownBy(() -> layers.commit("nothing", CommitOptions.defaults()))
                .isInstanceOf(UsageException.class).hasMessageContaining("nothing to commit");
        assertThat(layers.branches()).isEqualTo(before);
    }

    @Test
    void concurrentCommitIsRefused() throws Exception {
        Files.writeString(dir.resolve("etc/x"), "x");
        Path lockFile = GitLayers.metadataDir(dir).resolve("commit.lock");
        try (var ch = java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); var lock = ch.lock()) {
            assertThatThrownBy(() -> layers.commit("m", CommitOptions.defaults()))
                    .isInstanceOf(io.krgo.error.FilesystemException.class).hasMessageContaining("another krgo commit");
        }
        assertThat(layers.commit("m", CommitOptions.defaults()).branch()).startsWith("layer_1_");
    }

    @Test
    void committingTwiceInARow() throws Exception {
        Committed first = commitAndCheck(d -> Files.writeString(d.resolve("etc/one"), "1"));
        Committed second = commitAndCheck(d -> Files.delete(d.resolve("etc/one")));
        assertThat(second.entries()).containsExactly("etc/", "etc/.wh.one");
        assertThat(second.result().parentConfigDigest()).isEqualTo(first.result().configDigest());
        assertThat(layers.branches()).hasSize(3);
        assertThatThrownBy(() -> layers.commit("again", CommitOptions.defaults())).isInstanceOf(UsageException.class);

        // Committing on top of an older layer would fork the image: refused.
        try (var repo = new org.eclipse.jgit.storage.file.FileRepositoryBuilder().setGitDir(layers.gitDir().toFile())
                .setMustExist(true).build()) {
            repo.updateRef(org.eclipse.jgit.lib.Constants.HEAD).link("refs/heads/" + layers.branches().get(1));
        }
        Files.writeString(dir.resolve("etc/two"), "2");
        assertThatThrownBy(() -> layers.commit("fork", CommitOptions.defaults())).isInstanceOf(UsageException.class)
                .hasMessageContaining("last layer");
    }

    @Test
    void zstdLayer() throws Exception {
        Files.writeString(dir.resolve("etc/z"), "zstd content");
        CommitResult r = layers.commit("zstd", new CommitOptions(
                new LayerWriter.Options(Compression.ZSTD, 3, 2), Instant.EPOCH));
        assertThat(layers.image().manifest().layers()).last()
                .satisfies(d -> assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD));
        try (InputStream in = new com.github.luben.zstd.ZstdInputStream(
                oci.store.open(r.layerDigest(), r.layerSize()).orElseThrow())) {
            byte[] tar = in.readAllBytes();
            assertThat(io.krgo.image.Digest.sha256(tar)).isEqualTo(r.diffId());
        }
    }

    @Test
    void sameTreeCommittedTwiceGivesTheSameLayer() throws Exception {
        Change change = d -> {
            Files.writeString(d.resolve("etc/new"), "same");
            FileTime t = FileTime.from(Instant.parse("2023-05-06T07:08:09.123456789Z"));
            Files.setLastModifiedTime(d.resolve("etc/new"), t);
            Files.setLastModifiedTime(d.resolve("etc"), t);
        };
        change.apply(dir);
        CommitResult first = layers.commit("m", CommitOptions.defaults());

        Path src = tmp.resolve("src2");
        buildBase(src);
        Path tmp2 = Files.createDirectories(tmp.resolve("second"));
        OciFixture oci2 = OciFixture.create(tmp2.resolve("oci"), src, tmp2);
        Image base2 = oci2.image("base");
        Path dir2 = oci2.unpack("base", tmp2.resolve("bundle0"));
        GitLayers layers2 = new GitLayers(oci2.store, dir2);
        layers2.begin(base2);
        layers2.layerApplied(0, base2.layers().get(0), dir2, OciFixture.everything(dir2));
        layers2.pullFinished(dir2);
        change.apply(dir2);
        CommitResult second = layers2.commit("m", new CommitOptions(
                new LayerWriter.Options(Compression.GZIP, LayerWriter.Options.defaults().level(), 1), null));

        assertThat(second.diffId()).isEqualTo(first.diffId());
        assertThat(second.layerDigest()).isEqualTo(first.layerDigest()); // gzip output is thread-independent
    }

    static void deleteTree(Path p) throws IOException {
        try (var walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
