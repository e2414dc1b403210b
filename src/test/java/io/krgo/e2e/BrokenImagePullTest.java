package io.krgo.e2e;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.KrgoException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.image.Index;
import io.krgo.image.Json;
import io.krgo.image.Manifest;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryOptions;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.RegistryHarness.Mode;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.TreeSnapshot;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Images that are broken or lie, pushed to a real registry with krgo's own client (the peers refuse to
 * make them) and pulled through the CLI over an existing DIR: each fails with one line and its exit
 * code, and DIR, its metadata and everything beside it stay as they were.
 */
class BrokenImagePullTest {
    @TempDir
    static Path shared;
    static RegistryHarness registry;
    static RegistryClient client;

    @TempDir
    Path work;
    Path dir;

    @BeforeAll
    static void start() {
        registry = RegistryHarness.start(Mode.ANONYMOUS);
        client = RegistryClient.forReference(Reference.parse(registry.host() + "/x"), RegistryOptions.defaults());
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    @BeforeEach
    void previousPull() throws Exception {
        dir = work.resolve("rootfs");
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/previous"), "previous pull");
        Files.createDirectories(work.resolve(".rootfs.krgo"));
        Files.writeString(work.resolve(".rootfs.krgo/image.json"), "{}");
        Files.createDirectories(work.resolve("sentinel"));
        Files.writeString(work.resolve("sentinel/file"), "do not touch");
    }

    private KrgoCli cli() {
        return KrgoCli.inProcessWithStore(shared.resolve("cache"));
    }

    private String ref(String repoAndTag) {
        return registry.host() + "/" + repoAndTag;
    }

    /** Pulls {@code image} with --force over DIR: must fail with {@code exit}, one line, and change nothing. */
    private KrgoCli.Result assertPullFails(String image, int exit, String message) throws Exception {
        TreeSnapshot before = TreeSnapshot.of(work);
        KrgoCli.Result r = cli().run("pull", image, "-r", dir.toString(), "--force", "-q");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(exit);
        assertThat(r.stderr()).as(r.toString()).startsWith("krgo: ").contains(message).endsWith("\n");
        assertThat(r.stderr().strip()).as("one line").doesNotContain("\n");
        assertThat(TreeSnapshot.of(work).diff(before)).as("DIR, .DIR.krgo and the sentinel untouched").isEmpty();
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("rootfs", ".rootfs.krgo", "sentinel");
        }
        return r;
    }

    // ---- building images on the registry ---------------------------------------------------------

    private static Descriptor upload(String repo, String mediaType, byte[] blob) {
        Descriptor d = new Descriptor(mediaType, Digest.sha256(blob), blob.length);
        client.uploadBlob(repo, d, () -> new ByteArrayInputStream(blob));
        return d;
    }

    private static byte[] config(List<Digest> diffIds) {
        ObjectNode cfg = Json.MAPPER.createObjectNode().put("os", "linux").put("architecture", "amd64");
        ArrayNode ids = cfg.putObject("rootfs").put("type", "layers").putArray("diff_ids");
        diffIds.forEach(d -> ids.add(d.toString()));
        return Json.write(cfg);
    }

    private static Descriptor resized(Descriptor d, long size) {
        return new Descriptor(d.mediaType(), d.digest(), size, null, null, null, null);
    }

    private static Descriptor putManifest(String repo, String tag, Descriptor config, List<Descriptor> layers) {
        return client.putManifest(repo, tag, new Manifest(MediaTypes.OCI_MANIFEST, config, layers).toJson(),
                MediaTypes.OCI_MANIFEST);
    }

    private static byte[] layerTar(String content) {
        return new TarBuilder().file("data", content).bytes();
    }

    // ---- manifests and configs --------------------------------------------------------------------

    @Test
    void configThatIsNotJson() throws Exception {
        Descriptor layer = upload("broken/config", MediaTypes.OCI_LAYER, layerTar("c"));
        Descriptor config = upload("broken/config", MediaTypes.OCI_CONFIG, "<html>not json</html>".getBytes(StandardCharsets.UTF_8));
        putManifest("broken/config", "1", config, List.of(layer));
        assertPullFails(ref("broken/config:1"), 7, "image config is not valid JSON");
    }

    /**
     * A real registry refuses to store a manifest that is not JSON, so a proxy in front of it serves one
     * (as a broken or hostile registry would).
     */
    @Test
    void manifestThatIsNotJson() throws Exception {
        assertThatThrownBy(() -> client.putManifest("broken/manifest", "1", "not json".getBytes(StandardCharsets.UTF_8),
                MediaTypes.OCI_MANIFEST)).isInstanceOf(KrgoException.class);
        try (LoopbackProxy proxy = LoopbackProxy.start(registry.host(), (ex, self) -> {
            if (!ex.getRequestURI().getPath().equals("/v2/broken/manifest/manifests/1")) {
                return false;
            }
            byte[] body = "<html><body>502 Bad Gateway</body></html>".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", MediaTypes.OCI_MANIFEST);
            ex.sendResponseHeaders(200, ex.getRequestMethod().equals("HEAD") ? -1 : body.length);
            if (!ex.getRequestMethod().equals("HEAD")) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
            return true;
        })) {
            assertPullFails(proxy.host() + "/broken/manifest:1", 7, "image manifest is not valid JSON");
        }
    }

    @Test
    void layerDescriptorClaimingMoreBytesThanTheBlobHas() throws Exception {
        byte[] tar = layerTar("bigger");
        Descriptor layer = upload("lies/bigger", MediaTypes.OCI_LAYER, tar);
        Descriptor config = upload("lies/bigger", MediaTypes.OCI_CONFIG, config(List.of(Digest.sha256(tar))));
        putManifest("lies/bigger", "1", config, List.of(resized(layer, layer.size() + 4096)));
        assertPullFails(ref("lies/bigger:1"), 5, "size mismatch");
    }

    @Test
    void layerDescriptorClaimingFewerBytesThanTheBlobHas() throws Exception {
        byte[] tar = layerTar("smaller");
        Descriptor layer = upload("lies/smaller", MediaTypes.OCI_LAYER, tar);
        Descriptor config = upload("lies/smaller", MediaTypes.OCI_CONFIG, config(List.of(Digest.sha256(tar))));
        putManifest("lies/smaller", "1", config, List.of(resized(layer, layer.size() - 1024)));
        assertPullFails(ref("lies/smaller:1"), 5, "more than the declared");
    }

    @Test
    void configDescriptorLyingAboutItsSize() throws Exception {
        byte[] tar = layerTar("config size");
        Descriptor layer = upload("lies/config", MediaTypes.OCI_LAYER, tar);
        Descriptor config = upload("lies/config", MediaTypes.OCI_CONFIG, config(List.of(Digest.sha256(tar))));
        putManifest("lies/config", "bigger", resized(config, config.size() + 10), List.of(layer));
        putManifest("lies/config", "smaller", resized(config, config.size() - 10), List.of(layer));
        assertPullFails(ref("lies/config:bigger"), 5, "size mismatch");
        assertPullFails(ref("lies/config:smaller"), 5, "more than the declared");
    }

    @Test
    void configWhoseDiffIdDoesNotMatchTheLayer() throws Exception {
        byte[] tar = layerTar("diff id");
        Descriptor layer = upload("lies/diffid", MediaTypes.OCI_LAYER, tar);
        Digest other = Digest.sha256(layerTar("something else"));
        Descriptor config = upload("lies/diffid", MediaTypes.OCI_CONFIG, config(List.of(other)));
        putManifest("lies/diffid", "1", config, List.of(layer));
        KrgoCli.Result r = assertPullFails(ref("lies/diffid:1"), 5, "diff_id mismatch");
        assertThat(r.stderr()).contains(other.toString()).contains(Digest.sha256(tar).toString());
    }

    /** Upper layers are inflated ahead into a spool (RootfsWriter): their checks must hold there too. */
    @Test
    void upperLayerWhoseDiffIdDoesNotMatch() throws Exception {
        byte[] base = layerTar("base layer");
        byte[] upper = layerTar("upper layer");
        Descriptor l0 = upload("lies/upperdiff", MediaTypes.OCI_LAYER, base);
        Descriptor l1 = upload("lies/upperdiff", MediaTypes.OCI_LAYER, upper);
        Digest other = Digest.sha256(layerTar("something else"));
        Descriptor config = upload("lies/upperdiff", MediaTypes.OCI_CONFIG, config(List.of(Digest.sha256(base), other)));
        putManifest("lies/upperdiff", "1", config, List.of(l0, l1));
        KrgoCli.Result r = assertPullFails(ref("lies/upperdiff:1"), 5, "diff_id mismatch");
        assertThat(r.stderr()).contains(other.toString()).contains(Digest.sha256(upper).toString());
    }

    @Test
    void upperLayerDescriptorClaimingMoreBytesThanTheBlobHas() throws Exception {
        byte[] base = layerTar("base of bigger");
        byte[] upper = layerTar("upper bigger");
        Descriptor l0 = upload("lies/upperbig", MediaTypes.OCI_LAYER, base);
        Descriptor l1 = upload("lies/upperbig", MediaTypes.OCI_LAYER, upper);
        Descriptor config = upload("lies/upperbig", MediaTypes.OCI_CONFIG,
                config(List.of(Digest.sha256(base), Digest.sha256(upper))));
        putManifest("lies/upperbig", "1", config, List.of(l0, resized(l1, l1.size() + 4096)));
        assertPullFails(ref("lies/upperbig:1"), 5, "size mismatch");
    }

    @Test
    void configWithFewerDiffIdsThanLayers() throws Exception {
        byte[] tar = layerTar("count");
        Descriptor layer = upload("lies/count", MediaTypes.OCI_LAYER, tar);
        Descriptor config = upload("lies/count", MediaTypes.OCI_CONFIG, config(List.of(Digest.sha256(tar))));
        putManifest("lies/count", "1", config, List.of(layer, layer));
        assertPullFails(ref("lies/count:1"), 7, "1 diff_ids but the manifest has 2 layers");
    }

    // ---- a huge index -----------------------------------------------------------------------------

    @Test
    void indexWithTenThousandEntries() throws Exception {
        byte[] tar = layerTar("the one real image");
        Descriptor layer = upload("huge/index", MediaTypes.OCI_LAYER, tar);
        Descriptor config = upload("huge/index", MediaTypes.OCI_CONFIG, config(List.of(Digest.sha256(tar))));
        Descriptor image = putManifest("huge/index", "image", config, List.of(layer));
        List<Descriptor> entries = new ArrayList<>();
        for (int i = 0; i < 9_999; i++) {
            entries.add(new Descriptor(image.mediaType(), image.digest(), image.size(), null, null,
                    new Platform("linux", "arch" + i, null), null));
        }
        entries.add(new Descriptor(image.mediaType(), image.digest(), image.size(), null, null,
                new Platform("linux", "riscv64", null), null));
        byte[] index = new Index(2, MediaTypes.OCI_INDEX, entries, null).toJson();
        assertThat(index.length).isGreaterThan(1_000_000);
        client.putManifest("huge/index", "1", index, MediaTypes.OCI_INDEX);

        // No such platform: exit 2, the list capped instead of 10,000 names.
        KrgoCli.Result r = assertPullFails(ref("huge/index:1"), 2, "no image for platform " + Platform.host() + "; available: ");
        assertThat(r.stderr()).contains("linux/arch0, linux/arch1").contains("and 9980 more")
                .doesNotContain("linux/arch20,").doesNotContain("riscv64");
        assertThat(r.stderr().length()).isLessThan(1000);

        // The last entry is still found.
        KrgoCli.Result ok = cli().run("pull", ref("huge/index:1"), "-r", dir.toString(), "--force", "-q",
                "--platform", "linux/riscv64");
        assertThat(ok.exitCode()).as(ok.toString()).isZero();
        assertThat(Files.readString(dir.resolve("data"))).isEqualTo("the one real image");
    }
}
