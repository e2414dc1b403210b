package io.krgo.gitlayers;

import io.krgo.image.Image;
import io.krgo.image.Layer;
import io.krgo.layer.AppliedChanges;
import io.krgo.rootfs.LayerListener;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.Tools;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pull with git layers where the blobs come from the applier's content tee (nothing read back) records
 * exactly what the same pull records from disk; git itself agrees (write-tree of DIR, fsck, status).
 */
class GitLayersTeeTest {
    @TempDir
    Path tmp;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static Image image() {
        TarBuilder base = new TarBuilder().dir("etc").dir("many").dir("doc");
        // More files than one pack holds: the layer's blobs are spread over several packs.
        for (int i = 0; i < BlobTee.OBJECTS_PER_PACK + 300; i++) {
            base.file("many/f" + i, "file number " + i);
        }
        base.file("etc/a", "a of layer 0").file("etc/b", "b").file("etc/c", "c")
                .file("same1", "same content").file("same2", "same content")
                .file("empty", "")
                .file("bin-tool", "#!/bin/sh\n", 0755)
                .file("setuid", "runs as root".getBytes(StandardCharsets.UTF_8), 04755, 0, 0, TarBuilder.DEFAULT_MTIME)
                .file("big", random(3 * 1024 * 1024 + 5, 1), 0644, 0, 0, TarBuilder.DEFAULT_MTIME)
                .file("medium", random(300_000, 2), 0644, 0, 0, TarBuilder.DEFAULT_MTIME)
                .hardlink("h", "etc/a")
                .symlink("link", "etc/a")
                .file("doc/readme", "gone later");
        TarBuilder upper = new TarBuilder()
                .file("etc/a", "a of layer 1")                 // h keeps layer 0's content
                .hardlink("to-lower", "etc/b")                // a link to a file this layer does not touch
                .file("p", "replaced in this layer")
                .hardlink("p", "etc/c")                       // p ends as a link to c
                .file("q", "first")
                .file("q", "second")                          // the same name twice: the later wins
                .file("copy-of-big", random(3 * 1024 * 1024 + 5, 1), 0644, 0, 0, TarBuilder.DEFAULT_MTIME)
                .whiteout("doc")
                .file("many/f7", "changed");
        TarBuilder top = new TarBuilder().file("etc/top", "top").hardlink("h2", "h");
        return InMemoryImage.of(Blob.gzip(gzip(base.bytes())), Blob.tar(upper.bytes()), Blob.tar(top.bytes()));
    }

    private static byte[] gzip(byte[] b) {
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
                gz.write(b);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void blobsFromTheTeeEqualBlobsReadFromDisk() throws Exception {
        Tools.require("git", "git");
        Image image = image();
        Path teed = tmp.resolve("teed/rootfs");
        Path read = tmp.resolve("read/rootfs");
        BlobStore store = new BlobStore(tmp.resolve("cache"));
        GitLayers withTee = new GitLayers(store, teed);
        new RootfsWriter(store).write(image, teed, RootfsOptions.defaults(), withTee, null);
        GitLayers fromDisk = new GitLayers(store, read);
        new RootfsWriter(store).write(image, read, RootfsOptions.defaults(), withoutTee(fromDisk), null);

        List<String> trees = layerTrees(withTee);
        assertThat(trees).hasSize(3).doesNotHaveDuplicates();
        assertThat(layerTrees(fromDisk)).isEqualTo(trees);
        for (int i = 0; i < 3; i++) {
            assertThat(recorded(teed, i)).as("layers/%d.tsv", i).isEqualTo(recorded(read, i)).hasSizeGreaterThan(20);
        }

        Map<String, String> layer1 = contents(withTee, 1);
        assertThat(layer1).containsEntry("h", "a of layer 0").containsEntry("etc/a", "a of layer 1")
                .containsEntry("to-lower", "b").containsEntry("p", "c").containsEntry("q", "second")
                .containsEntry("many/f7", "changed").containsEntry("many/f8", "file number 8")
                .doesNotContainKey("doc/readme");
        assertThat(contents(withTee, 0)).containsEntry("doc/readme", "gone later").containsEntry("empty", "")
                .containsEntry("setuid", "runs as root").containsEntry("link", "etc/a");
        assertThat(contents(withTee, 2)).containsEntry("h2", "a of layer 0").containsEntry("etc/top", "top");

        // Git's own view of DIR is the last branch; the repository is consistent and the work tree clean.
        Path gitDir = withTee.gitDir();
        Path scratch = tmp.resolve("scratch.git");
        Tools.run("git", "init", "-q", "--bare", scratch.toString());
        Tools.run(List.of("env", "GIT_DIR=" + scratch, "GIT_WORK_TREE=" + teed, "git", "add", "-A", "-f", "."));
        String written = Tools.run(List.of("env", "GIT_DIR=" + scratch, "git", "write-tree")).trim();
        assertThat(written).isEqualTo(trees.get(2));
        Tools.Result fsck = Tools.runAllowingFailure(List.of("git", "--git-dir=" + gitDir, "fsck", "--strict"), Map.of());
        assertThat(fsck.exitCode()).as(fsck.stderr()).isZero();
        assertThat(fsck.stdout() + fsck.stderr()).doesNotContain("error", "warning", "missing");
        // Content a later entry of the same layer replaced is stored (it was hashed as it went by) but in no
        // tree: git reports it as dangling, which is no error (git gc prunes it).
        ObjectInserter.Formatter f = new ObjectInserter.Formatter();
        assertThat(fsck.stdout().lines().filter(l -> l.startsWith("dangling")).toList()).containsExactlyInAnyOrder(
                "dangling blob " + f.idFor(Constants.OBJ_BLOB, "replaced in this layer".getBytes(StandardCharsets.UTF_8)).name(),
                "dangling blob " + f.idFor(Constants.OBJ_BLOB, "first".getBytes(StandardCharsets.UTF_8)).name());
        assertThat(Tools.run("git", "--git-dir=" + gitDir, "status", "--porcelain")).isEmpty();
        try (Stream<Path> packs = Files.list(gitDir.resolve("objects/pack"))) {
            assertThat(packs.filter(p -> p.toString().endsWith(".pack")).count())
                    .as("the base layer's blobs fill more than one pack").isGreaterThanOrEqualTo(4);
        }
    }

    /**
     * A layer's metadata file without what differs between two trees pulled one after the other: device,
     * inode, ctime, and a directory's mtime below the last layer (the sink sets directory times at the end).
     */
    private static List<String> recorded(Path dir, int layer) throws IOException {
        return Files.readAllLines(GitLayers.metadataDir(dir).resolve("layers/" + layer + ".tsv")).stream()
                .map(l -> {
                    String[] f = l.split("\t", -1);
                    if (f.length < 15) {
                        return l;
                    }
                    if (f[1].equals("d") && layer < 2) {
                        f[6] = "-";
                    }
                    return String.join("\t", java.util.Arrays.copyOfRange(f, 0, 11)) + "\t" + f[13];
                }).toList();
    }

    /** The same listener, but the applier's content tee is not passed on: every blob is read from disk. */
    private static LayerListener withoutTee(GitLayers git) {
        return new LayerListener() {
            @Override
            public void pullStarted(Image img, Path stagedMetaDir) throws IOException {
                git.pullStarted(img, stagedMetaDir);
            }

            @Override
            public void layerApplied(int index, Layer layer, Path root, AppliedChanges changes) throws IOException {
                git.layerApplied(index, layer, root, changes);
            }

            @Override
            public void pullFinished(Path target) throws IOException {
                git.pullFinished(target);
            }
        };
    }

    private static List<String> layerTrees(GitLayers git) throws IOException {
        List<String> out = new ArrayList<>();
        try (Repository repo = new FileRepositoryBuilder().setGitDir(git.gitDir().toFile()).setMustExist(true).build();
             RevWalk walk = new RevWalk(repo)) {
            for (String b : git.branches()) {
                out.add(walk.parseCommit(repo.resolve(Constants.R_HEADS + b)).getTree().name());
            }
        }
        return out;
    }

    private static Map<String, String> contents(GitLayers git, int layer) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Repository repo = new FileRepositoryBuilder().setGitDir(git.gitDir().toFile()).setMustExist(true).build();
             RevWalk walk = new RevWalk(repo); TreeWalk tw = new TreeWalk(repo)) {
            tw.addTree(walk.parseCommit(repo.resolve(Constants.R_HEADS + git.branches().get(layer))).getTree());
            tw.setRecursive(true);
            while (tw.next()) {
                ObjectId id = tw.getObjectId(0);
                out.put(tw.getPathString(), new String(repo.open(id).getBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }
}
