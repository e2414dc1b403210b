package io.krgo.gitlayers;

import io.krgo.error.UsageException;
import io.krgo.image.ComposedImage;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.layer.AppliedChanges;
import io.krgo.store.BlobStore;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Drives the listener as a pull would (staging dir, one call per layer, rename, finish). */
class GitLayersPullTest {
    private static final int LAYERS = 12;

    @TempDir
    Path tmp;

    interface LayerOps {
        AppliedChanges apply(Path root) throws Exception;
    }

    @Test
    void eachLayerBecomesABranchOfThePreviousAndTheLastIsCheckedOut() throws Exception {
        Path staging = Files.createDirectories(tmp.resolve(".staging"));
        Path dir = tmp.resolve("rootfs");
        List<LayerOps> ops = new ArrayList<>();
        ops.add(root -> {
            Files.createDirectories(root.resolve("bin"));
            Files.writeString(root.resolve("bin/sh"), "#!shell");
            Files.setPosixFilePermissions(root.resolve("bin/sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createSymbolicLink(root.resolve("bin/ash"), Path.of("sh"));
            Files.writeString(root.resolve(".gitignore"), "*\n");
            Files.writeString(root.resolve("ignored.txt"), "must be in git");
            Files.createDirectories(root.resolve(".git/objects"));
            Files.writeString(root.resolve(".git/HEAD"), "ref: refs/heads/image\n");
            Files.createDirectories(root.resolve("a/b"));
            Files.writeString(root.resolve("a/b/gone"), "x");
            Files.writeString(root.resolve("héllo\nworld"), "odd name");
            Files.createDirectories(root.resolve("empty"));
            return new AppliedChanges(List.of("bin", "bin/sh", "bin/ash", ".gitignore", "ignored.txt", ".git",
                    ".git/objects", ".git/HEAD", "a", "a/b", "a/b/gone", "héllo\nworld", "empty"), List.of());
        });
        ops.add(root -> {
            GitLayersCommitTest.deleteTree(root.resolve("a/b"));
            Files.createLink(root.resolve("bin/sh2"), root.resolve("bin/sh"));
            return new AppliedChanges(List.of("bin/sh2"), List.of("a/b"));
        });
        for (int i = 2; i < LAYERS; i++) {
            int n = i;
            ops.add(root -> {
                Files.writeString(root.resolve("file" + n), "layer " + n);
                return new AppliedChanges(List.of("file" + n), List.of());
            });
        }

        BlobStore store = new BlobStore(tmp.resolve("store"));
        Image image = fakeImage(store, LAYERS);
        GitLayers gl = new GitLayers(store, dir);
        gl.begin(image);
        for (int i = 0; i < LAYERS; i++) {
            gl.layerApplied(i, image.layers().get(i), staging, ops.get(i).apply(staging));
        }
        Files.move(staging, dir);
        gl.pullFinished(dir);

        // Branches in numeric order, each the child of the previous; HEAD on the last.
        List<String> branches = gl.branches();
        assertThat(branches).hasSize(LAYERS);
        for (int i = 0; i < LAYERS; i++) {
            assertThat(branches.get(i)).isEqualTo("layer_" + i + "_"
                    + image.layers().get(i).descriptor().parsedDigest().shortHex());
        }
        assertThat(gl.currentBranch()).isEqualTo(branches.get(LAYERS - 1));

        // Nothing of krgo's inside DIR; repository beside it.
        assertThat(GitLayers.metadataDir(dir)).isEqualTo(tmp.resolve(".rootfs.krgo"));
        assertThat(Files.readString(dir.resolve(".git/HEAD"))).isEqualTo("ref: refs/heads/image\n");
        try (var list = Files.list(dir)) {
            assertThat(list.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("bin", ".gitignore", "ignored.txt", ".git", "a", "héllo\nworld",
                            "empty", "file2", "file3", "file4", "file5", "file6", "file7", "file8", "file9",
                            "file10", "file11");
        }

        try (Repository repo = new FileRepositoryBuilder().setGitDir(gl.gitDir().toFile()).setMustExist(true).build();
             RevWalk walk = new RevWalk(repo)) {
            RevCommit prev = null;
            for (String b : branches) {
                RevCommit c = walk.parseCommit(repo.resolve(Constants.R_HEADS + b));
                if (prev == null) {
                    assertThat(c.getParentCount()).isZero();
                } else {
                    assertThat(c.getParents()).containsExactly(prev);
                }
                prev = c;
            }
            Map<String, String> first = tree(repo, walk.parseCommit(repo.resolve(branches.get(0))));
            assertThat(first).containsEntry("bin/sh", FileMode.EXECUTABLE_FILE + " #!shell")
                    .containsEntry("bin/ash", FileMode.SYMLINK + " sh")
                    .containsEntry("ignored.txt", FileMode.REGULAR_FILE + " must be in git")
                    .containsEntry(".gitignore", FileMode.REGULAR_FILE + " *\n")
                    .containsEntry("a/b/gone", FileMode.REGULAR_FILE + " x")
                    .containsEntry("héllo\nworld", FileMode.REGULAR_FILE + " odd name")
                    .doesNotContainKeys(".git/HEAD");
            Map<String, String> second = tree(repo, walk.parseCommit(repo.resolve(branches.get(1))));
            assertThat(second).doesNotContainKey("a/b/gone").containsEntry("bin/sh2", FileMode.EXECUTABLE_FILE + " #!shell");
            Map<String, String> last = tree(repo, walk.parseCommit(repo.resolve(Constants.HEAD)));
            assertThat(last).containsEntry("file11", FileMode.REGULAR_FILE + " layer 11").containsKey("file2");
        }

        // The metadata records what git cannot: the empty dir and the image's own .git.
        String meta = Files.readString(GitLayers.metadataDir(dir).resolve("layers/" + (LAYERS - 1) + ".tsv"));
        assertThat(meta).contains("\nempty\td\t755\t", "\n.git/HEAD\tf\t", "\nh\u00e9llo\\nworld\tf\t");

        // The recorded state matches DIR after the rename: nothing to commit.
        assertThatThrownBy(() -> gl.commit("none", CommitOptions.defaults()))
                .isInstanceOf(UsageException.class).hasMessageContaining("nothing to commit");
        // The recorded image is the pulled one, byte for byte.
        assertThat(gl.image().rawManifest()).isEqualTo(image.rawManifest());
        assertThat(gl.image().rawConfig()).isEqualTo(image.rawConfig());
        assertThat(new GitLayers(store, dir).exists()).isTrue();
    }

    @Test
    void commitWithoutGitLayersIsAUsageError() {
        GitLayers gl = new GitLayers(new BlobStore(tmp.resolve("s")), tmp.resolve("plain"));
        assertThatThrownBy(() -> gl.commit("m", CommitOptions.defaults())).isInstanceOf(UsageException.class)
                .hasMessageContaining("not pulled with git layers");
    }

    @Test
    void dockerImagesGetDockerLayersAndRefuseZstd() throws Exception {
        Path staging = Files.createDirectories(tmp.resolve(".staging"));
        Path dir = tmp.resolve("rootfs");
        BlobStore store = new BlobStore(tmp.resolve("store"));
        Image image = fakeImage(store, 1, MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_CONFIG);
        GitLayers gl = new GitLayers(store, dir);
        gl.begin(image);
        Files.writeString(staging.resolve("f"), "x");
        gl.layerApplied(0, image.layers().get(0), staging, new AppliedChanges(List.of("./f"), List.of()));
        Files.move(staging, dir);
        gl.pullFinished(dir);

        Files.writeString(dir.resolve("g"), "y");
        assertThatThrownBy(() -> gl.commit("z", new CommitOptions(
                new io.krgo.layer.LayerWriter.Options(io.krgo.image.Compression.ZSTD, 3, 1), null)))
                .isInstanceOf(UsageException.class).hasMessageContaining("zstd");
        CommitResult r = gl.commit("docker", CommitOptions.defaults());
        Image committed = gl.image();
        assertThat(committed.manifest().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(committed.manifest().config().mediaType()).isEqualTo(MediaTypes.DOCKER_CONFIG);
        assertThat(committed.manifest().config().digest()).isEqualTo(r.configDigest().toString());
        assertThat(committed.manifest().layers()).hasSize(2).last()
                .satisfies(d -> assertThat(d.mediaType()).isEqualTo(MediaTypes.DOCKER_LAYER_GZIP));
        assertThat(committed.manifest().layers().get(0)).isEqualTo(image.manifest().layers().get(0));
        assertThat(committed.config().diffIds()).hasSize(2).last().isEqualTo(r.diffId());
        assertThat(r.parentConfigDigest().toString()).isEqualTo(image.manifest().config().digest());
        assertThat(store.has(r.configDigest())).isTrue();
        assertThat(store.has(Digest.sha256(committed.rawManifest()))).isTrue();
        assertThat(committed.config().json().path("history").get(1).path("comment").asText()).isEqualTo("docker");
    }

    private static Map<String, String> tree(Repository repo, RevCommit c) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (TreeWalk tw = new TreeWalk(repo)) {
            tw.addTree(c.getTree());
            tw.setRecursive(true);
            while (tw.next()) {
                ObjectId id = tw.getObjectId(0);
                byte[] content = repo.open(id).getBytes();
                out.put(tw.getPathString(), tw.getFileMode(0) + " " + new String(content, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** An image whose layer blobs are never read (the listener needs only descriptors). */
    static Image fakeImage(BlobStore store, int count) {
        return fakeImage(store, count, MediaTypes.OCI_MANIFEST, MediaTypes.OCI_CONFIG);
    }

    static Image fakeImage(BlobStore store, int count, String manifestType, String configType) {
        List<Layer> layers = new ArrayList<>();
        List<Descriptor> descs = new ArrayList<>();
        ImageConfig config = ImageConfig.empty(new Platform("linux", "amd64", null));
        for (int i = 0; i < count; i++) {
            Digest d = Digest.sha256(("layer " + i).getBytes(StandardCharsets.UTF_8));
            Digest diffId = Digest.sha256(("tar " + i).getBytes(StandardCharsets.UTF_8));
            Descriptor desc = new Descriptor(MediaTypes.OCI_LAYER_GZIP, d, 100 + i);
            descs.add(desc);
            config = config.withLayer(diffId, "2020-01-01T00:00:00Z", "test", null);
            layers.add(new Layer() {
                public Descriptor descriptor() {
                    return desc;
                }

                public Optional<Digest> diffId() {
                    return Optional.of(diffId);
                }

                public InputStream open() {
                    throw new UnsupportedOperationException();
                }
            });
        }
        byte[] rawConfig = config.toJson();
        Manifest m = new Manifest(manifestType,
                new Descriptor(configType, Digest.sha256(rawConfig), rawConfig.length), descs);
        byte[] raw = m.toJson();
        return new ComposedImage(raw, manifestType, rawConfig, layers);
    }
}
