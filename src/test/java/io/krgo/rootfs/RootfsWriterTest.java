package io.krgo.rootfs;

import io.krgo.error.FilesystemException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Layer;
import io.krgo.layer.AppliedChanges;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RootfsWriterTest {
    @TempDir
    Path tmp;

    private RootfsWriter writer() {
        return new RootfsWriter(new BlobStore(tmp.resolve("cache")));
    }

    private static InMemoryImage image(String content) {
        return InMemoryImage.of(Blob.gzip(new TarBuilder().dir("etc").file("etc/version", content).gzipBytes()),
                Blob.tar(new TarBuilder().dir("usr").file("usr/readme", "hi").bytes()));
    }

    private List<String> siblings(Path parent) throws Exception {
        try (Stream<Path> s = Files.list(parent)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void pullsIntoAnAbsentDirectoryWithMetadataBesideIt() throws Exception {
        Path dir = tmp.resolve("out/rootfs");
        Files.createDirectories(dir.getParent());
        InMemoryImage img = image("1");
        PullResult r = writer().write(img, "example.com/a:1", dir, RootfsOptions.defaults(), null, null);
        assertThat(r.upToDate()).isFalse();
        assertThat(r.layers()).isEqualTo(2);
        assertThat(r.manifestDigest()).isEqualTo(img.descriptor().parsedDigest());
        assertThat(Files.readString(dir.resolve("etc/version"))).isEqualTo("1");
        assertThat(siblings(dir.getParent())).containsExactly(".rootfs.krgo", "rootfs");
        assertThat(siblings(dir)).containsExactly("etc", "usr");
        ImageRecord rec = ImageRecord.read(RootfsLayout.of(dir).imageJson()).orElseThrow();
        assertThat(rec.manifestDigest()).isEqualTo(img.descriptor().digest());
        assertThat(rec.reference()).isEqualTo("example.com/a:1");
        assertThat(rec.layers()).hasSize(2);
    }

    @Test
    void replacesAnEmptyDirectory() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("rootfs"));
        writer().write(image("1"), dir, RootfsOptions.defaults(), null, null);
        assertThat(Files.readString(dir.resolve("usr/readme"))).isEqualTo("hi");
    }

    @Test
    void refusesANonEmptyDirectoryWithoutForceAndReplacesItWithForce() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("rootfs"));
        Files.writeString(dir.resolve("mine"), "precious");
        assertThatThrownBy(() -> writer().write(image("1"), dir, RootfsOptions.defaults(), null, null))
                .isInstanceOf(FilesystemException.class)
                .hasMessage(dir + " is not empty (use --force to replace it)");
        assertThat(Files.readString(dir.resolve("mine"))).isEqualTo("precious");

        writer().write(image("2"), dir, RootfsOptions.defaults().withForce(true), null, null);
        assertThat(Files.exists(dir.resolve("mine"))).isFalse();
        assertThat(Files.readString(dir.resolve("etc/version"))).isEqualTo("2");
        assertThat(siblings(tmp)).containsExactly(".rootfs.krgo", "cache", "rootfs");
    }

    @Test
    void repullOfTheSameManifestIsANoOpUnlessForced() throws Exception {
        Path dir = tmp.resolve("rootfs");
        InMemoryImage img = image("1");
        writer().write(img, dir, RootfsOptions.defaults(), null, null);
        Files.writeString(dir.resolve("local-change"), "kept");
        PullResult again = writer().write(img, dir, RootfsOptions.defaults(), null, null);
        assertThat(again.upToDate()).isTrue();
        assertThat(Files.exists(dir.resolve("local-change"))).isTrue();

        assertThatThrownBy(() -> writer().write(image("other"), dir, RootfsOptions.defaults(), null, null))
                .isInstanceOf(FilesystemException.class).hasMessageContaining("is not empty");

        PullResult forced = writer().write(img, dir, RootfsOptions.defaults().withForce(true), null, null);
        assertThat(forced.upToDate()).isFalse();
        assertThat(Files.exists(dir.resolve("local-change"))).isFalse();
    }

    @Test
    void failureMidPullLeavesTheDirectoryAsItWasAndNoStaging() throws Exception {
        Path dir = tmp.resolve("rootfs");
        writer().write(image("old"), dir, RootfsOptions.defaults(), null, null);
        byte[] gz = new TarBuilder().dir("x").file("x/data", "y".repeat(50_000)).gzipBytes();
        InMemoryImage broken = InMemoryImage.of(Blob.gzip(new TarBuilder().file("ok", "ok").gzipBytes()),
                Blob.gzip(Arrays.copyOf(gz, gz.length / 2)));
        List<Integer> applied = new ArrayList<>();
        LayerListener listener = (i, layer, root, changes) -> applied.add(i);
        assertThatThrownBy(() -> writer().write(broken, dir, RootfsOptions.defaults().withForce(true), listener, null))
                .isInstanceOf(UnsafeImageException.class).hasMessageContaining("truncated");
        assertThat(applied).containsExactly(0);
        assertThat(Files.readString(dir.resolve("etc/version"))).isEqualTo("old");
        assertThat(Files.exists(dir.resolve("ok"))).isFalse();
        assertThat(siblings(tmp)).containsExactly(".rootfs.krgo", "cache", "rootfs");
        assertThat(ImageRecord.read(RootfsLayout.of(dir).imageJson()).orElseThrow().manifestDigest())
                .isNotEqualTo(broken.descriptor().digest());
    }

    @Test
    void listenerSeesEveryLayerInOrderWithItsChanges() throws Exception {
        Path dir = tmp.resolve("rootfs");
        InMemoryImage img = InMemoryImage.of(
                Blob.tar(new TarBuilder().dir("a").file("a/1", "1").file("a/2", "2").bytes()),
                Blob.tar(new TarBuilder().whiteout("a/1").file("a/3", "3").bytes()));
        List<String> seen = new ArrayList<>();
        LayerListener listener = (int i, Layer layer, Path root, AppliedChanges ch) -> {
            assertThat(root).isNotEqualTo(dir); // still the staging tree
            seen.add(i + " " + ch.written() + " " + ch.removed());
        };
        writer().write(img, dir, RootfsOptions.defaults(), listener, null);
        assertThat(seen).containsExactly("0 [a, a/1, a/2] []", "1 [a/3] [a/1]");
    }

    @Test
    void cachedBlobsAreNotDownloadedAgain() throws Exception {
        InMemoryImage img = image("1");
        List<String> events = new ArrayList<>();
        ProgressListener progress = new ProgressListener() {
            @Override
            public synchronized void layerDownloaded(int index, io.krgo.image.Descriptor layer, boolean cached) {
                events.add(index + ":" + cached);
            }
        };
        writer().write(img, tmp.resolve("one"), RootfsOptions.defaults(), null, progress);
        writer().write(img, tmp.resolve("two"), RootfsOptions.defaults(), null, progress);
        assertThat(events).containsExactlyInAnyOrder("0:false", "1:false", "0:true", "1:true");
        assertThat(Files.readString(tmp.resolve("two/etc/version"))).isEqualTo("1");
    }

    @Test
    void aCorruptCachedBlobIsRefusedAndEvicted() throws Exception {
        BlobStore store = new BlobStore(tmp.resolve("cache"));
        InMemoryImage img = image("1");
        new RootfsWriter(store).write(img, tmp.resolve("one"), RootfsOptions.defaults(), null, null);
        io.krgo.image.Digest d = img.layers().get(1).descriptor().parsedDigest();
        byte[] b = Files.readAllBytes(store.path(d));
        b[600] ^= 1; // in the second entry's header: the tar parser notices before the digest check
        Files.write(store.path(d), b);
        assertThatThrownBy(() -> new RootfsWriter(store).write(img, tmp.resolve("two"), RootfsOptions.defaults(), null, null))
                .isInstanceOf(io.krgo.error.IntegrityException.class).hasMessageContaining("removed from the cache");
        assertThat(Files.exists(tmp.resolve("two"))).isFalse();
        new RootfsWriter(store).write(img, tmp.resolve("two"), RootfsOptions.defaults(), null, null);
        assertThat(Files.readString(tmp.resolve("two/usr/readme"))).isEqualTo("hi");
    }

    /** The image with every layer's bytes trickling in (64 KiB, then a pause), like a slow registry. */
    private io.krgo.image.Image trickling(InMemoryImage base, List<String> events) {
        List<Layer> slow = new ArrayList<>();
        for (Layer l : base.layers()) {
            slow.add(new Layer() {
                public io.krgo.image.Descriptor descriptor() { return l.descriptor(); }
                public java.util.Optional<io.krgo.image.Digest> diffId() { return l.diffId(); }
                public java.io.InputStream open() throws java.io.IOException {
                    java.io.InputStream in = l.open();
                    return new java.io.FilterInputStream(in) {
                        @Override
                        public int read(byte[] b, int off, int len) throws java.io.IOException {
                            try {
                                Thread.sleep(5);
                            } catch (InterruptedException e) {
                                throw new java.io.InterruptedIOException();
                            }
                            int n = super.read(b, off, Math.min(len, 65536));
                            if (n < 0) {
                                events.add(extractionBegan() ? "downloaded after extraction began" : "downloaded");
                            }
                            return n;
                        }
                    };
                }
            });
        }
        return withLayers(base, slow);
    }

    /** {@code base} with other layers (same descriptors) in place of its own. */
    private static io.krgo.image.Image withLayers(InMemoryImage base, List<Layer> layers) {
        return new io.krgo.image.Image() {
            public io.krgo.image.Descriptor descriptor() { return base.descriptor(); }
            public byte[] rawManifest() { return base.rawManifest(); }
            public io.krgo.image.Manifest manifest() { return base.manifest(); }
            public byte[] rawConfig() { return base.rawConfig(); }
            public io.krgo.image.ImageConfig config() { return base.config(); }
            public List<Layer> layers() { return layers; }
        };
    }

    /** Whether a staging tree beside the target already holds the first file of the layer. */
    private boolean extractionBegan() {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".rootfs.krgo-staging-"))
                    .anyMatch(p -> Files.exists(p.resolve("rootfs/data/f0")));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void extractionOverlapsTheDownloadAndWaitsForItsVerification() throws Exception {
        byte[] big = new byte[4 << 20];
        new java.util.Random(7).nextBytes(big);
        TarBuilder t = new TarBuilder().dir("data");
        for (int i = 0; i < 8; i++) {
            t.file("data/f" + i, java.util.Arrays.copyOfRange(big, i << 19, (i + 1) << 19), 0644, 0, 0, TarBuilder.DEFAULT_MTIME);
        }
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        LayerListener listener = (i, layer, root, ch) -> events.add("applied");
        Path dir = tmp.resolve("rootfs");
        writer().write(trickling(InMemoryImage.of(Blob.tar(t.bytes())), events), dir, RootfsOptions.defaults(), listener,
                null);
        assertThat(events).containsExactly("downloaded after extraction began", "applied");
        assertThat(Files.readAllBytes(dir.resolve("data/f7"))).isEqualTo(java.util.Arrays.copyOfRange(big, 7 << 19, 8 << 19));

        // The same bytes under a digest they do not have: extraction ran ahead, but the pull must fail.
        Path other = tmp.resolve("other");
        assertThatThrownBy(() -> writer().write(trickling(InMemoryImage.of(0, Blob.tar(t.bytes())), events), other,
                RootfsOptions.defaults(), null, null))
                .isInstanceOf(io.krgo.error.IntegrityException.class);
        assertThat(Files.exists(other)).isFalse();
        assertThat(siblings(tmp)).containsExactly(".rootfs.krgo", "cache", "rootfs");
    }

    /** {@code base} with {@code ids} as its layers' diff_ids (InMemoryImage declares none, so nothing is checked). */
    private static io.krgo.image.Image withDiffIds(InMemoryImage base, List<io.krgo.image.Digest> ids) {
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < base.layers().size(); i++) {
            Layer l = base.layers().get(i);
            io.krgo.image.Digest id = ids.get(i);
            layers.add(new Layer() {
                public io.krgo.image.Descriptor descriptor() { return l.descriptor(); }
                public java.util.Optional<io.krgo.image.Digest> diffId() { return java.util.Optional.of(id); }
                public java.io.InputStream open() throws java.io.IOException { return l.open(); }
            });
        }
        return withLayers(base, layers);
    }

    @Test
    void aVerifiedDiffIdIsRememberedAndSparesTheNextPullHashingTheLayer() throws Exception {
        TarBuilder lower = new TarBuilder().dir("etc").file("etc/version", "1");
        TarBuilder upper = new TarBuilder().dir("usr").file("usr/readme", "hi");
        // The lower layer is hashed as it is applied, the upper one while it is inflated ahead (spooled).
        InMemoryImage img = InMemoryImage.of(Blob.gzip(lower.gzipBytes()), Blob.gzip(upper.gzipBytes()));
        List<io.krgo.image.Digest> truth = List.of(io.krgo.image.Digest.sha256(lower.bytes()),
                io.krgo.image.Digest.sha256(upper.bytes()));
        List<io.krgo.image.Digest> blobs = img.layers().stream().map(l -> l.descriptor().parsedDigest()).toList();
        BlobStore store = new BlobStore(tmp.resolve("cache"));
        new RootfsWriter(store).write(withDiffIds(img, truth), tmp.resolve("one"), RootfsOptions.defaults(), null, null);
        assertThat(store.recordedDiffId(blobs.get(0))).contains(truth.get(0));
        assertThat(store.recordedDiffId(blobs.get(1))).contains(truth.get(1));

        // A config that lies about either layer is still refused: a record that disagrees means hashing again.
        io.krgo.image.Digest lie = io.krgo.image.Digest.sha256(new byte[] {9});
        for (int lying = 0; lying < 2; lying++) {
            List<io.krgo.image.Digest> lies = new ArrayList<>(truth);
            lies.set(lying, lie);
            Path dir = tmp.resolve("lie" + lying);
            assertThatThrownBy(() -> new RootfsWriter(store).write(withDiffIds(img, lies), dir, RootfsOptions.defaults(),
                    null, null))
                    .isInstanceOf(io.krgo.error.IntegrityException.class).hasMessageContaining("diff_id mismatch");
            assertThat(Files.exists(dir)).isFalse();
            assertThat(store.recordedDiffId(blobs.get(lying))).contains(truth.get(lying));
        }

        // The record is what a pull consults: one that agrees with the config lets the layers through unhashed.
        store.recordDiffId(blobs.get(0), lie);
        store.recordDiffId(blobs.get(1), lie);
        new RootfsWriter(store).write(withDiffIds(img, List.of(lie, lie)), tmp.resolve("trusted"),
                RootfsOptions.defaults(), null, null);
        assertThat(Files.readString(tmp.resolve("trusted/usr/readme"))).isEqualTo("hi");

        // An unreadable record counts as none: the layer is hashed, and the record made right.
        Files.writeString(store.root().resolve("diffids/sha256/" + blobs.get(0).hex()), "not a digest");
        assertThat(store.recordedDiffId(blobs.get(0))).isEmpty();
        new RootfsWriter(store).write(withDiffIds(img, truth), tmp.resolve("two"), RootfsOptions.defaults(), null, null);
        assertThat(store.recordedDiffId(blobs.get(0))).contains(truth.get(0));
    }

    /** Nice values of this process's threads whose name starts with {@code prefix} (/proc keeps 15 characters). */
    private static List<Integer> niceOfThreads(String prefix) throws java.io.IOException {
        List<Integer> nice = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (!Files.readString(task.resolve("comm")).strip().startsWith(prefix)) {
                        continue;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    nice.add(Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]));
                } catch (java.nio.file.NoSuchFileException ended) {
                    // the thread ended meanwhile
                }
            }
        }
        return nice;
    }

    @Test
    void upperLayersDownloadAtALowerPriorityThanTheFirst() throws Exception {
        InMemoryImage img = InMemoryImage.of(Blob.gzip(new TarBuilder().dir("a").gzipBytes()),
                Blob.gzip(new TarBuilder().dir("b").gzipBytes()), Blob.gzip(new TarBuilder().dir("c").gzipBytes()));
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        int base = Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
        List<List<Integer>> seen = new ArrayList<>();
        LayerListener listener = (i, layer, root, ch) -> {
            if (i == 0) {
                try {
                    seen.add(niceOfThreads("krgo-layer-dow")); // the pool's threads live until the pull ends
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        writer().write(img, tmp.resolve("rootfs"), RootfsOptions.defaults(), listener, null);
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0)).containsExactlyInAnyOrder(base, Math.min(19, base + 10), Math.min(19, base + 10));
    }
}
