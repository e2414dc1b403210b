package io.krgo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krgo.image.Digest;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.LoopbackProxy;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** inspect, digest and tags against a real registry whose content skopeo and umoci wrote. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InspectCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private RegistryHarness registry;
    private Path work;
    private Path home;
    private String host;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        host = registry.host();
        work = Files.createTempDirectory("krgo-inspect-test");
        home = Files.createDirectories(work.resolve("home"));
        Path l1 = Fixtures.baseLayer(work.resolve("l1.tar"));
        Path l2 = Fixtures.secondLayer(work.resolve("l2.tar"));
        OciFixtures.pushImage(registry, work, "demo/app:v1", new PlatformImage("linux", "amd64", List.of(l1, l2)));
        OciFixtures.pushIndex(registry, work, "demo/multi:latest", List.of(
                new PlatformImage("linux", "amd64", List.of(l1)),
                new PlatformImage("linux", "arm64", List.of(l2))));
        for (int i = 1; i <= 5; i++) {
            Skopeo.run("copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "docker://" + host + "/demo/app:v1", "docker://" + host + "/demo/app:t" + i);
        }
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result krgo(String... args) {
        return KrgoCli.runInProcess(home, null, args);
    }

    private static String sha256(String text) {
        return Digest.sha256(text.getBytes(StandardCharsets.UTF_8)).toString();
    }

    @Test
    void inspectSummarisesAnImage() throws Exception {
        KrgoCli.Result r = krgo("inspect", host + "/demo/app:v1");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        String raw = Skopeo.inspectRaw(registry, "demo/app:v1");
        assertThat(r.stdout()).contains("Digest:      " + sha256(raw))
                .contains("Platform:    linux/amd64").contains("Layers:      2,");

        JsonNode json = JSON.readTree(krgo("inspect", "--json", host + "/demo/app:v1").stdoutBytes());
        assertThat(json.path("digest").asText()).isEqualTo(sha256(raw));
        assertThat(json.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        assertThat(json.path("layers")).hasSize(2);
        JsonNode manifest = JSON.readTree(raw);
        for (int i = 0; i < 2; i++) {
            assertThat(json.path("layers").get(i).path("digest").asText())
                    .isEqualTo(manifest.path("layers").get(i).path("digest").asText());
            assertThat(json.path("layers").get(i).path("size").asLong())
                    .isEqualTo(manifest.path("layers").get(i).path("size").asLong());
        }
        assertThat(json.path("platform").asText()).isEqualTo("linux/amd64");
        JsonNode config = JSON.readTree(Skopeo.run("inspect", "--config", "--raw", "--tls-verify=false",
                "docker://" + host + "/demo/app:v1"));
        assertThat(json.path("historyCount").asInt()).isEqualTo(config.path("history").size()).isPositive();
        assertThat(json.path("configDigest").asText()).isEqualTo(manifest.path("config").path("digest").asText());
    }

    @Test
    void rawAndConfigAreTheBytesSkopeoSees() {
        for (String image : List.of("demo/app:v1", "demo/multi:latest")) {
            KrgoCli.Result r = krgo("inspect", "--raw", host + "/" + image);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            String skopeo = Skopeo.inspectRaw(registry, image);
            assertThat(r.stdout()).isEqualTo(skopeo);
            assertThat(krgo("digest", host + "/" + image).stdout().strip()).isEqualTo(sha256(r.stdout()));
        }
        KrgoCli.Result cfg = krgo("inspect", "--config", host + "/demo/app:v1");
        assertThat(cfg.exitCode()).as(cfg.toString()).isZero();
        String skopeoConfig = Skopeo.run("inspect", "--config", "--raw", "--tls-verify=false",
                "docker://" + host + "/demo/app:v1");
        assertThat(cfg.stdout()).isEqualTo(skopeoConfig);
    }

    @Test
    void inspectOfAnIndexListsItsPlatforms() throws Exception {
        String raw = Skopeo.inspectRaw(registry, "demo/multi:latest");
        JsonNode index = JSON.readTree(raw);
        KrgoCli.Result r = krgo("inspect", host + "/demo/multi:latest");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("Digest:      " + sha256(raw)).contains("linux/amd64").contains("linux/arm64")
                .doesNotContain("Layers:");

        JsonNode arm = JSON.readTree(krgo("inspect", "--json", "--platform", "linux/arm64",
                host + "/demo/multi:latest").stdoutBytes());
        assertThat(arm.path("digest").asText()).isEqualTo(sha256(raw));
        assertThat(arm.path("manifests")).hasSize(2);
        assertThat(arm.path("platform").asText()).isEqualTo("linux/arm64");
        String armDigest = null;
        for (JsonNode m : index.path("manifests")) {
            if (m.path("platform").path("architecture").asText().equals("arm64")) {
                armDigest = m.path("digest").asText();
            }
        }
        assertThat(arm.path("platformDigest").asText()).isEqualTo(armDigest);

        KrgoCli.Result armRaw = krgo("inspect", "--raw", "--platform", "linux/arm64", host + "/demo/multi:latest");
        assertThat(sha256(armRaw.stdout())).isEqualTo(armDigest);
    }

    @Test
    void digestPrintsTheManifestOrIndexDigest() throws Exception {
        for (String image : List.of("demo/app:v1", "demo/multi:latest")) {
            KrgoCli.Result r = krgo("digest", host + "/" + image);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout()).isEqualTo(sha256(Skopeo.inspectRaw(registry, image)) + "\n");
        }
        JsonNode json = JSON.readTree(krgo("digest", "--json", host + "/demo/multi:latest").stdoutBytes());
        assertThat(json.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.index.v1+json");
    }

    @Test
    void tagsFollowsPagination() throws Exception {
        // distribution 2.8 ignores ?n=, so a proxy paginates the registry's real tag list as the spec says.
        try (LoopbackProxy front = LoopbackProxy.start(host, LoopbackProxy.paginatingTags("demo/app"))) {
            KrgoCli.Result r = krgo("tags", "--page-size", "2", front.host() + "/demo/app");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout().lines().toList()).containsExactly("t1", "t2", "t3", "t4", "t5", "v1");
            // 6 tags at 2 per page: three pages, the second and third found through the Link header
            assertThat(front.requests().stream().filter(q -> q.uri().contains("/tags/list")).count()).isEqualTo(3);
        }
        JsonNode json = JSON.readTree(krgo("tags", "--json", host + "/demo/app").stdoutBytes());
        List<String> tags = new ArrayList<>();
        json.forEach(t -> tags.add(t.asText()));
        assertThat(tags).containsExactlyInAnyOrder("t1", "t2", "t3", "t4", "t5", "v1");
    }

    @Test
    void errorsAreOneLineWithTheirExitCode() {
        assertError(krgo("inspect", host + "/demo/app:nope"), 2, "not found");
        assertError(krgo("digest", host + "/demo/none:v1"), 2, "not found");
        assertError(krgo("tags", host + "/demo/none"), 2, "not found");
        assertError(krgo("inspect", host + "/demo/multi:latest", "--platform", "linux/s390x"), 2, "linux/arm64");
        assertError(krgo("inspect", "Not A Reference"), 1, "invalid image reference");
        assertError(krgo("inspect", "--raw", "--config", host + "/demo/app:v1"), 1, "exclude");
        assertError(krgo("tags", "--page-size", "-1", host + "/demo/app"), 1, "page-size");
        assertError(krgo("digest", "127.0.0.1:1/demo/app:v1"), 4, "127.0.0.1:1");
    }


    static void assertError(KrgoCli.Result r, int code, String mentions) {
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(code);
        List<String> lines = r.stderr().lines().filter(l -> !l.startsWith("Try '")).toList();
        assertThat(lines).as(r.toString()).hasSize(1);
        assertThat(lines.get(0)).startsWith("krgo: ").contains(mentions);
    }
}
