package io.krgo.layer;

import com.github.luben.zstd.Zstd;
import io.krgo.error.IntegrityException;
import io.krgo.error.KrgoException;
import io.krgo.error.UnsafeImageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Image;
import io.krgo.image.ImageConfig;
import io.krgo.image.Layer;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.rootfs.PullResult;
import io.krgo.rootfs.RootfsOptions;
import io.krgo.rootfs.RootfsWriter;
import io.krgo.store.BlobStore;
import io.krgo.testing.InMemoryImage;
import io.krgo.testing.InMemoryImage.Blob;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Malformed layers beyond {@link HostileLayerTest}: names with NUL or invalid UTF-8, truncated zstd, device
 * nodes when not root, and layers whose uncompressed bytes do not match the config's diff_id. Each pull is
 * forced over an existing DIR beside a sentinel; a refused image leaves DIR, the sentinel and the
 * directory around them exactly as they were.
 */
class MalformedLayerTest {
    @TempDir
    Path tmp;
    Path work;
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        work = tmp.resolve("work");
        dir = work.resolve("rootfs");
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/previous"), "previous pull");
        Files.createDirectories(work.resolve("sentinel"));
        Files.writeString(work.resolve("sentinel/file"), "do not touch");
    }

    private PullResult pull(Image image, ApplyOptions apply) {
        return new RootfsWriter(new BlobStore(tmp.resolve("cache")))
                .write(image, dir, RootfsOptions.defaults().withForce(true).withApply(apply), null, null);
    }

    private void assertRefused(Image image, Class<? extends KrgoException> type, String message) throws Exception {
        TreeSnapshot before = TreeSnapshot.of(work);
        assertThatThrownBy(() -> pull(image, ApplyOptions.defaults()))
                .isInstanceOf(type).hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(TreeSnapshot.of(work).diff(before)).as("nothing changed beside or inside DIR").isEmpty();
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("rootfs", "sentinel");
        }
    }

    // ---- names --------------------------------------------------------------------------------------

    @Test
    void nameWithNulInAPaxPathIsRefusedNamingTheEntry() throws Exception {
        byte[] layer = concat(paxHeader("path", "etc/evil\0../../sentinel/file"),
                ustar("placeholder".getBytes(StandardCharsets.US_ASCII), '0', "pwned".getBytes(StandardCharsets.US_ASCII)),
                new byte[1024]);
        assertRefused(InMemoryImage.of(Blob.tar(layer)), UnsafeImageException.class, "NUL");
    }

    @Test
    void hardlinkTargetWithNulIsRefused() throws Exception {
        byte[] layer = concat(ustar("f".getBytes(StandardCharsets.US_ASCII), '0', "x".getBytes(StandardCharsets.US_ASCII)),
                paxHeader("linkpath", "f\0../../sentinel/file"),
                ustar("h".getBytes(StandardCharsets.US_ASCII), '1', new byte[0]), new byte[1024]);
        assertRefused(InMemoryImage.of(Blob.tar(layer)), UnsafeImageException.class, "NUL");
    }

    /**
     * A Linux name is bytes: names that are not UTF-8 (latin-1 from old ustar/gnu writers) are written exactly,
     * and {@code caf\xe9} and {@code caf\xe8} stay two files (a decoder replacing bytes would merge them).
     */
    @Test
    void ustarNamesThatAreNotUtf8AreWrittenAsTheirBytes() throws Exception {
        byte[] latin1 = {'e', 't', 'c', '/', 'c', 'a', 'f', (byte) 0xe9}; // "etc/café" in ISO-8859-1
        byte[] other = {'e', 't', 'c', '/', 'c', 'a', 'f', (byte) 0xe8};
        byte[] layer = concat(ustar(latin1, '0', "y".getBytes(StandardCharsets.US_ASCII)),
                ustar(other, '0', "z".getBytes(StandardCharsets.US_ASCII)), new byte[1024]);
        pull(InMemoryImage.of(Blob.tar(layer)), ApplyOptions.defaults());
        String listing = io.krgo.testing.Tools.run("ls", "-b", dir.resolve("etc").toString());
        assertThat(listing.split("\n")).containsExactlyInAnyOrder("caf\\351", "caf\\350");
        assertThat(io.krgo.testing.Tools.run("sh", "-c", "cat \"$1/caf$(printf '\\351')\" \"$1/caf$(printf '\\350')\"",
                "sh", dir.resolve("etc").toString())).isEqualTo("yz");
    }

    @Test
    void symlinkTargetsThatAreNotUtf8AreKeptAsBytes() throws Exception {
        byte[] h = ustar("link".getBytes(StandardCharsets.US_ASCII), '2', new byte[0]);
        byte[] target = {'t', (byte) 0xff};
        System.arraycopy(target, 0, h, 157, target.length);
        rechecksum(h);
        pull(InMemoryImage.of(Blob.tar(concat(h, new byte[1024]))), ApplyOptions.defaults());
        String raw = io.krgo.testing.Tools.run("sh", "-c", "readlink \"$1\" | od -An -tx1", "sh", dir.resolve("link").toString());
        assertThat(raw.trim().replaceAll("\\s+", " ")).isEqualTo("74 ff 0a");
    }

    /** PAX names are UTF-8 by definition, but GNU tar writes others with hdrcharset=BINARY: bytes are kept. */
    @Test
    void paxPathThatIsNotUtf8IsWrittenAsItsBytes() throws Exception {
        byte[] layer = concat(paxHeaderBytes("path", new byte[] {'a', '/', (byte) 0xff, (byte) 0xfe}),
                ustar("placeholder".getBytes(StandardCharsets.US_ASCII), '0', "x".getBytes(StandardCharsets.US_ASCII)),
                new byte[1024]);
        pull(InMemoryImage.of(Blob.tar(layer)), ApplyOptions.defaults());
        assertThat(io.krgo.testing.Tools.run("ls", "-b", dir.resolve("a").toString()).trim()).isEqualTo("\\377\\376");
    }

    @Test
    void validUtf8NamesStillWork() throws Exception {
        pull(InMemoryImage.of(Blob.tar(new TarBuilder().raw("café/日本語 ✓", "ok").bytes())), ApplyOptions.defaults());
        assertThat(Files.readString(dir.resolve("café/日本語 ✓"))).isEqualTo("ok");
    }

    // ---- zstd ---------------------------------------------------------------------------------------

    @Test
    void truncatedZstdIsRefused() throws Exception {
        byte[] tar = new TarBuilder().dir("a").file("a/data", "x".repeat(300_000) + "y".repeat(300_000)).bytes();
        byte[] zst = Zstd.compress(tar, 3);
        // Cut inside the compressed data, and cut only the frame's last bytes (the tar may already be complete).
        assertRefused(InMemoryImage.of(zstd(Arrays.copyOf(zst, zst.length / 2))), UnsafeImageException.class, "zstd");
        assertRefused(InMemoryImage.of(zstd(Arrays.copyOf(zst, zst.length - 3))), UnsafeImageException.class, "truncated");
        // The intact stream works.
        pull(InMemoryImage.of(zstd(zst)), ApplyOptions.defaults());
        assertThat(Files.size(dir.resolve("a/data"))).isEqualTo(600_000);
    }

    private static Blob zstd(byte[] b) {
        return new Blob(MediaTypes.OCI_LAYER_ZSTD, b);
    }

    // ---- devices when not root ----------------------------------------------------------------------

    @Test
    void deviceNodesAreSkippedRootlessWithOneWarningCountingThem() throws Exception {
        Image image = InMemoryImage.of(Blob.tar(new TarBuilder().dir("dev").charDevice("dev/null", 1, 3)
                .charDevice("dev/zero", 1, 5).blockDevice("dev/sda", 8, 0).fifo("dev/fifo").file("dev/keep", "k").bytes()));
        TreeSnapshot sentinel = TreeSnapshot.of(work.resolve("sentinel"));
        PullResult result = pull(image, new ApplyOptions(false, ApplyOptions.DEFAULT_MAX_EXPANDED_BYTES));
        assertThat(result.devicesSkipped()).isEqualTo(3);
        assertThat(result.warnings()).hasSize(1);
        assertThat(result.warnings().get(0)).startsWith("3 device node(s) were not created");
        try (Stream<Path> s = Files.list(dir.resolve("dev"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("fifo", "keep");
        }
        assertThat(TreeSnapshot.of(work.resolve("sentinel")).diff(sentinel)).isEmpty();
    }

    // ---- diff_id --------------------------------------------------------------------------------------

    @Test
    void layerWhoseUncompressedBytesDoNotMatchTheDiffIdIsRefused() throws Exception {
        byte[] gz = new TarBuilder().file("f", "content").gzipBytes();
        Digest wrong = Digest.sha256("some other tar".getBytes(StandardCharsets.UTF_8));
        assertRefused(withDiffId(InMemoryImage.of(Blob.gzip(gz)), wrong), IntegrityException.class, "diff_id");
        // The blob itself was fine: it stays cached, and the same blob with its true diff_id pulls.
        Digest right = Digest.sha256(new TarBuilder().file("f", "content").bytes());
        pull(withDiffId(InMemoryImage.of(Blob.gzip(gz)), right), ApplyOptions.defaults());
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("content");
    }

    @Test
    void diffIdIsCheckedForACachedBlobToo() throws Exception {
        byte[] tar = new TarBuilder().file("f", "cached").bytes();
        pull(withDiffId(InMemoryImage.of(Blob.tar(tar)), Digest.sha256(tar)), ApplyOptions.defaults());
        Files.writeString(dir.resolve("etc-marker"), "second pull must keep this"); // DIR now holds the first pull
        TreeSnapshot before = TreeSnapshot.of(work);
        assertThatThrownBy(() -> pull(withDiffId(InMemoryImage.of(Blob.tar(tar)), Digest.sha256(new byte[1])),
                ApplyOptions.defaults())).isInstanceOf(IntegrityException.class).hasMessageContaining("diff_id");
        assertThat(TreeSnapshot.of(work).diff(before)).isEmpty();
    }

    /** {@code image} with every layer claiming {@code diffId} (config and layer agree, as a registry image's do). */
    private static Image withDiffId(InMemoryImage image, Digest diffId) {
        List<Layer> layers = image.layers().stream().<Layer>map(l -> new Layer() {
            @Override
            public Descriptor descriptor() {
                return l.descriptor();
            }

            @Override
            public Optional<Digest> diffId() {
                return Optional.of(diffId);
            }

            @Override
            public InputStream open() throws java.io.IOException {
                return l.open();
            }
        }).toList();
        return new Image() {
            public Descriptor descriptor() { return image.descriptor(); }
            public byte[] rawManifest() { return image.rawManifest(); }
            public Manifest manifest() { return image.manifest(); }
            public byte[] rawConfig() { return image.rawConfig(); }
            public ImageConfig config() { return image.config(); }
            public List<Layer> layers() { return layers; }
        };
    }

    // ---- raw tar building (TarBuilder cannot write broken names) -----------------------------------

    static byte[] ustar(byte[] name, char type, byte[] content) {
        byte[] h = new byte[512];
        System.arraycopy(name, 0, h, 0, Math.min(100, name.length));
        put(h, 100, String.format("%07o\0", 0644));
        put(h, 108, String.format("%07o\0", 0));
        put(h, 116, String.format("%07o\0", 0));
        put(h, 124, String.format("%011o\0", content.length));
        put(h, 136, String.format("%011o\0", TarBuilder.DEFAULT_MTIME));
        h[156] = (byte) type;
        put(h, 257, "ustar\0");
        put(h, 263, "00");
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        byte[] data = new byte[(content.length + 511) / 512 * 512];
        System.arraycopy(content, 0, data, 0, content.length);
        return concat(h, data);
    }

    private static void rechecksum(byte[] h) {
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += h[i] & 0xff;
        }
        put(h, 148, String.format("%06o\0 ", sum));
    }

    static byte[] paxHeader(String key, String value) {
        return paxHeaderBytes(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A PAX extended header entry ('x') with one record {@code "LEN key=value\n"}. */
    static byte[] paxHeaderBytes(String key, byte[] value) {
        byte[] kv = concat((" " + key + "=").getBytes(StandardCharsets.UTF_8), value, new byte[] {'\n'});
        int len = kv.length + 1;
        while (String.valueOf(len).length() + kv.length != len) {
            len++;
        }
        byte[] record = concat(String.valueOf(len).getBytes(StandardCharsets.US_ASCII), kv);
        return ustar("PaxHeader".getBytes(StandardCharsets.US_ASCII), 'x', record);
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
