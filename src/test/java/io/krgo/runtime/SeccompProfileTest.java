package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The containers' profile (Debian's golang-github-containers-common) converted as moby does it. */
class SeccompProfileTest {
    private static Set<String> allowed(ObjectNode profile) {
        Set<String> names = new HashSet<>();
        for (JsonNode rule : profile.path("syscalls")) {
            if (rule.path("action").asText().equals("SCMP_ACT_ALLOW") && !rule.has("args")) {
                rule.path("names").forEach(n -> names.add(n.asText()));
            }
        }
        return names;
    }

    @Test
    void rulesFollowTheContainersCapabilitiesArchitectureAndKernel() {
        if (!Files.isRegularFile(SeccompProfile.CONTAINERS_DEFAULT)) {
            throw new AssertionError("apt-get install -y golang-github-containers-common");
        }
        List<String> docker = Capabilities.effective(List.of(), List.of());
        ObjectNode p = SeccompProfile.load(SeccompProfile.CONTAINERS_DEFAULT, docker, "6.1.0");
        assertThat(p.path("defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(p.path("defaultErrnoRet").asInt()).isEqualTo(38); // ENOSYS: glibc falls back
        if (SeccompProfile.nativeArch().equals("SCMP_ARCH_X86_64")) {
            assertThat(p.path("architectures").toString()).isEqualTo("[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]");
            assertThat(allowed(p)).contains("arch_prctl"); // the rule names the arch as Go does: amd64
        }
        // bpf & co.: allowed only with CAP_SYS_ADMIN, else the excludes-rule answers EPERM
        assertThat(allowed(p)).contains("read").doesNotContain("bpf", "perf_event_open");
        assertThat(p.path("syscalls").toString()).contains("\"bpf\"").contains("\"errnoRet\":1");
        ObjectNode admin = SeccompProfile.load(SeccompProfile.CONTAINERS_DEFAULT,
                Capabilities.effective(List.of("SYS_ADMIN"), List.of()), "6.1.0");
        assertThat(allowed(admin)).contains("bpf", "perf_event_open");
        ObjectNode oldKernel = SeccompProfile.load(SeccompProfile.CONTAINERS_DEFAULT, docker, "3.10.0");
        assertThat(oldKernel.path("syscalls").size()).isLessThanOrEqualTo(p.path("syscalls").size());
    }

    @Test
    void capabilityNamesAndDockersRule() {
        assertThat(Capabilities.effective(List.of(), List.of())).hasSize(14);
        assertThat(Capabilities.effective(List.of("net_admin"), List.of("CAP_CHOWN", "mknod")))
                .contains("CAP_NET_ADMIN").doesNotContain("CAP_CHOWN", "CAP_MKNOD").hasSize(13);
        assertThat(Capabilities.effective(List.of("KILL"), List.of("ALL"))).containsExactly("CAP_KILL");
        assertThat(Capabilities.effective(List.of("ALL"), List.of())).hasSize(Capabilities.ALL.size());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Capabilities.effective(List.of("FLY"), List.of()))
                .hasMessage("unknown capability 'FLY'");
    }
}
