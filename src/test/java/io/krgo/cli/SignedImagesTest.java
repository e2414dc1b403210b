package io.krgo.cli;

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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.krgo.cli.InspectCommandsTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Signature policy end to end with the real signers and verifiers: GnuPG keys, images signed by
 * {@code skopeo copy --sign-by} into a file:// lookaside, and every verdict of krgo compared with
 * {@code skopeo copy --policy} on the same files.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SignedImagesTest {
    private RegistryHarness registry;
    private Gpg gpg;
    private Path work;
    private Path home;
    private Path registriesD;
    private Path lookaside;
    private Path policy;
    private String host;
    private String ed;
    private String rsa;
    private String locked;
    private Path lockedSecret;
    private String digest;
    private int outputs;

    @BeforeAll
    void start() throws Exception {
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        host = registry.host();
        work = Files.createTempDirectory("krgo-sig");
        home = Files.createDirectories(work.resolve("home"));
        gpg = Gpg.start(work);
        ed = gpg.generate("ed@krgo.test", "ed25519", "never");
        rsa = gpg.generate("rsa@krgo.test", "rsa3072", "never");
        Path edKey = gpg.exportPublic(ed, work.resolve("ed.gpg"), false);
        Path rsaKey = gpg.exportPublic(rsa, work.resolve("rsa.asc"), true);
        locked = gpg.generate("locked@krgo.test", "rsa3072", "never", "--passphrase", "open sesame");
        Path lockedKey = gpg.exportPublic(locked, work.resolve("locked.gpg"), false);
        lockedSecret = work.resolve("locked-secret.asc");
        gpg.run("--passphrase", "open sesame", "--output", lockedSecret.toString(), "--armor", "--export-secret-keys",
                locked);
        lookaside = Files.createDirectories(work.resolve("lookaside"));
        registriesD = Files.createDirectories(work.resolve("registries.d"));
        Files.writeString(registriesD.resolve("krgo-test.yaml"),
                "docker:\n  " + host + ":\n    lookaside: file://" + lookaside + "\n");
        Files.writeString(work.resolve("accept-all.json"), "{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}");
        policy = Files.writeString(work.resolve("policy.json"), """
                {"default": [{"type": "reject"}],
                 "transports": {"docker": {
                   "HOST": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "@ED@"}],
                   "HOST/both": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "@ED@"},
                                 {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "@RSA@"}],
                   "HOST/bykey": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "@LOCKED@",
                                  "signedIdentity": {"type": "matchRepository"}}]}}}"""
                .replace("HOST", host).replace("@ED@", edKey.toString()).replace("@RSA@", rsaKey.toString())
                .replace("@LOCKED@", lockedKey.toString()));

        Path layout = work.resolve("layout");
        OciFixtures.buildImage(layout, "one", new PlatformImage("linux", "amd64",
                List.of(Fixtures.baseLayer(work.resolve("l1.tar")))));
        OciFixtures.buildImage(layout, "two", new PlatformImage("linux", "amd64",
                List.of(Fixtures.secondLayer(work.resolve("l2.tar")))));
        String one = "oci:" + layout + ":one";
        push(one, "signed/app:v1", ed);
        push(one, "unsigned/app:v1", null);
        push(one, "rsa/app:v1", rsa);
        push(one, "moved/app:v1", null);
        push(one, "corrupt/app:v1", ed);
        push(one, "both/app:v1", ed);
        push(one, "both/edonly:v1", ed);
        push(one, "wrong/app:v1", ed); // signed for image one's digest, then the tag moves to image two:
        push("oci:" + layout + ":two", "wrong/app:v1", null);
        digest = digestOf("signed/app:v1");
        copySignatures("signed/app", digest, "moved/app", digest);
        copySignatures("wrong/app", digest, "wrong/app", digestOf("wrong/app:v1"));
        Path corrupt = sigDir("corrupt/app", digest).resolve("signature-1");
        byte[] bytes = Files.readAllBytes(corrupt);
        // skopeo's message is one compressed packet, so a flipped byte may break the deflate stream or the
        // signature, by chance; a cut one always breaks the stream
        Files.write(corrupt, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        byte[] payload = gpg.run("--decrypt", sigDir("both/app", digest).resolve("signature-1").toString())
                .getBytes(StandardCharsets.UTF_8);
        Files.write(sigDir("both/app", digest).resolve("signature-2"), gpg.sign(rsa, payload));
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

    /** skopeo copy (signing by {@code signer} when not null) into the test registry, lookaside from registries.d. */
    private void push(String src, String repoAndTag, String signer) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--registries.d", registriesD.toString(),
                "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false"));
        if (signer != null) {
            cmd.addAll(List.of("--sign-by", signer));
        }
        cmd.addAll(List.of(src, "docker://" + host + "/" + repoAndTag));
        Tools.Result r = Tools.runAllowingFailure(cmd, gpg.env());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
    }

    private String digestOf(String repoAndTag) {
        return Skopeo.run("inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                "docker://" + host + "/" + repoAndTag).strip();
    }

    private Path sigDir(String repo, String digest) {
        return lookaside.resolve(repo + "@" + digest.replace(':', '='));
    }

    private void copySignatures(String fromRepo, String fromDigest, String toRepo, String toDigest) throws IOException {
        Path to = Files.createDirectories(sigDir(toRepo, toDigest));
        Files.copy(sigDir(fromRepo, fromDigest).resolve("signature-1"), to.resolve("signature-1"));
    }

    /** skopeo's verdict under the same policy and registries.d: did it copy the image? */
    private boolean skopeoAccepts(String repoAndTag, Path policyFile) {
        return skopeoAccepts(repoAndTag, policyFile, registriesD);
    }

    private boolean skopeoAccepts(String repoAndTag, Path policyFile, Path registriesD) {
        Tools.Result r = Tools.runAllowingFailure(List.of("skopeo", "--registries.d", registriesD.toString(),
                "--policy", policyFile.toString(), "copy", "--quiet", "--src-tls-verify=false",
                "docker://" + host + "/" + repoAndTag, "dir:" + work.resolve("skopeo-" + (++outputs))), Map.of());
        return r.exitCode() == 0;
    }

    /** krgo pull under the policy: refused with exit 8 naming {@code mentions}, nothing written; skopeo refuses too. */
    private void refused(String repoAndTag, String mentions) {
        for (String git : List.of("", "-g")) {
            Path out = work.resolve("out-" + (++outputs));
            List<String> args = new ArrayList<>(List.of("pull", host + "/" + repoAndTag, "-r", out.toString(), "-q",
                    "--policy", policy.toString(), "--registries.d", registriesD.toString()));
            if (!git.isEmpty()) {
                args.add(git);
            }
            assertError(KrgoCli.runInProcess(home, null, args.toArray(String[]::new)), 8, mentions);
            assertThat(out).doesNotExist();
            try (var siblings = Files.list(work)) { // no .DIR.krgo record, no staging directory
                assertThat(siblings.map(p -> p.getFileName().toString()))
                        .noneMatch(n -> n.equals(out.getFileName().toString())
                                || n.startsWith("." + out.getFileName() + "."));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        assertThat(skopeoAccepts(repoAndTag, policy)).as("skopeo's verdict on " + repoAndTag).isFalse();
    }

    @Test
    void signedImageIsAcceptedByKrgoAndSkopeo() {
        for (String flag : List.of("", "-g")) {
            Path out = work.resolve("out-" + (++outputs));
            List<String> args = new ArrayList<>(List.of("pull", host + "/signed/app:v1", "-r", out.toString(), "-q",
                    "--policy", policy.toString(), "--registries.d", registriesD.toString()));
            if (!flag.isEmpty()) {
                args.add(flag);
            }
            KrgoCli.Result r = KrgoCli.runInProcess(home, null, args.toArray(String[]::new));
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(out.resolve("etc/hello.txt")).hasContent("hello from layer one");
        }
        assertThat(skopeoAccepts("signed/app:v1", policy)).isTrue();
        KrgoCli.Result byDigest = KrgoCli.runInProcess(home, null, "pull", host + "/signed/app@" + digest, "-r",
                work.resolve("out-digest").toString(), "-q", "--policy", policy.toString(), "--registries.d",
                registriesD.toString());
        assertThat(byDigest.exitCode()).as(byDigest.toString()).isZero();
    }

    @Test
    void refusalsEachSayWhy() {
        refused("unsigned/app:v1", "signature required, but none exists (policy " + policy + ", docker scope \""
                + host + "\", requirement signedBy)");
        refused("rsa/app:v1", "signed by key ID " + rsa.substring(24) + ", which the policy does not trust");
        refused("moved/app:v1", "signature for identity " + host + "/moved/app:v1".replace("moved", "signed")
                + " is not accepted for " + host + "/moved/app:v1 (signedIdentity matchRepoDigestOrExact)");
        refused("wrong/app:v1", "signature for manifest digest " + digest + " does not match the image's sha256:");
        refused("corrupt/app:v1", "not a valid OpenPGP signed message: ");
    }

    @Test
    void twoSignedByRequirementsMustBothHold() {
        refused("both/edonly:v1", "signed by key ID " + ed.substring(24) + ", which the policy does not trust (policy "
                + policy + ", docker scope \"" + host + "/both\", requirement signedBy)");
        KrgoCli.Result r = KrgoCli.runInProcess(home, null, "pull", host + "/both/app:v1", "-r",
                work.resolve("out-both").toString(), "-q",
                "--policy", policy.toString(), "--registries.d", registriesD.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(skopeoAccepts("both/app:v1", policy)).isTrue();
    }

    @Test
    void verifyShowsEachSignature() throws Exception {
        KrgoCli.Result ok = KrgoCli.runInProcess(home, null, "verify", host + "/both/app:v1", "--policy", policy.toString(),
                "--registries.d", registriesD.toString());
        assertThat(ok.exitCode()).as(ok.toString()).isZero();
        assertThat(ok.stdout()).contains(host + "/both/app:v1 " + digest, "Policy scope: docker scope \"" + host + "/both\"",
                "signature-1: accepted, key " + ed + ", identity " + host + "/both/app:v1, digest " + digest,
                "signature-2: accepted, key " + rsa, "Accepted");
        KrgoCli.Result refused = KrgoCli.runInProcess(home, null, "verify", host + "/moved/app:v1", "--json",
                "--policy", policy.toString(), "--registries.d", registriesD.toString());
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(8);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(refused.stdoutBytes());
        assertThat(json.path("accepted").asBoolean()).isFalse();
        assertThat(json.path("digest").asText()).isEqualTo(digest);
        assertThat(json.path("signatures").get(0).path("fingerprint").asText()).isEqualTo(ed);
        assertThat(json.path("signatures").get(0).path("identity").asText()).isEqualTo(host + "/signed/app:v1");
        assertThat(json.path("signatures").get(0).path("problem").asText()).startsWith("signature for identity");
    }

    @Test
    void copyChecksTheSourceFirst() {
        KrgoCli.Result refused = KrgoCli.runInProcess(home, null, "copy", host + "/unsigned/app:v1",
                host + "/copies/unsigned:v1", "-q",
                "--policy", policy.toString(), "--registries.d", registriesD.toString());
        assertError(refused, 8, "signature required, but none exists");
        Tools.Result absent = Tools.runAllowingFailure(List.of("skopeo", "inspect", "--raw", "--tls-verify=false",
                "docker://" + host + "/copies/unsigned:v1"), Map.of());
        assertThat(absent.exitCode()).as("nothing was pushed").isNotZero();
        KrgoCli.Result ok = KrgoCli.runInProcess(home, null, "copy", host + "/signed/app:v1", host + "/copies/signed:v1", "-q",
                "--policy", policy.toString(), "--registries.d", registriesD.toString());
        assertThat(ok.exitCode()).as(ok.toString()).isZero();
    }

    @Test
    void exportChecksTheSourceFirst() {
        for (String form : List.of("--oci", "--tar")) {
            Path target = work.resolve("export" + form);
            for (boolean all : List.of(false, true)) {
                if (all && form.equals("--tar")) {
                    continue;
                }
                List<String> args = new ArrayList<>(List.of("export", host + "/moved/app:v1", form, target.toString(),
                        "--policy", policy.toString(), "--registries.d", registriesD.toString()));
                if (all) {
                    args.add("--all");
                }
                assertError(KrgoCli.runInProcess(home, null, args.toArray(String[]::new)), 8,
                        "signature for identity " + host + "/signed/app:v1 is not accepted");
                assertThat(target).as(form + (all ? " --all" : "")).doesNotExist();
            }
            KrgoCli.Result ok = KrgoCli.runInProcess(home, null, "export", host + "/signed/app:v1", form, target.toString(),
                    "--policy", policy.toString(), "--registries.d", registriesD.toString());
            assertThat(ok.exitCode()).as(ok.toString()).isZero();
            assertThat(target).exists();
        }
    }

    @Test
    void whatKrgoSignsSkopeoAccepts() throws IOException {
        KrgoCli.Result copy = KrgoCli.run(home, gpg.env(), null, "copy", host + "/unsigned/app:v1",
                host + "/copies/bykrgo:v1", "--sign-by", ed, "--registries.d", registriesD.toString(),
                "--policy", work.resolve("accept-all.json").toString());
        assertThat(copy.exitCode()).as(copy.toString()).isZero();
        assertThat(copy.stdout()).contains("Signed by " + ed + ": " + sigDir("copies/bykrgo", digest).resolve("signature-1"));
        assertThat(skopeoAccepts("copies/bykrgo:v1", policy)).isTrue();

        Path dir = Files.createDirectories(work.resolve("to-push/etc"));
        Files.writeString(dir.resolve("motd"), "pushed and signed\n");
        KrgoCli.Result push = KrgoCli.run(home, gpg.env(), null, "push", host + "/pushed/app:v1", "-r",
                dir.getParent().toString(), "--sign-by", ed, "--registries.d", registriesD.toString());
        assertThat(push.exitCode()).as(push.toString()).isZero();
        assertThat(skopeoAccepts("pushed/app:v1", policy)).isTrue();
        KrgoCli.Result verify = KrgoCli.runInProcess(home, null, "verify", host + "/pushed/app:v1", "--policy", policy.toString(),
                "--registries.d", registriesD.toString());
        assertThat(verify.exitCode()).as(verify.toString()).isZero();
        assertThat(verify.stdout()).contains("signature-1: accepted, key " + ed + ", identity " + host + "/pushed/app:v1");

        // a passphrase-protected key file, without gpg, and another identity (matchRepository in the policy)
        Path pass = Files.writeString(work.resolve("pass.txt"), "open sesame\n");
        KrgoCli.Result wrong = KrgoCli.runInProcess(home, null, "push", host + "/bykey/app:v1", "-r", dir.getParent().toString(),
                "--sign-by-key", lockedSecret.toString(), "--registries.d", registriesD.toString());
        assertError(wrong, 3, "--sign-by-key " + lockedSecret + ": cannot unlock the key (wrong passphrase?)");
        KrgoCli.Result byKey = KrgoCli.runInProcess(home, null, "push", host + "/bykey/app:v1", "-r", dir.getParent().toString(),
                "--sign-by-key", lockedSecret.toString(), "--sign-passphrase-file", pass.toString(),
                "--sign-identity", host + "/bykey/app:stable", "--registries.d", registriesD.toString(), "--json");
        assertThat(byKey.exitCode()).as(byKey.toString()).isZero();
        var pushed = new com.fasterxml.jackson.databind.ObjectMapper().readTree(byKey.stdoutBytes());
        assertThat(pushed.path("signature").asText()).isEqualTo(sigDir("bykey/app", pushed.path("digest").asText())
                .resolve("signature-1").toString());
        assertThat(skopeoAccepts("bykey/app:v1", policy)).isTrue();
        KrgoCli.Result shown = KrgoCli.runInProcess(home, null, "verify", host + "/bykey/app:v1", "--policy", policy.toString(),
                "--registries.d", registriesD.toString());
        assertThat(shown.stdout()).as(shown.toString())
                .contains("accepted, key " + locked + ", identity " + host + "/bykey/app:stable");
    }

    @Test
    void httpLookasideIsReadToo() throws Exception {
        int port;
        try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        // a real web server (Python's) serving the lookaside directory on loopback
        Process server = new ProcessBuilder("/usr/bin/python3", "-m", "http.server", String.valueOf(port), "--bind",
                "127.0.0.1", "--directory", lookaside.toString()).redirectErrorStream(true)
                .redirectOutput(work.resolve("http.log").toFile()).start();
        try {
            for (int i = 0; ; i++) {
                try (var s = new java.net.Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException notYet) {
                    assertThat(i).as("python3 -m http.server did not start").isLessThan(100);
                    Thread.sleep(100);
                }
            }
            Path httpD = Files.createDirectories(work.resolve("registries.d-http"));
            Files.writeString(httpD.resolve("http.yaml"),
                    "docker:\n  " + host + ":\n    lookaside: http://127.0.0.1:" + port + "\n");
            KrgoCli.Result ok = KrgoCli.runInProcess(home, null, "pull", host + "/both/app:v1", "-r",
                    work.resolve("out-http").toString(),
                    "-q", "--policy", policy.toString(), "--registries.d", httpD.toString());
            assertThat(ok.exitCode()).as(ok.toString()).isZero();
            assertThat(skopeoAccepts("both/app:v1", policy, httpD)).isTrue();
            KrgoCli.Result no = KrgoCli.runInProcess(home, null, "pull", host + "/rsa/app:v1", "-r",
                    work.resolve("out-http-no").toString(),
                    "-q", "--policy", policy.toString(), "--registries.d", httpD.toString());
            assertError(no, 8, "signed by key ID " + rsa.substring(24) + ", which the policy does not trust");
            assertThat(skopeoAccepts("rsa/app:v1", policy, httpD)).isFalse();
            assertThat(Files.readString(work.resolve("http.log"))).contains("GET /both/app@sha256=", "/signature-2 HTTP",
                    "/signature-3 HTTP/1.1\" 404");
        } finally {
            server.destroy();
            server.waitFor();
        }
    }

    @Test
    void ociLayoutsAreCheckedUnderTheOciTransport() throws IOException {
        Path layout = work.resolve("layout");
        Path ociPolicy = Files.writeString(work.resolve("oci-policy.json"), """
                {"default": [{"type": "reject"}],
                 "transports": {"oci": {
                   "LAYOUT:one": [{"type": "insecureAcceptAnything"}],
                   "LAYOUT": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/nonexistent.gpg"}]}}}"""
                .replace("LAYOUT", layout.toString()));
        KrgoCli.Result ok = KrgoCli.runInProcess(home, null, "pull", "oci:" + layout + ":one", "-r",
                work.resolve("oci-ok").toString(), "-q", "--policy", ociPolicy.toString());
        assertThat(ok.exitCode()).as(ok.toString()).isZero();
        Path out = work.resolve("oci-two");
        assertError(KrgoCli.runInProcess(home, null, "pull", "oci:" + layout + ":two", "-r", out.toString(), "-q",
                "--policy", ociPolicy.toString()), 8, "refused oci:" + layout + ":two: signature required, but an OCI"
                + " layout carries none krgo can read (policy " + ociPolicy + ", oci scope \"" + layout + "\"");
        assertThat(out).doesNotExist();
        assertError(KrgoCli.runInProcess(home, null, "pull", "oci:" + layout + ":one", "-r", out.toString(), "-q",
                "--policy", policy.toString()), 8, "rejected by policy (policy " + policy + ", the default,"
                + " requirement reject)");
        assertThat(out).doesNotExist();
    }

    @Test
    void unparsablePolicyIsAnErrorNotAcceptance() throws IOException {
        Path broken = Files.writeString(work.resolve("broken.json"), "{\"default\": [{\"type\": \"insecureAcceptAnything\"}");
        Path out = work.resolve("out-broken");
        KrgoCli.Result r = KrgoCli.runInProcess(home, null, "pull", host + "/signed/app:v1", "-r", out.toString(),
                "--policy", broken.toString(), "--registries.d", registriesD.toString());
        assertError(r, 8, "policy " + broken + ": not valid JSON");
        assertThat(out).doesNotExist();
        assertThat(skopeoAccepts("signed/app:v1", broken)).isFalse();
    }
}
