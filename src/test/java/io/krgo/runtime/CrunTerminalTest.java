package io.krgo.runtime;

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
 * {@code krgo run -t --runtime crun} under a real pseudo-terminal ({@code script(1)}): crun 1.8 neither copies
 * krgo's terminal size to the container's terminal nor follows a resize (SIGWINCH); krgo writes the size into
 * {@code process.consoleSize} and resizes the container's terminal itself.
 */
class CrunTerminalTest {
    @TempDir
    static Path tmp;
    @RegisterExtension
    static final ServedImage served = ServedImage.of("test/crun-tty:1", BusyboxImage::push).requiring("crun", "crun")
            .requiring("script", "bsdutils");

    @Test
    void theContainerGetsKrgosTerminalSizeAtOnceAndFollowsAResize() throws IOException {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        // stty size as the container's first command: the size must be there before the process starts.
        // Then it says it is ready and waits (at most 60 s) for the size to change; the outer shell resizes
        // its terminal once the container is ready. A SIGWINCH must come with the new size (what full-screen
        // programs redraw on): its trap notes the size then; the container waits (at most 10 s) for that note.
        String inner = "trap 'stty size >>/tmp/winch' WINCH; stty size; tty; touch /shared/ready; i=0;"
                + " while [ \"$(stty size)\" = \"40 100\" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done;"
                + " stty size; i=0; while ! grep -qx '30 90' /tmp/winch 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1;"
                + " i=$((i+1)); done; sed 's/^/winch /' /tmp/winch; exit 7";
        Tools.Result r = served.underPty(tmp, "stty rows 40 cols 100\n"
                + "(i=0; while [ ! -e " + shared + "/ready ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done;"
                + " stty rows 30 cols 90 </dev/tty) &\n"
                + served.shellCommand("run", "--rm", "-t", "--runtime", "crun", "-u", "root", "-v", shared + ":/shared",
                "--entrypoint", "/bin/sh", served.image(), "-c", inner) + "\n"
                + "echo \"krgo exit $?\"\n");
        String shown = r.stdout();
        assertThat(shown).as(r.stderr()).containsPattern("40 100\n/dev/pts/[0-9]+\n");
        assertThat(shown).contains("\n30 90\n", "winch 30 90\n", "krgo exit 7\n");
    }
}
