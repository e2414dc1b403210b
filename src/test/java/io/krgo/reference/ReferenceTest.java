package io.krgo.reference;

import io.krgo.error.UsageException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReferenceTest {
    private static final String D = "sha256:" + "ab".repeat(32);

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
            "busybox,                        docker.io, library/busybox, latest, -",
            "busybox:1.36,                   docker.io, library/busybox, 1.36,   -",
            "user/img,                       docker.io, user/img,        latest, -",
            "docker.io/library/alpine:3,     docker.io, library/alpine,  3,      -",
            "index.docker.io/user/img:t,     docker.io, user/img,        t,      -",
            "localhost/img,                  localhost, img,             latest, -",
            "localhost:5000/a/b:tag,         localhost:5000, a/b,        tag,    -",
            "host:5000/a/b:tag,              host:5000, a/b,             tag,    -",
            "ghcr.io/org/sub/img:v1.2-rc_3,  ghcr.io,   org/sub/img,     v1.2-rc_3, -",
            "127.0.0.1:5000/x__y/z-w.v:T,    127.0.0.1:5000, x__y/z-w.v, T,      -",
            "[::1]:5000/img:t,               '[::1]:5000', img,          t,      -",
    })
    void parsesAndNormalises(String text, String registry, String repo, String tag, String digest) {
        Reference r = Reference.parse(text);
        assertThat(r.registry()).isEqualTo(registry);
        assertThat(r.repository()).isEqualTo(repo);
        assertThat(r.tag()).isEqualTo(tag);
        assertThat(r.digest()).isEqualTo(digest);
    }

    @Test
    void digestsWithAndWithoutTags() {
        Reference byDigest = Reference.parse("img@" + D);
        assertThat(byDigest.tag()).isNull();
        assertThat(byDigest.digest()).isEqualTo(D);
        assertThat(byDigest.identifier()).isEqualTo(D);
        assertThat(byDigest).hasToString("docker.io/library/img@" + D);
        Reference both = Reference.parse("host:5000/img:tag@" + D);
        assertThat(both.tag()).isEqualTo("tag");
        assertThat(both.identifier()).isEqualTo(D);
        assertThat(both).hasToString("host:5000/img:tag@" + D);
    }

    @Test
    void fullyQualifiedFormAndEndpoints() {
        assertThat(Reference.parse("busybox")).hasToString("docker.io/library/busybox:latest");
        assertThat(Reference.parse("busybox").endpointHost()).isEqualTo("registry-1.docker.io");
        assertThat(Reference.parse("127.0.0.1:5000/a").isLoopback()).isTrue();
        assertThat(Reference.parse("localhost:5000/a").isLoopback()).isTrue();
        assertThat(Reference.parse("example.com/a").isLoopback()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "UPPER", "docker.io/Library/x", "img:", "img:-bad", "img@sha256:abc",
            "img@sha256:" + "AB" + "ab" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
            "a//b", "/a", "a/", "img:tag:more", "host:5000/", "-a/b", "a/b_-c"})
    void rejectsInvalid(String text) {
        assertThatThrownBy(() -> Reference.parse(text)).isInstanceOf(UsageException.class)
                .hasMessageStartingWith("invalid image reference");
    }

    @Test
    void rejectsTooLongNames() {
        assertThatThrownBy(() -> Reference.parse("a/" + "b".repeat(300)))
                .isInstanceOf(UsageException.class).hasMessageContaining("255");
    }
}
