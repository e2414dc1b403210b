package io.krgo.trust;

import io.krgo.error.PolicyException;
import io.krgo.reference.Reference;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** containers-policy.json(5) parsing and scope choice, as containers/image does them. */
class PolicyParserTest {
    private static Policy parse(String json) {
        return PolicyParser.parse(json.getBytes(StandardCharsets.UTF_8), "test.json");
    }

    private static String scopeOf(Policy p, String ref) {
        return p.forDocker(Reference.parse(ref)).scope();
    }

    @Test
    void defaultIsRequired() {
        assertThatThrownBy(() -> parse("{\"transports\": {}}")).isInstanceOf(PolicyException.class)
                .hasMessage("policy test.json: the top-level \"default\" is required");
    }

    @Test
    void unknownFieldsAreErrors() {
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"reject\"}], \"defaults\": []}"))
                .hasMessageContaining("unknown field \"defaults\" in the policy");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\","
                + " \"keyPath\": \"/k\", \"keyFile\": \"/k\"}]}"))
                .hasMessageContaining("unknown field \"keyFile\" in signedBy");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\","
                + " \"keyPath\": \"/k\", \"signedIdentity\": {\"type\": \"matchExact\", \"x\": 1}}]}"))
                .hasMessageContaining("unknown field \"x\" in matchExact");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"acceptAll\"}]}"))
                .hasMessageContaining("unknown requirement type \"acceptAll\"");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"dockr\": {}}}"))
                .hasMessageContaining("unknown transport \"dockr\"");
    }

    @Test
    void syntaxErrorsAndDuplicateKeysAreErrors() {
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"reject\"}]")).isInstanceOf(PolicyException.class)
                .hasMessageStartingWith("policy test.json: not valid JSON");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"reject\"}], \"default\": [{\"type\":"
                + " \"insecureAcceptAnything\"}]}")).hasMessageContaining("Duplicate field 'default'");
    }

    @Test
    void emptyRequirementsAndBadKeysAreErrors() {
        assertThatThrownBy(() -> parse("{\"default\": []}")).hasMessageContaining("default has no requirements");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\"}]}"))
                .hasMessageContaining("needs exactly one of keyPath, keyPaths and keyData");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\","
                + " \"keyPath\": \"/a\", \"keyData\": \"AA==\"}]}"))
                .hasMessageContaining("needs exactly one of");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"X509Certificates\","
                + " \"keyPath\": \"/a\"}]}")).hasMessageContaining("keyType \"X509Certificates\"");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\":"
                + " {\"Example.com/Bad\": [{\"type\": \"reject\"}]}}}")).hasMessageContaining("invalid docker scope");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\":"
                + " {\"docker.io/busybox\": [{\"type\": \"reject\"}]}}}")).hasMessageContaining("perhaps docker.io/library/busybox");
    }

    @Test
    void theDistributionsDefaultPolicyIsRecognisedWithoutJackson() {
        Policy debian = parse("{\n    \"default\": [\n        {\n            \"type\": \"insecureAcceptAnything\"\n        }\n    ]\n}\n");
        assertThat(debian.defaults()).containsExactly(new Requirement.InsecureAcceptAnything());
        assertThat(debian.transports()).isEmpty();
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"insecure AcceptAnything\"}]}"))
                .hasMessageContaining("unknown requirement type \"insecure AcceptAnything\"");
        assertThatThrownBy(() -> parse("{\"default\": [{\"type\": \"insecureAcceptAnything\"}], \"x\": 1}"))
                .hasMessageContaining("unknown field \"x\"");
        assertThat(PolicyParser.withoutWhitespace("{ \"a b\\\" c\" : 1 }".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("{\"a b\\\" c\":1}");
    }

    @Test
    void mostSpecificScopeWins() {
        Policy p = parse("""
                {"default": [{"type": "reject"}],
                 "transports": {"docker": {
                   "example.com": [{"type": "insecureAcceptAnything"}],
                   "example.com/ns": [{"type": "insecureAcceptAnything"}],
                   "example.com/ns/app": [{"type": "insecureAcceptAnything"}],
                   "example.com/ns/app:1": [{"type": "insecureAcceptAnything"}],
                   "127.0.0.1:5000": [{"type": "insecureAcceptAnything"}],
                   "*.example.org": [{"type": "insecureAcceptAnything"}],
                   "*.org": [{"type": "insecureAcceptAnything"}]}}}""");
        assertThat(scopeOf(p, "example.com/ns/app:1")).isEqualTo("example.com/ns/app:1");
        assertThat(scopeOf(p, "example.com/ns/app:2")).isEqualTo("example.com/ns/app");
        assertThat(scopeOf(p, "example.com/ns/other:1")).isEqualTo("example.com/ns");
        assertThat(scopeOf(p, "example.com/top:1")).isEqualTo("example.com");
        assertThat(scopeOf(p, "127.0.0.1:5000/a/b:1")).isEqualTo("127.0.0.1:5000");
        assertThat(scopeOf(p, "127.0.0.1:5001/a/b:1")).isNull();
        assertThat(scopeOf(p, "registry.example.org/x:1")).isEqualTo("*.example.org");
        assertThat(scopeOf(p, "a.b.example.org:8443/x:1")).isEqualTo("*.example.org");
        assertThat(scopeOf(p, "example.org/x:1")).isEqualTo("*.org"); // *.example.org covers subdomains only
        assertThat(scopeOf(p, "busybox")).isNull();
        assertThat(p.forDocker(Reference.parse("busybox")).describe()).isEqualTo("the default");
    }

    @Test
    void transportDefaultComesBeforeTopLevelDefault() {
        Policy p = parse("""
                {"default": [{"type": "reject"}],
                 "transports": {"docker": {"": [{"type": "insecureAcceptAnything"}],
                                           "docker.io/library/busybox": [{"type": "reject"}]}}}""");
        assertThat(scopeOf(p, "alpine")).isEqualTo("");
        assertThat(p.forDocker(Reference.parse("alpine")).requirements())
                .containsExactly(new Requirement.InsecureAcceptAnything());
        assertThat(scopeOf(p, "busybox:1")).isEqualTo("docker.io/library/busybox");
    }

    @Test
    void digestReferencesUseTheirDigestAsIdentity() {
        String digest = "sha256:" + "a".repeat(64);
        Policy p = parse("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {"
                + "\"example.com/app@" + digest + "\": [{\"type\": \"insecureAcceptAnything\"}]}}}");
        assertThat(scopeOf(p, "example.com/app:1@" + digest)).isEqualTo("example.com/app@" + digest);
    }

    @Test
    void signedIdentityForms() {
        Policy p = parse("""
                {"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/a", "/b"],
                   "signedIdentity": {"type": "remapIdentity", "prefix": "mirror.local/ns",
                                      "signedPrefix": "example.com/ns"}},
                  {"type": "signedBy", "keyType": "GPGKeys", "keyData": "AAEC"},
                  {"type": "sigstoreSigned", "fulcio": {}, "rekorPublicKeyPath": "/r"}]}""");
        List<Requirement> r = p.defaults();
        Requirement.SignedBy first = (Requirement.SignedBy) r.get(0);
        assertThat(first.keyPaths()).hasSize(2);
        SignedIdentity remap = first.signedIdentity();
        DockerName signed = DockerName.parse("example.com/ns/app:1").orElseThrow();
        assertThat(remap.matches(DockerName.of(Reference.parse("mirror.local/ns/app:1")), signed)).isTrue();
        assertThat(remap.matches(DockerName.of(Reference.parse("mirror.local/nsx/app:1")), signed)).isFalse();
        assertThat(((Requirement.SignedBy) r.get(1)).keyData()).containsExactly(0, 1, 2);
        assertThat(((Requirement.SignedBy) r.get(1)).signedIdentity()).isEqualTo(new SignedIdentity.MatchRepoDigestOrExact());
        assertThat(((Requirement.SigstoreSigned) r.get(2)).keyless()).containsExactly("fulcio", "rekorPublicKeyPath");
    }

    @Test
    void identityMatchingRules() {
        DockerName byTag = DockerName.of(Reference.parse("example.com/app:1"));
        DockerName byDigest = DockerName.of(Reference.parse("example.com/app@sha256:" + "b".repeat(64)));
        DockerName sigTag = DockerName.parse("example.com/app:1").orElseThrow();
        DockerName sigOtherTag = DockerName.parse("example.com/app:2").orElseThrow();
        DockerName sigBare = DockerName.parse("example.com/app").orElseThrow();
        SignedIdentity dflt = new SignedIdentity.MatchRepoDigestOrExact();
        assertThat(dflt.matches(byTag, sigTag)).isTrue();
        assertThat(dflt.matches(byTag, sigOtherTag)).isFalse();
        assertThat(dflt.matches(byTag, sigBare)).isFalse();
        assertThat(dflt.matches(byDigest, sigOtherTag)).isTrue();
        assertThat(new SignedIdentity.MatchExact().matches(byDigest, sigTag)).isFalse();
        assertThat(new SignedIdentity.MatchRepository().matches(byTag, sigOtherTag)).isTrue();
        assertThat(new SignedIdentity.ExactReference(sigOtherTag).matches(byTag, sigOtherTag)).isTrue();
        assertThat(new SignedIdentity.ExactRepository(DockerName.parse("other.com/x").orElseThrow())
                .matches(byTag, DockerName.parse("other.com/x:9").orElseThrow())).isTrue();
        assertThat(DockerName.parse("busybox").orElseThrow().toString()).isEqualTo("docker.io/library/busybox");
    }
}
