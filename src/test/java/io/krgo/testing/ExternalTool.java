package io.krgo.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Runs a real peer tool; a missing binary fails the test with how to install it. */
public final class ExternalTool {
    private ExternalTool() {
    }

    public static String run(String... cmd) {
        requireBinary(cmd[0]);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            assertThat(rc).as("%s failed:%n%s", String.join(" ", cmd), out).isZero();
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public static void requireBinary(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return;
            }
        }
        String pkg = switch (name) {
            case "umoci" -> "umoci";
            case "skopeo" -> "skopeo";
            case "mknod", "mkfifo" -> "coreutils";
            default -> name;
        };
        fail(name + " is needed by this test but is not on PATH; install it: apt-get install -y " + pkg);
    }
}
