package io.krgo.registry;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AuthChallengeTest {

    @Test
    void parsesADockerBearerChallenge() {
        List<AuthChallenge> c = AuthChallenge.parseAll(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"");
        assertThat(c).containsExactly(new AuthChallenge("Bearer", Map.of(
                "realm", "https://auth.docker.io/token",
                "service", "registry.docker.io",
                "scope", "repository:library/busybox:pull")));
        assertThat(c.get(0).isScheme("bearer")).isTrue();
    }

    @Test
    void quotedValuesKeepCommasAndEscapes() {
        AuthChallenge c = AuthChallenge.parseAll(
                "Bearer realm=\"https://a.example/token\", scope=\"repository:a:pull,push repository:b:pull\", "
                        + "error=\"insufficient_scope\", note=\"say \\\"hi\\\", \\\\ ok\"").get(0);
        assertThat(c.param("scope")).contains("repository:a:pull,push repository:b:pull");
        assertThat(c.param("error")).contains("insufficient_scope");
        assertThat(c.param("note")).contains("say \"hi\", \\ ok");
    }

    @Test
    void severalChallengesAndCaseInsensitiveNames() {
        List<AuthChallenge> c = AuthChallenge.parseAll("Basic REALM=\"basic-realm\", Bearer realm=\"https://t/x\",service=reg");
        assertThat(c).hasSize(2);
        assertThat(c.get(0).scheme()).isEqualTo("Basic");
        assertThat(c.get(0).param("realm")).contains("basic-realm");
        assertThat(c.get(1).param("realm")).contains("https://t/x");
        assertThat(c.get(1).param("service")).contains("reg");
    }

    @Test
    void bareSchemesUnquotedValuesAndGarbage() {
        assertThat(AuthChallenge.parseAll("Negotiate")).containsExactly(new AuthChallenge("Negotiate", Map.of()));
        assertThat(AuthChallenge.parseAll("Basic realm=simple").get(0).param("realm")).contains("simple");
        assertThat(AuthChallenge.parseAll(null)).isEmpty();
        assertThat(AuthChallenge.parseAll("  ,  ")).isEmpty();
        // unterminated quote: take the rest rather than fail
        assertThat(AuthChallenge.parseAll("Bearer realm=\"https://x").get(0).param("realm")).contains("https://x");
    }
}
