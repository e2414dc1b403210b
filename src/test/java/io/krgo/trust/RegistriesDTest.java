package io.krgo.trust;

import io.krgo.error.PolicyException;
import io.krgo.reference.Reference;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** registries.d files and where the trust files are found. */
class RegistriesDTest {
    private final Path dir;

    RegistriesDTest() throws Exception {
        dir = Files.createTempDirectory("krgo-registries-d");
    }

    @AfterEach
    void clean() {
        Tools.deleteTree(dir);
    }

    private Optional<URI> read(RegistriesD d, String ref) {
        return d.lookaside(Reference.parse(ref), false);
    }

    @Test
    void scopesDefaultsAndLegacyNames() throws Exception {
        Files.writeString(dir.resolve("default.yaml"), "# comments only\n");
        Files.writeString(dir.resolve("a.yaml"), """
                default-docker:
                  sigstore: https://sigs.example.com/all
                docker:
                  example.com/team:
                    lookaside: file:///srv/team
                    lookaside-staging: file:///srv/staging
                  "*.corp.example":
                    sigstore: http://sigs.corp.example
                    use-sigstore-attachments: true
                """);
        Files.writeString(dir.resolve("b.yaml"), """
                docker:
                  example.com/team/app:1:
                    lookaside: file:///srv/app-one
                """);
        Files.writeString(dir.resolve("ignored.yml"), "not: [yaml");
        RegistriesD d = RegistriesD.load(dir);
        assertThat(read(d, "example.com/team/app:1")).contains(URI.create("file:///srv/app-one"));
        assertThat(read(d, "example.com/team/app:2")).contains(URI.create("file:///srv/team"));
        assertThat(d.lookaside(Reference.parse("example.com/team/app:2"), true)).contains(URI.create("file:///srv/staging"));
        assertThat(d.lookaside(Reference.parse("example.com/team/app:1"), true)).contains(URI.create("file:///srv/app-one"));
        assertThat(read(d, "registry.corp.example:5000/x:1")).contains(URI.create("http://sigs.corp.example"));
        assertThat(d.useSigstoreAttachments(Reference.parse("registry.corp.example/x:1"))).isTrue();
        assertThat(d.useSigstoreAttachments(Reference.parse("example.com/team/x:1"))).isFalse();
        assertThat(read(d, "busybox")).contains(URI.create("https://sigs.example.com/all"));
        assertThat(RegistriesD.load(dir.resolve("missing")).lookaside(Reference.parse("busybox"), false)).isEmpty();
    }

    @Test
    void aScopeDefinedTwiceOrBadYamlIsAnError() throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "docker:\n  example.com:\n    lookaside: file:///a\n");
        Files.writeString(dir.resolve("b.yaml"), "docker:\n  example.com:\n    lookaside: file:///b\n");
        assertThatThrownBy(() -> RegistriesD.load(dir)).isInstanceOf(PolicyException.class)
                .hasMessage("registries.d: docker scope \"example.com\" is defined in both " + dir.resolve("a.yaml")
                        + " and " + dir.resolve("b.yaml"));
        Files.writeString(dir.resolve("b.yaml"), "docker: [unclosed\n");
        assertThatThrownBy(() -> RegistriesD.load(dir)).hasMessageStartingWith("registries.d " + dir.resolve("b.yaml")
                + ": not valid YAML");
    }

    @Test
    void lookasideLayoutAndAppend() throws Exception {
        io.krgo.image.Digest d = io.krgo.image.Digest.parse("sha256:" + "e".repeat(64));
        URI base = dir.toUri();
        assertThat(Lookaside.signatureUri(URI.create("https://s.example.com/sigs/"), "ns/app", d, 3))
                .hasToString("https://s.example.com/sigs/ns/app@sha256=" + "e".repeat(64) + "/signature-3");
        Path first = Lookaside.append(base, "ns/app", d, new byte[] {1});
        Path second = Lookaside.append(base, "ns/app", d, new byte[] {2});
        assertThat(first).hasFileName("signature-1").hasBinaryContent(new byte[] {1});
        assertThat(second).hasFileName("signature-2");
        assertThat(Lookaside.read(base, "ns/app", d)).hasSize(2);
        assertThatThrownBy(() -> Lookaside.append(URI.create("https://x.example/"), "ns/app", d, new byte[] {1}))
                .hasMessageContaining("only file:// lookaside-staging is supported for writing");
    }

    @Test
    void trustFilesAreFoundAsTheContainersToolsFindThem() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path system = Files.createDirectories(dir.resolve("etc-containers"));
        assertThat(TrustFiles.locate(null, null, home, system).policy()).isNull(); // none: accept anything
        Files.writeString(system.resolve("policy.json"), "{}");
        assertThat(TrustFiles.locate(null, null, home, system).policy()).isEqualTo(system.resolve("policy.json"));
        Path user = Files.createDirectories(home.resolve(".config/containers")).resolve("policy.json");
        Files.writeString(user, "{}");
        assertThat(TrustFiles.locate(null, null, home, system).policy()).isEqualTo(user);
        assertThat(TrustFiles.locate(null, null, home, system).registriesD()).isEqualTo(system.resolve("registries.d"));
        Files.createDirectories(home.resolve(".config/containers/registries.d"));
        assertThat(TrustFiles.locate(null, null, home, system).registriesD())
                .isEqualTo(home.resolve(".config/containers/registries.d"));
        assertThatThrownBy(() -> TrustFiles.locate(dir.resolve("nope.json"), null, home, system))
                .isInstanceOf(PolicyException.class).hasMessage("policy " + dir.resolve("nope.json") + ": no such file");
        assertThat(new ImageTrust(TrustFiles.NONE, java.time.Clock.systemUTC())
                .evaluate(Reference.parse("busybox"), io.krgo.image.Digest.parse("sha256:" + "f".repeat(64)),
                        SigstoreAttachments.NONE).accepted()).isTrue();
    }
}
