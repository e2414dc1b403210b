package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code krgo run} under a signature policy, with the real runc: an image the policy refuses is not unpacked
 * and run exits 125 with the policy's message; as podman, the policy is applied when run pulls, so an image
 * already unpacked runs with {@code --pull missing} and is checked again with {@code --pull always}.
 */
class RunPolicyTest {
    @TempDir
    static Path tmp;
    static RegistryHarness registry;
    static String image;
    static Path home;
    static Path reject;
    static Path accept;
    static Map<String, String> env;

    @BeforeAll
    static void pushImage() throws IOException {
        Tools.require("runc", "runc");
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        BusyboxImage.push(registry, tmp, "test/policy:1");
        image = registry.host() + "/test/policy:1";
        home = tmp.resolve("home");
        env = Map.of("KRGO_STATE", tmp.resolve("state").toString());
        reject = Files.writeString(tmp.resolve("reject.json"), "{\"default\": [{\"type\": \"reject\"}]}");
        accept = Files.writeString(tmp.resolve("accept.json"), "{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}");
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static KrgoCli.Result krgo(String... args) {
        return KrgoCli.run(home, env, null, args);
    }

    private static long unpackedImages() throws IOException {
        Path images = tmp.resolve("state/images");
        if (!Files.isDirectory(images)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(images)) {
            return s.count(); // staging dirs (.pull-*) included: a refused pull must leave none either
        }
    }

    @Test
    void refusedImageIsNotUnpackedAndExits125() throws IOException {
        KrgoCli.Result refused = krgo("run", "--rm", "--policy", reject.toString(), "--entrypoint", "/bin/true", image);
        assertThat(refused.exitCode()).as(refused.stderr()).isEqualTo(125);
        assertThat(refused.stderr()).isEqualTo("krgo: refused " + image + ": rejected by policy (policy " + reject
                + ", the default, requirement reject)\n");
        assertThat(unpackedImages()).isZero();

        KrgoCli.Result ok = krgo("run", "--rm", "--policy", accept.toString(), "--entrypoint", "/bin/true", image);
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(unpackedImages()).isEqualTo(1);
        // podman's rule: the policy applies when the image is pulled; one already unpacked runs (--pull missing)
        KrgoCli.Result hot = krgo("run", "--rm", "--policy", reject.toString(), "--entrypoint", "/bin/true", image);
        assertThat(hot.exitCode()).as(hot.stderr()).isZero();
        // and --pull always pulls, so checks, again
        KrgoCli.Result always = krgo("run", "--rm", "--pull", "always", "--policy", reject.toString(),
                "--entrypoint", "/bin/true", image);
        assertThat(always.exitCode()).as(always.stderr()).isEqualTo(125);
        assertThat(always.stderr()).contains("rejected by policy");
        assertThat(unpackedImages()).isEqualTo(1);
    }
}
