package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.ServedImage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    @RegisterExtension
    static final ServedImage served = ServedImage.of("test/policy:1", BusyboxImage::push).requiring("runc", "runc");

    static Path reject;
    static Path accept;

    @BeforeAll
    static void writePolicies() throws IOException {
        reject = Files.writeString(tmp.resolve("reject.json"), "{\"default\": [{\"type\": \"reject\"}]}");
        accept = Files.writeString(tmp.resolve("accept.json"), "{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}");
    }

    private static long unpackedImages() throws IOException {
        Path images = served.state().resolve("images");
        if (!Files.isDirectory(images)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(images)) {
            return s.count(); // staging dirs (.pull-*) included: a refused pull must leave none either
        }
    }

    @Test
    void refusedImageIsNotUnpackedAndExits125() throws IOException {
        KrgoCli.Result refused = served.krgo("run", "--rm", "--policy", reject.toString(), "--entrypoint", "/bin/true",
                served.image());
        assertThat(refused.exitCode()).as(refused.stderr()).isEqualTo(125);
        assertThat(refused.stderr()).isEqualTo("krgo: refused " + served.image() + ": rejected by policy (policy "
                + reject + ", the default, requirement reject)\n");
        assertThat(unpackedImages()).isZero();

        KrgoCli.Result ok = served.krgo("run", "--rm", "--policy", accept.toString(), "--entrypoint", "/bin/true",
                served.image());
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(unpackedImages()).isEqualTo(1);
        // podman's rule: the policy applies when the image is pulled; one already unpacked runs (--pull missing)
        KrgoCli.Result hot = served.krgo("run", "--rm", "--policy", reject.toString(), "--entrypoint", "/bin/true",
                served.image());
        assertThat(hot.exitCode()).as(hot.stderr()).isZero();
        // and --pull always pulls, so checks, again
        KrgoCli.Result always = served.krgo("run", "--rm", "--pull", "always", "--policy", reject.toString(),
                "--entrypoint", "/bin/true", served.image());
        assertThat(always.exitCode()).as(always.stderr()).isEqualTo(125);
        assertThat(always.stderr()).contains("rejected by policy");
        assertThat(unpackedImages()).isEqualTo(1);
    }
}
