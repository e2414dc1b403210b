package io.krgo.cli;

import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryOptions;
import io.krgo.testing.CosignKeys;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.OciFixtures.PlatformImage;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.Tools;
import io.krgo.trust.SigstoreAttachments;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.krgo.cli.InspectCommandsTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * cosign key-pair signatures attached in the registry ({@code sha256-HEX.sig}), made independently of krgo:
 * keys and signatures by Python's {@code cryptography} (Debian's, as /usr/bin/python3), the manifests from
 * cosign's documented format (no cosign binary is packaged for Debian, and its skopeo has sigstore disabled).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CosignSignaturesTest {
    private RegistryHarness registry;
    private Path work;
    private Path home;
    private Path policy;
    private Path registriesD;
    private Path noAttachments;
    private CosignKeys keys;
    private String host;
    private String digest;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        host = registry.host();
        work = Files.createTempDirectory("krgo-cosign");
        home = Files.createDirectories(work.resolve("home"));
        keys = CosignKeys.in(work);
        for (String k : List.of("ec", "rsa", "ed25519", "other")) {
            keys.run("gen", k.equals("other") ? "ec" : k, work.resolve(k + ".key").toString(),
                    work.resolve(k + ".pub").toString());
        }
        registriesD = Files.createDirectories(work.resolve("registries.d"));
        Files.writeString(registriesD.resolve("attach.yaml"),
                "docker:\n  " + host + ":\n    use-sigstore-attachments: true\n");
        noAttachments = Files.createDirectories(work.resolve("registries.d-none"));
        String repoIdentity = "{\"type\": \"matchRepository\"}";
        policy = Files.writeString(work.resolve("policy.json"), ("""
                {"default": [{"type": "reject"}],
                 "transports": {"docker": {
                   "HOST/cosign": [{"type": "sigstoreSigned", "keyPath": "DIR/ec.pub", "signedIdentity": ID}],
                   "HOST/rsa": [{"type": "sigstoreSigned", "keyPaths": ["DIR/other.pub", "DIR/rsa.pub"],
                                 "signedIdentity": ID}],
                   "HOST/ed": [{"type": "sigstoreSigned", "keyPath": "DIR/ed25519.pub", "signedIdentity": ID}],
                   "HOST/bundle": [{"type": "sigstoreSigned", "keyPath": "DIR/ec.pub", "signedIdentity": ID}],
                   "HOST/strict": [{"type": "sigstoreSigned", "keyPath": "DIR/ec.pub"}],
                   "HOST/keyless": [{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca.pem", "oidcIssuer": "x",
                                     "subjectEmail": "a@b"}, "rekorPublicKeyPath": "/rekor.pub"}]}}}""")
                .replace("HOST", host).replace("DIR", work.toString()).replace("ID", repoIdentity));

        Path layout = work.resolve("layout");
        OciFixtures.buildImage(layout, "one", new PlatformImage("linux", "amd64",
                List.of(Fixtures.baseLayer(work.resolve("l1.tar")))));
        OciFixtures.buildImage(layout, "two", new PlatformImage("linux", "amd64",
                List.of(Fixtures.secondLayer(work.resolve("l2.tar")))));
        for (String repo : List.of("cosign/app", "cosign/other", "cosign/unsigned", "cosign/moved", "strict/app",
                "rsa/app", "ed/app", "keyless/app", "bundle/app")) {
            Skopeo.copyTo(registry, "oci:" + layout + ":one", repo + ":v1");
        }
        Skopeo.copyTo(registry, "oci:" + layout + ":two", "cosign/wrong:v1");
        digest = Skopeo.run("inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                "docker://" + host + "/cosign/app:v1").strip();
        String other = Skopeo.run("inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                "docker://" + host + "/cosign/wrong:v1").strip();
        attach("cosign/app", digest, "cosign/app", digest, "ec");
        attach("cosign/other", digest, "cosign/other", digest, "other");
        attach("cosign/moved", digest, "cosign/app", digest, "ec"); // copied from another repository
        attach("cosign/wrong", other, "cosign/wrong", digest, "ec"); // names image one's digest
        attach("strict/app", digest, "strict/app", digest, "ec");
        attach("rsa/app", digest, "rsa/app", digest, "rsa");
        attach("ed/app", digest, "ed/app", digest, "ed25519");
        attach("keyless/app", digest, "keyless/app", digest, "ec");
        attachBundle("bundle/app", digest);
    }

    @AfterAll
    void stop() {
        if (registry != null) {
            registry.close();
        }
        Tools.deleteTree(work);
    }

    /** Puts cosign's signature manifest for {@code imageDigest} into {@code repo}: one signed simple-signing payload. */
    private void attach(String repo, String imageDigest, String identityRepo, String signedDigest, String key)
            throws Exception {
        byte[] payload = ("{\"critical\":{\"identity\":{\"docker-reference\":\"" + host + "/" + identityRepo + "\"},"
                + "\"image\":{\"docker-manifest-digest\":\"" + signedDigest + "\"},"
                + "\"type\":\"cosign container image signature\"},\"optional\":null}").getBytes(StandardCharsets.UTF_8);
        Path payloadFile = Files.write(work.resolve("payload-" + repo.replace('/', '_')), payload);
        String signature = keys.run("sign", work.resolve(key + ".key").toString(), payloadFile.toString()).strip();
        byte[] config = "{\"architecture\":\"\",\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{}}"
                .getBytes(StandardCharsets.UTF_8);
        try (RegistryClient client = new RegistryClient(host, RegistryOptions.defaults(), null)) {
            Descriptor layer = new Descriptor(SigstoreAttachments.PAYLOAD_TYPE, Digest.sha256(payload), payload.length);
            Descriptor cfg = new Descriptor("application/vnd.oci.image.config.v1+json", Digest.sha256(config),
                    config.length);
            client.uploadBlob(repo, layer, () -> new ByteArrayInputStream(payload));
            client.uploadBlob(repo, cfg, () -> new ByteArrayInputStream(config));
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"" + cfg.mediaType() + "\",\"digest\":\"" + cfg.digest() + "\",\"size\":"
                    + cfg.size() + "},\"layers\":[{\"mediaType\":\"" + layer.mediaType() + "\",\"digest\":\""
                    + layer.digest() + "\",\"size\":" + layer.size() + ",\"annotations\":{\""
                    + SigstoreAttachments.SIGNATURE_ANNOTATION + "\":\"" + signature + "\"}}]}";
            client.putManifest(repo, imageDigest.replace(':', '-') + ".sig", manifest.getBytes(StandardCharsets.UTF_8),
                    "application/vnd.oci.image.manifest.v1+json");
        }
    }

    /**
     * Attaches a sigstore bundle as cosign 3 does by default: an OCI 1.1 artifact manifest whose subject is the
     * image. Debian's registry 2.8 has no referrers API, so the fallback tag {@code sha256-HEX} lists it, as
     * distribution-spec 1.1 tells clients to maintain it there.
     */
    private void attachBundle(String repo, String imageDigest) throws Exception {
        String bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
        byte[] bundle = "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}".getBytes(StandardCharsets.UTF_8);
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        try (RegistryClient client = new RegistryClient(host, RegistryOptions.defaults(), null)) {
            assertThat(client.referrers(repo, Digest.parse(imageDigest))).as("registry 2.8 has no referrers API").isEmpty();
            Descriptor layer = new Descriptor(bundleType, Digest.sha256(bundle), bundle.length);
            Descriptor cfg = new Descriptor("application/vnd.oci.empty.v1+json", Digest.sha256(empty), empty.length);
            client.uploadBlob(repo, layer, () -> new ByteArrayInputStream(bundle));
            client.uploadBlob(repo, cfg, () -> new ByteArrayInputStream(empty));
            long imageSize = client.getManifest(repo, imageDigest).bytes().length;
            String oci = "application/vnd.oci.image.manifest.v1+json";
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + oci + "\",\"artifactType\":\"" + bundleType
                    + "\",\"config\":{\"mediaType\":\"" + cfg.mediaType() + "\",\"digest\":\"" + cfg.digest()
                    + "\",\"size\":2},\"layers\":[{\"mediaType\":\"" + bundleType + "\",\"digest\":\"" + layer.digest()
                    + "\",\"size\":" + layer.size() + "}],\"subject\":{\"mediaType\":\"" + oci + "\",\"digest\":\""
                    + imageDigest + "\",\"size\":" + imageSize + "}}").getBytes(StandardCharsets.UTF_8);
            Digest manifestDigest = Digest.sha256(manifest);
            client.putManifest(repo, manifestDigest.toString(), manifest, oci);
            byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                    + "\"manifests\":[{\"mediaType\":\"" + oci + "\",\"digest\":\"" + manifestDigest + "\",\"size\":"
                    + manifest.length + ",\"artifactType\":\"" + bundleType + "\"}]}").getBytes(StandardCharsets.UTF_8);
            client.putManifest(repo, imageDigest.replace(':', '-'), index, "application/vnd.oci.image.index.v1+json");
        }
    }

    private KrgoCli.Result pull(String repoAndTag, Path dir, Path registries) {
        return KrgoCli.runInProcess(home, null, "pull", host + "/" + repoAndTag, "-r", dir.toString(), "-q",
                "--policy", policy.toString(), "--registries.d", registries.toString());
    }

    private void refused(String repoAndTag, String mentions) {
        refused(repoAndTag, mentions, registriesD);
    }

    private void refused(String repoAndTag, String mentions, Path registries) {
        Path out = work.resolve("out-" + repoAndTag.replaceAll("[^a-z0-9]", "_"));
        assertError(pull(repoAndTag, out, registries), 8, mentions);
        assertThat(out).doesNotExist();
        assertThat(out.resolveSibling("." + out.getFileName() + ".krgo")).doesNotExist();
    }

    @Test
    void aRegistryWithTheReferrersApiIsAskedThereFirst() throws Exception {
        // registry 2.8 lacks the API: a proxy of ours answers it, as a registry implementing OCI 1.1 would
        String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + "a".repeat(64)
                + "\",\"size\":100,\"artifactType\":\"application/spdx+json\"},"
                + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + "b".repeat(64)
                + "\",\"size\":100,\"artifactType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}]}";
        try (io.krgo.testing.LoopbackProxy proxy = io.krgo.testing.LoopbackProxy.start(host, (ex, p) -> {
            if (!ex.getRequestURI().getPath().equals("/v2/cosign/unsigned/referrers/" + digest)) {
                return false;
            }
            byte[] body = index.getBytes(StandardCharsets.UTF_8);
            p.respond(ex, new io.krgo.testing.LoopbackProxy.Upstream(200, Map.of("content-type",
                    List.of("application/vnd.oci.image.index.v1+json")), body), body);
            return true;
        })) {
            Path keyOnly = Files.writeString(work.resolve("any-ec.json"),
                    "{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPath\": \"" + work.resolve("ec.pub") + "\"}]}");
            Path out = work.resolve("out-referrers-api");
            assertError(KrgoCli.runInProcess(home, null, "pull", proxy.host() + "/cosign/unsigned:v1", "-r", out.toString(), "-q",
                    "--policy", keyOnly.toString(), "--registries.d", noAttachments.toString()), 8,
                    "but the image has only a sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json) attached"
                            + " as an OCI 1.1 referrer");
            assertThat(out).doesNotExist();
            assertThat(proxy.requests("GET", "/referrers/")).hasSize(1);
            assertThat(proxy.requests("GET", "/manifests/sha256-")).as("no fallback tag where the API answers").isEmpty();
        }
    }

    @Test
    void keyPairSignaturesAreAccepted() {
        for (String image : List.of("cosign/app:v1", "rsa/app:v1", "ed/app:v1")) {
            Path out = work.resolve("ok-" + image.replaceAll("[^a-z0-9]", "_"));
            KrgoCli.Result r = pull(image, out, registriesD);
            assertThat(r.exitCode()).as(image + ": " + r).isZero();
            assertThat(out.resolve("etc/hello.txt")).hasContent("hello from layer one");
        }
        KrgoCli.Result v = KrgoCli.runInProcess(home, null, "verify", host + "/cosign/app:v1", "--policy", policy.toString(),
                "--registries.d", registriesD.toString());
        assertThat(v.exitCode()).as(v.toString()).isZero();
        assertThat(v.stdout()).contains("signature-1: accepted, key SHA256:", "identity " + host + "/cosign/app, digest "
                + digest);
    }

    @Test
    void refusalsEachSayWhy() {
        refused("strict/app:v1", "signature for identity " + host + "/strict/app is not accepted for " + host
                + "/strict/app:v1 (signedIdentity matchRepoDigestOrExact)");
        refused("cosign/other:v1", "the cosign signature is not by a key the policy trusts");
        refused("cosign/unsigned:v1", "cosign signature required, but none exists (policy");
        refused("cosign/moved:v1", "signature for identity " + host + "/cosign/app is not accepted for " + host
                + "/cosign/moved:v1 (signedIdentity matchRepository)");
        refused("cosign/wrong:v1", "signature for manifest digest " + digest + " does not match the image's sha256:");
        refused("cosign/app:v1", "cosign signature required, but none exists (use-sigstore-attachments is not enabled",
                noAttachments);
        refused("bundle/app:v1", "cosign signature required, but the image has only a sigstore bundle"
                + " (application/vnd.dev.sigstore.bundle.v0.3+json) attached as an OCI 1.1 referrer, a format krgo does"
                + " not verify yet");
        refused("keyless/app:v1", "keyless sigstore signatures (fulcio, rekorPublicKeyPath) are not verified by krgo"
                + " yet");
        // pulled by digest, the default identity accepts a signature naming the repository, as containers/image does
        KrgoCli.Result byDigest = pull("strict/app@" + digest, work.resolve("strict-by-digest"), registriesD);
        assertThat(byDigest.exitCode()).as(byDigest.toString()).isZero();
    }
}
