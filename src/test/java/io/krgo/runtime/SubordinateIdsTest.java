package io.krgo.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** /etc/subuid lines as shadow-utils writes and reads them, the mapping krgo makes of them, and the settings that forbid user namespaces. */
class SubordinateIdsTest {
    private static final List<String> FILE = List.of(
            "# comment",
            "alice:100000:65536",
            "bob:165536:65536",
            "1002:231072:1000",
            "alice:300000:10",
            "",
            "carol:notanumber:5",
            "dave:400000:0",
            "erin:500000");

    @Test
    void namesAndNumericUidsAndSeveralRangesInFileOrder() {
        assertThat(SubordinateIds.parse(FILE, "alice", 1000)).containsExactly(
                new SubordinateIds.Range(100000, 65536), new SubordinateIds.Range(300000, 10));
        // a line may name the user by uid
        assertThat(SubordinateIds.parse(FILE, "frank", 1002)).containsExactly(new SubordinateIds.Range(231072, 1000));
        assertThat(SubordinateIds.parse(FILE, "bob", 1001)).containsExactly(new SubordinateIds.Range(165536, 65536));
        assertThat(SubordinateIds.parse(FILE, "nobody", 9999)).isEmpty();
    }

    @Test
    void theSettingThatForbidsUserNamespacesIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path procSys)
            throws java.io.IOException {
        java.nio.file.Files.createDirectories(procSys.resolve("kernel"));
        java.nio.file.Files.createDirectories(procSys.resolve("user"));
        java.nio.file.Files.writeString(procSys.resolve("user/max_user_namespaces"), "96367\n");
        assertThat(UserNamespace.forbiddenBy(procSys)).isNull(); // Debian's kernel: no unprivileged_userns_clone
        java.nio.file.Files.writeString(procSys.resolve("kernel/unprivileged_userns_clone"), "1\n");
        assertThat(UserNamespace.forbiddenBy(procSys)).isNull();
        java.nio.file.Files.writeString(procSys.resolve("kernel/unprivileged_userns_clone"), "0\n");
        assertThat(UserNamespace.forbiddenBy(procSys)).isEqualTo("kernel.unprivileged_userns_clone = 0");
        java.nio.file.Files.writeString(procSys.resolve("kernel/unprivileged_userns_clone"), "1\n");
        java.nio.file.Files.writeString(procSys.resolve("user/max_user_namespaces"), "0\n");
        assertThat(UserNamespace.forbiddenBy(procSys)).isEqualTo("user.max_user_namespaces = 0");
    }

    @Test
    void malformedLinesAreSkipped() {
        assertThat(SubordinateIds.parse(FILE, "carol", 1)).isEmpty();
        assertThat(SubordinateIds.parse(FILE, "dave", 1)).isEmpty();
        assertThat(SubordinateIds.parse(FILE, "erin", 1)).isEmpty();
        assertThat(SubordinateIds.parse(List.of("x:4294967295:2"), "x", 1)).isEmpty();
    }

    @Test
    void theMappingMakesTheCallerRootAndAllRangesFollowInFileOrder() {
        IdMapping m = new IdMapping("alice", 1000, 1001, SubordinateIds.parse(FILE, "alice", 1000),
                List.of(new SubordinateIds.Range(200000, 5000)));
        assertThat(m.hasRanges()).isTrue();
        assertThat(m.maxUid()).isEqualTo(65546);
        assertThat(m.maxGid()).isEqualTo(5000);
        // newuidmap PID 0 UID 1  1 S1 N1  1+N1 S2 N2: what podman and buildah write
        assertThat(m.uidMap()).containsExactly("0", "1000", "1", "1", "100000", "65536", "65537", "300000", "10");
        assertThat(m.gidMap()).containsExactly("0", "1001", "1", "1", "200000", "5000");
        assertThat(m.describe()).isEqualTo("uids 0-65546 (0: you, 1-65536: /etc/subuid 100000-165535,"
                + " 65537-65546: /etc/subuid 300000-300009), gids 0-5000 (0: you, 1-5000: /etc/subgid 200000-204999)");

        IdMapping none = new IdMapping("zed", 1003, 1003, List.of(), List.of(new SubordinateIds.Range(1, 2)));
        assertThat(none.hasRanges()).isFalse();
        assertThat(none.maxUid()).isZero();
        assertThat(none.uidMap()).isEmpty();
        assertThat(none.gidMap()).isEmpty();
        assertThat(none.describe()).contains("only uid/gid 0 (you, 1003:1003)");
    }

    @Test
    void oneRangeGoesThroughUnshareMoreThroughNewuidmapOfTheirOwn() {
        IdMapping one = new IdMapping("bob", 1001, 1001, SubordinateIds.parse(FILE, "bob", 1001),
                List.of(new SubordinateIds.Range(165536, 65536)));
        assertThat(NamespaceLauncher.command(one, true, List.of("true"))).containsExactly("unshare", "--user",
                "--map-root-user", "--map-users=165536,1,65536", "--map-groups=165536,1,65536", "--mount",
                "--propagation", "private", "--", "true");

        IdMapping two = new IdMapping("alice", 1000, 1001, SubordinateIds.parse(FILE, "alice", 1000),
                SubordinateIds.parse(FILE, "alice", 1000));
        List<String> c = NamespaceLauncher.command(two, false, List.of("echo", "a b"));
        assertThat(c.subList(0, 3)).containsExactly("/bin/bash", "-p", "-c");
        assertThat(c.subList(4, c.size())).containsExactly("krgo-userns", "echo", "a b");
        assertThat(c.get(3)).contains("newuidmap $$ 0 1000 1 1 100000 65536 65537 300000 10 >&2")
                .contains("newgidmap $$ 0 1001 1 1 100000 65536 65537 300000 10 >&2")
                .contains("exec unshare --user -- /bin/sh -c").doesNotContain("--mount");

        IdMapping none = new IdMapping("zed", 1003, 1003, List.of(), List.of());
        assertThat(NamespaceLauncher.command(none, false, List.of("true"))).containsExactly("unshare", "--user",
                "--map-root-user", "--", "true");
    }
}
