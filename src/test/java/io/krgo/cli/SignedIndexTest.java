package io.krgo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.krgo.testing.CosignKeys;
import io.krgo.testing.Gpg;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code copy --all} of a multi-platform index with signing: the signature names the index digest (what the
 * user's reference names, as containers/image verifies), skopeo accepts the copy under the same policy (with
 * and without --all), and krgo's pull of either platform accepts it; the same for a cosign key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignedIndexTest {
    private RegistryHarness registry;
    private Gpg gpg;
    private Path work;
    private Path home;
    private Path registriesD;
    private Path lookaside;
    private Path policy;
    private CosignKeys keys;
    private String host;
    private String fpr;
    private Path secret;
    private String indexDigest;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        host = registry.host();
        work = Files.createTempDirectory("krgo-sig-index");
        home = Files.createDirectories(work.resolve("home"));
        gpg = Gpg.start(work);
        fpr = gpg.generate("index@krgo.test", "ed25519", "never");
        Path pub = gpg.exportPublic(fpr, work.resolve("index.gpg"), false);
        secret = gpg.exportSecret(fpr, work.resolve("index-secret.asc"));
        keys = CosignKeys.in(work);
        keys.run("gen", "ec", work.resolve("ec.pem").toString(), work.resolve("ec.pub").toString());
        keys.run("encrypt", work.resolve("ec.pem").toString(), "", work.resolve("ec.key").toString());
        lookaside = Files.createDirectories(work.resolve("lookaside"));
        registriesD = Files.createDirectories(work.resolve("registries.d"));
        Files.writeString(registriesD.resolve("index.yaml"), "docker:\n  " + host + ":\n    lookaside: file://" + lookaside
                + "\n    use-sigstore-attachments: true\n");
        policy = Files.writeString(work.resolve("policy.json"), """
                {"default": [{"type": "insecureAcceptAnything"}],
                 "transports": {"docker": {
                   "HOST/gpg": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "PUB"}],
                   "HOST/cosign": [{"type": "sigstoreSigned", "keyPath": "DIR/ec.pub"}]}}}"""
                .replace("HOST", host).replace("PUB", pub.toString()).replace("DIR", work.toString()));
        OciFixtures.pushIndex(registry, work, "src/multi:1", List.of(
                new PlatformImage("linux", "amd64", List.of(Fixtures.baseLayer(work.resolve("a.tar")))),
                new PlatformImage("linux", "arm64", List.of(Fixtures.secondLayer(work.resolve("b.tar"))))));
        indexDigest = digestOfRaw("src/multi:1");
    }

    private String digestOfRaw(String repoAndTag) throws Exception {
        byte[] raw = Skopeo.run("inspect", "--tls-verify=false", "--raw", "docker://" + host + "/" + repoAndTag)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return "sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(raw));
    }

    @AfterAll
    void stop() {
        if (gpg != null) {
            gpg.close();
        }
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    private KrgoCli.Result krgo(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--registries.d", registriesD.toString()));
        return KrgoCli.runInProcess(home, null, all.toArray(String[]::new));
    }

    private Tools.Result skopeo(String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--registries.d", registriesD.toString(),
                "--policy", policy.toString(), "copy", "--quiet", "--src-tls-verify=false"));
        cmd.addAll(List.of(args));
        return Tools.runAllowingFailure(cmd, Map.of());
    }

    /** The digest of the image for {@code arch} in the index at {@code repoAndTag}. */
    private String instance(String repoAndTag, String arch) throws Exception {
        var index = new ObjectMapper().readTree(Skopeo.run("inspect", "--tls-verify=false", "--raw",
                "docker://" + host + "/" + repoAndTag));
        for (var m : index.path("manifests")) {
            if (m.path("platform").path("architecture").asText().equals(arch)) {
                return m.path("digest").asText();
            }
        }
        throw new AssertionError("no " + arch + " image in " + index);
    }

    private KrgoCli.Result pull(String repoAndTag, String platform) {
        return krgo("pull", host + "/" + repoAndTag, "--platform", platform, "-r",
                work.resolve("out-" + repoAndTag.replaceAll("[^a-z0-9]", "-") + "-" + platform.replace('/', '-')).toString(),
                "-q", "--policy", policy.toString());
    }

    @Test
    void gpgSignedIndexCopyIsAcceptedBySkopeoAndKrgo() throws Exception {
        KrgoCli.Result copy = krgo("copy", "--all", host + "/src/multi:1", host + "/gpg/multi:1", "--policy", policy.toString(),
                "--sign-by-key", secret.toString(), "--json");
        assertThat(copy.exitCode()).as(copy.toString()).isZero();
        var result = new ObjectMapper().readTree(copy.stdoutBytes());
        assertThat(result.path("digest").asText()).as("the index is copied byte for byte").isEqualTo(indexDigest);
        String amd64 = instance("gpg/multi:1", "amd64");
        String arm64 = instance("gpg/multi:1", "arm64");
        List<String> expected = new ArrayList<>();
        for (String d : List.of(indexDigest, amd64, arm64)) {
            expected.add(lookaside.resolve("gpg/multi@" + d.replace(':', '=')).resolve("signature-1").toString());
        }
        assertThat(result.path("signature").asText()).isEqualTo(expected.get(0));
        List<String> all = new ArrayList<>();
        result.path("signatures").forEach(n -> all.add(n.asText()));
        assertThat(all).as("the index and each of its images, as skopeo copy --all --sign-by").isEqualTo(expected);
        // skopeo accepts it, copying all of it (an OCI layout holds no signatures: it drops them once verified),
        // one platform, and this machine's
        Tools.Result sk = skopeo("--all", "--remove-signatures", "docker://" + host + "/gpg/multi:1",
                "oci:" + work.resolve("sk-all") + ":x");
        assertThat(sk.exitCode()).as(sk.stderr()).isZero();
        sk = skopeo("--override-arch", "arm64", "docker://" + host + "/gpg/multi:1", "dir:" + work.resolve("sk-arm64"));
        assertThat(sk.exitCode()).as(sk.stderr()).isZero();
        sk = skopeo("docker://" + host + "/gpg/multi:1", "dir:" + work.resolve("sk-host"));
        assertThat(sk.exitCode()).as(sk.stderr()).isZero();
        for (String platform : List.of("linux/amd64", "linux/arm64")) {
            KrgoCli.Result r = pull("gpg/multi:1", platform);
            assertThat(r.exitCode()).as(r.toString()).isZero();
        }
        KrgoCli.Result verify = krgo("verify", host + "/gpg/multi:1", "--platform", "linux/arm64", "--policy", policy.toString());
        assertThat(verify.stdout()).as(verify.toString()).contains("signature-1: accepted, key " + fpr + ", identity "
                + host + "/gpg/multi:1, digest " + arm64);
    }

    @Test
    void anIndexSignedAloneIsRefusedByBothAsContainersImageChecksTheImage() throws Exception {
        KrgoCli.Result copy = krgo("copy", "--all", host + "/src/multi:1", host + "/gpg/indexonly:1", "--policy",
                policy.toString());
        assertThat(copy.exitCode()).as(copy.toString()).isZero();
        // a valid signature of the index alone, made by gpg itself
        byte[] payload = ("{\"critical\":{\"identity\":{\"docker-reference\":\"" + host + "/gpg/indexonly:1\"},"
                + "\"image\":{\"docker-manifest-digest\":\"" + indexDigest + "\"},\"type\":\"atomic container"
                + " signature\"},\"optional\":{}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Path sig = Files.createDirectories(lookaside.resolve("gpg/indexonly@" + indexDigest.replace(':', '=')));
        Files.write(sig.resolve("signature-1"), gpg.sign(fpr, payload));
        Tools.Result sk = skopeo("docker://" + host + "/gpg/indexonly:1", "dir:" + work.resolve("sk-indexonly"));
        assertThat(sk.exitCode()).isNotZero();
        assertThat(sk.stderr()).contains("A signature was required, but no signature exists");
        KrgoCli.Result r = pull("gpg/indexonly:1", "linux/amd64");
        InspectCommandsTest.assertError(r, 8, "signature required, but none exists");
        KrgoCli.Result verify = krgo("verify", host + "/gpg/indexonly:1", "--policy", policy.toString());
        assertThat(verify.exitCode()).isEqualTo(8);
    }

    @Test
    void skopeoSignedIndexIsAcceptedByKrgo() {
        Tools.Result signed = Tools.runAllowingFailure(List.of("skopeo", "--registries.d", registriesD.toString(),
                "--insecure-policy", "copy", "--all", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                "--sign-by", fpr, "docker://" + host + "/src/multi:1", "docker://" + host + "/gpg/byskopeo:1"), gpg.env());
        assertThat(signed.exitCode()).as(signed.stderr()).isZero();
        for (String platform : List.of("linux/amd64", "linux/arm64")) {
            KrgoCli.Result r = pull("gpg/byskopeo:1", platform);
            assertThat(r.exitCode()).as(r.toString()).isZero();
        }
    }

    @Test
    void cosignSignedIndexCopyIsAccepted() throws Exception {
        KrgoCli.Result copy = krgo("copy", "--all", host + "/src/multi:1", host + "/cosign/multi:1", "--policy",
                policy.toString(), "--sign-by-sigstore-private-key", work.resolve("ec.key").toString());
        assertThat(copy.exitCode()).as(copy.toString()).isZero();
        for (String d : List.of(indexDigest, instance("cosign/multi:1", "amd64"), instance("cosign/multi:1", "arm64"))) {
            assertThat(copy.stdout()).contains(host + "/cosign/multi:" + d.replace(':', '-') + ".sig");
        }
        for (String platform : List.of("linux/amd64", "linux/arm64")) {
            KrgoCli.Result r = pull("cosign/multi:1", platform);
            assertThat(r.exitCode()).as(r.toString()).isZero();
        }
    }
}
