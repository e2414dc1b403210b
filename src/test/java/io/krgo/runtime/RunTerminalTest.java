package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.ServedImage;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code krgo run -t} under a real pseudo-terminal ({@code script(1)}, package bsdutils): the container's
 * standard streams are a terminal of its own, its size is the outer terminal's and follows a resize.
 */
class RunTerminalTest {
    @TempDir
    static Path tmp;
    @RegisterExtension
    static final ServedImage served = ServedImage.of("test/tty:1", BusyboxImage::push).requiring("runc", "runc")
            .requiring("script", "bsdutils");

    @Test
    void theContainerGetsATerminalThatFollowsAResize() throws IOException {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        // The container prints its terminal and size, says it is ready, then waits (at most 60 s) for the size
        // to change; the outer shell resizes its terminal once the container is ready.
        String inner = "tty; stty size; touch /shared/ready; i=0; while [ \"$(stty size)\" = \"40 100\" ]"
                + " && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; stty size; exit 7";
        Tools.Result r = served.underPty(tmp, "stty rows 40 cols 100\n"
                + "(i=0; while [ ! -e " + shared + "/ready ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done;"
                + " stty rows 30 cols 90 </dev/tty) &\n"
                + served.shellCommand("run", "--rm", "-t", "-u", "root", "-v", shared + ":/shared", "--entrypoint", "/bin/sh",
                served.image(), "-c", inner) + "\n"
                + "echo \"krgo exit $?\"\n");
        String shown = r.stdout();
        // script(1) may show a ^@ before the first line
        assertThat(shown).as(r.stderr()).containsPattern("/dev/pts/[0-9]+\n");
        assertThat(shown).contains("40 100\n30 90\n", "krgo exit 7\n");
    }

    @Test
    void dashTWithoutATerminalOnStandardInputFailsAsDockerDoes() {
        KrgoCli.Result r = served.krgoWithStdin("", "run", "--rm", "-t", served.image());
        assertThat(r.exitCode()).isEqualTo(125);
        assertThat(r.stderr()).isEqualTo("krgo: the input device is not a TTY (run -t needs a terminal on standard"
                + " input)\n");
    }
}
