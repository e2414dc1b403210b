package io.krgo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krgo.error.NotFoundException;
import io.krgo.image.Descriptor;
import io.krgo.image.Digest;
import io.krgo.registry.RegistryClient;
import io.krgo.registry.RegistryOptions;
import io.krgo.testing.CosignKeys;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Tools;
import io.krgo.trust.SigstoreAttachments;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.krgo.cli.InspectCommandsTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --sign-by-sigstore-private-key} on push and copy, with key files made independently of krgo (Python's
 * cryptography makes the keys, python3-nacl with hashlib.scrypt encrypts them as cosign does) and every
 * signature krgo attaches checked by Python's cryptography as well as by krgo's own policy evaluation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CosignSigningTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private RegistryHarness registry;
    private Path work;
    private Path home;
    private CosignKeys keys;
    private Path registriesD;
    private Path policy;
    private Path pass;
    private Path rootfs;
    private String host;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        host = registry.host();
        work = Files.createTempDirectory("krgo-cosign-sign");
        home = Files.createDirectories(work.resolve("home"));
        keys = CosignKeys.in(work);
        for (String k : List.of("ec", "rsa", "ed25519")) {
            keys.run("gen", k, work.resolve(k + ".pem").toString(), work.resolve(k + ".pub").toString());
        }
        keys.run("encrypt", work.resolve("ec.pem").toString(), "s3cret pass", work.resolve("ec.key").toString());
        keys.run("encrypt", work.resolve("rsa.pem").toString(), "s3cret pass", work.resolve("rsa.key").toString(),
                "ENCRYPTED COSIGN PRIVATE KEY"); // cosign's older header
        keys.run("encrypt", work.resolve("ed25519.pem").toString(), "", work.resolve("ed25519.key").toString());
        pass = Files.writeString(work.resolve("pass.txt"), "s3cret pass\n");
        registriesD = Files.createDirectories(work.resolve("registries.d"));
        Files.writeString(registriesD.resolve("attach.yaml"), "docker:\n  " + host + ":\n    use-sigstore-attachments: true\n");
        policy = Files.writeString(work.resolve("policy.json"), """
                {"default": [{"type": "reject"}],
                 "transports": {"docker": {
                   "HOST/signed": [{"type": "sigstoreSigned", "keyPath": "DIR/ec.pub"}],
                   "HOST/both": [{"type": "sigstoreSigned", "keyPath": "DIR/ec.pub"},
                                 {"type": "sigstoreSigned", "keyPath": "DIR/rsa.pub"}],
                   "HOST/ed": [{"type": "sigstoreSigned", "keyPath": "DIR/ed25519.pub",
                                "signedIdentity": {"type": "matchRepository"}}]}}}"""
                .replace("HOST", host).replace("DIR", work.toString()));
        rootfs = Files.createDirectories(work.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("motd"), "signed by a cosign key\n");
        rootfs = rootfs.getParent();
    }

    @AfterAll
    void stop() {
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

    /** The layers of the .sig manifest of {@code digest} in {@code repo}: payload and base64 signature each. */
    private List<String[]> attached(String repo, String digest) throws Exception {
        List<String[]> out = new ArrayList<>();
        try (RegistryClient client = new RegistryClient(host, RegistryOptions.defaults(), null)) {
            JsonNode m = JSON.readTree(client.getManifest(repo, digest.replace(':', '-') + ".sig").bytes());
            JsonNode config = JSON.readTree(client.readSmallBlob(repo, new Descriptor(
                    m.path("config").path("mediaType").asText(), Digest.parse(m.path("config").path("digest").asText()),
                    m.path("config").path("size").asLong())));
            List<String> diffIds = new ArrayList<>();
            config.path("rootfs").path("diff_ids").forEach(d -> diffIds.add(d.asText()));
            List<String> layerDigests = new ArrayList<>();
            for (JsonNode layer : m.path("layers")) {
                assertThat(layer.path("mediaType").asText()).isEqualTo(SigstoreAttachments.PAYLOAD_TYPE);
                layerDigests.add(layer.path("digest").asText());
                byte[] payload = client.readSmallBlob(repo, new Descriptor(SigstoreAttachments.PAYLOAD_TYPE,
                        Digest.parse(layer.path("digest").asText()), layer.path("size").asLong()));
                out.add(new String[]{new String(payload, java.nio.charset.StandardCharsets.UTF_8),
                        layer.path("annotations").path(SigstoreAttachments.SIGNATURE_ANNOTATION).asText()});
            }
            assertThat(diffIds).as("the config lists each payload, as cosign writes it").isEqualTo(layerDigests);
        }
        return out;
    }

    /** Python's cryptography checks {@code signature} (base64) over {@code payload} with {@code key}.pub. */
    private void pythonVerifies(String key, String[] attachment) throws Exception {
        Path payload = Files.writeString(work.resolve("payload-" + System.nanoTime()), attachment[0]);
        assertThat(keys.run("verify", work.resolve(key + ".pub").toString(), payload.toString(), attachment[1]))
                .isEqualTo("ok\n");
    }

    @Test
    void pushSignsAndCopyAppendsKeepingTheOlderSignature() throws Exception {
        KrgoCli.Result push = krgo("push", host + "/signed/app:v1", "-r", rootfs.toString(),
                "--sign-by-sigstore-private-key", work.resolve("ec.key").toString(),
                "--sign-passphrase-file", pass.toString(), "--json");
        assertThat(push.exitCode()).as(push.toString()).isZero();
        JsonNode pushed = JSON.readTree(push.stdoutBytes());
        String digest = pushed.path("digest").asText();
        assertThat(pushed.path("sigstoreSignature").asText()).isEqualTo(host + "/signed/app:" + digest.replace(':', '-')
                + ".sig");
        List<String[]> one = attached("signed/app", digest);
        assertThat(one).hasSize(1);
        JsonNode payload = JSON.readTree(one.get(0)[0]);
        assertThat(payload.path("critical").path("type").asText()).isEqualTo("cosign container image signature");
        assertThat(payload.path("critical").path("image").path("docker-manifest-digest").asText()).isEqualTo(digest);
        assertThat(payload.path("critical").path("identity").path("docker-reference").asText())
                .isEqualTo(host + "/signed/app:v1"); // the pushed reference, as skopeo signs it
        pythonVerifies("ec", one.get(0));
        // krgo's own verifier accepts it under the default identity rule, pulled by tag
        KrgoCli.Result pull = krgo("pull", host + "/signed/app:v1", "-r", work.resolve("out-signed").toString(), "-q",
                "--policy", policy.toString());
        assertThat(pull.exitCode()).as(pull.toString()).isZero();
        assertThat(work.resolve("out-signed/etc/motd")).hasContent("signed by a cosign key");

        // copied to another repository and signed there with the ec key, then signed again with the rsa key:
        // the second signature is appended, the first stays valid, and a policy needing both accepts
        for (String key : List.of("ec", "rsa")) {
            KrgoCli.Result copy = krgo("copy", host + "/signed/app:v1", host + "/both/app:v1", "--policy", policy.toString(),
                    "--sign-by-sigstore-private-key", work.resolve(key + ".key").toString(),
                    "--sign-passphrase-file", pass.toString());
            assertThat(copy.exitCode()).as(copy.toString()).isZero();
            assertThat(copy.stdout()).contains("Signed by SHA256:", host + "/both/app:" + digest.replace(':', '-') + ".sig");
        }
        List<String[]> two = attached("both/app", digest);
        assertThat(two).hasSize(2);
        pythonVerifies("ec", two.get(0));
        pythonVerifies("rsa", two.get(1));
        KrgoCli.Result both = krgo("pull", host + "/both/app:v1", "-r", work.resolve("out-both").toString(), "-q",
                "--policy", policy.toString());
        assertThat(both.exitCode()).as(both.toString()).isZero();
        KrgoCli.Result verify = krgo("verify", host + "/both/app:v1", "--policy", policy.toString());
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.stdout()).contains("signature-1: accepted", "signature-2: accepted");
    }

    @Test
    void verdictsAreRememberedUntilPolicyRegistriesDOrKeysChange() throws Exception {
        KrgoCli.Result push = krgo("push", host + "/remember/app:v1", "-r", rootfs.toString(),
                "--sign-by-sigstore-private-key", work.resolve("ec.key").toString(), "--sign-passphrase-file",
                pass.toString(), "--json");
        assertThat(push.exitCode()).as(push.toString()).isZero();
        String digest = JSON.readTree(push.stdoutBytes()).path("digest").asText();
        String sigReads = "/v2/remember/app/manifests/sha256-.*\\.sig";
        String text = "{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"HOST/remember\":"
                + " [{\"type\": \"sigstoreSigned\", \"keyPath\": \"KEY\"}]}}}";
        Path key = Files.copy(work.resolve("ec.pub"), work.resolve("remember.pub"));
        Path rememberPolicy = Files.writeString(work.resolve("remember.json"),
                text.replace("HOST", host).replace("KEY", key.toString()));
        for (String ref : List.of(host + "/remember/app:v1", host + "/remember/app@" + digest)) {
            Path dir = work.resolve("out-remember-" + ref.length());
            java.util.function.Supplier<KrgoCli.Result> pull = () -> krgo("pull", ref, "-r", dir.toString(), "-q",
                    "--policy", rememberPolicy.toString());
            long before = registry.countRequests("GET", sigReads);
            assertThat(pull.get().exitCode()).isZero();
            long reads = registry.countRequests("GET", sigReads);
            assertThat(reads).as("the first pull reads the signature").isEqualTo(before + 1);
            assertThat(pull.get().exitCode()).isZero();
            assertThat(registry.countRequests("GET", sigReads)).as("up to date, remembered: no signature read")
                    .isEqualTo(reads);
            // the same policy in other bytes: verified again
            Files.writeString(rememberPolicy, Files.readString(rememberPolicy) + "\n");
            assertThat(pull.get().exitCode()).isZero();
            assertThat(registry.countRequests("GET", sigReads)).isEqualTo(reads + 1);
            // another registries.d file: verified again
            Path extra = Files.writeString(registriesD.resolve("extra.yaml"), "docker:\n  example.com:\n    lookaside: file:///x\n");
            assertThat(pull.get().exitCode()).isZero();
            assertThat(registry.countRequests("GET", sigReads)).isEqualTo(reads + 2);
            Files.delete(extra);
            // the key file now holds another key: verified again, and refused, DIR left as it was
            Files.copy(work.resolve("rsa.pub"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            KrgoCli.Result refused = pull.get();
            assertError(refused, 8, "the cosign signature is not by a key the policy trusts");
            assertThat(dir.resolve("etc/motd")).hasContent("signed by a cosign key");
            Files.copy(work.resolve("ec.pub"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void ed25519KeyWithAnEmptyPassphrase() throws Exception {
        KrgoCli.Result push = krgo("push", host + "/ed/app:v1", "-r", rootfs.toString(), "--sign-by-sigstore-private-key",
                work.resolve("ed25519.key").toString(), "--json");
        assertThat(push.exitCode()).as(push.toString()).isZero();
        String digest = JSON.readTree(push.stdoutBytes()).path("digest").asText();
        List<String[]> sigs = attached("ed/app", digest);
        assertThat(sigs).hasSize(1);
        pythonVerifies("ed25519", sigs.get(0)); // pure ed25519, as containers/image verifies
        KrgoCli.Result pull = krgo("pull", host + "/ed/app:v1", "-r", work.resolve("out-ed").toString(), "-q",
                "--policy", policy.toString());
        assertThat(pull.exitCode()).as(pull.toString()).isZero();
    }

    @Test
    void wrongPassphraseOrNowhereToAttachPushNothing() throws Exception {
        Path wrong = Files.writeString(work.resolve("wrong.txt"), "not it\n");
        KrgoCli.Result r = krgo("push", host + "/nope/app:v1", "-r", rootfs.toString(), "--sign-by-sigstore-private-key",
                work.resolve("ec.key").toString(), "--sign-passphrase-file", wrong.toString());
        assertError(r, 3, "--sign-by-sigstore-private-key " + work.resolve("ec.key") + ": cannot decrypt the private"
                + " key: wrong passphrase (see --sign-passphrase-file) or a damaged file");
        Path none = Files.createDirectories(work.resolve("registries.d-none"));
        KrgoCli.Result off = KrgoCli.runInProcess(home, null, "push", host + "/nope/app:v1", "-r", rootfs.toString(),
                "--sign-by-sigstore-private-key", work.resolve("ec.key").toString(), "--sign-passphrase-file",
                pass.toString(), "--registries.d", none.toString());
        assertError(off, 8, "use-sigstore-attachments is not enabled for " + host + "/nope/app in registries.d " + none);
        try (RegistryClient client = new RegistryClient(host, RegistryOptions.defaults(), null)) {
            assertThatThrownBy(() -> client.getManifest("nope/app", "v1")).isInstanceOf(NotFoundException.class);
        }
    }
}
