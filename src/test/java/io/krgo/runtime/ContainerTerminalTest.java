package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.image.Json;
import io.krgo.sys.TerminalSize;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code run -t}'s terminal size goes into the bundle's {@code process.consoleSize} when the container starts,
 * after its config was taken from (or stored in) the {@link BundleConfigCache}: the cache never holds one
 * terminal's size for the next container.
 */
class ContainerTerminalTest {
    @TempDir
    Path tmp;

    private Path image() throws Exception {
        Path image = tmp.resolve("images/abc/rootfs");
        Files.createDirectories(image.resolve("bin"));
        Files.createDirectories(image.resolve("etc"));
        Path bin = Files.writeString(image.resolve("bin/sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(image.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(image.resolve("etc/group"), "root:x:0:\n");
        Files.createDirectories(tmp.resolve("images/abc/.rootfs.krgo"));
        Files.writeString(tmp.resolve("images/abc/.rootfs.krgo/config.json"), "{\"architecture\":\"amd64\",\"os\":"
                + "\"linux\",\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/bin\",\"NOTE=\\\"consoleSize\\\"\"]}}");
        return image;
    }

    @Test
    void theSizeIsWrittenAtStartAndNeverReachesTheCachedConfig() throws Exception {
        Path image = image();
        Path cacheDir = tmp.resolve("images/abc/bundles");
        RunOptions tty = new RunOptions(List.of(), List.of(), null, null, null, List.of(), List.of(), List.of(),
                "unconfined", RunOptions.Network.HOST, List.of(), false, "box", "c1", true);
        RuntimeConfigs configs = new RuntimeConfigs(null, Map.of(), "host");
        Path b1 = tmp.resolve("containers/c1");
        configs.writeBundle(image, b1.resolve("rootfs"), b1, tty, cacheDir);
        JsonNode before = Json.MAPPER.readTree(b1.resolve("config.json").toFile());
        assertThat(before.path("process").has("consoleSize")).isFalse();

        ContainerTerminal.writeConsoleSize(b1.resolve("config.json"), new TerminalSize(40, 100));
        // inserted as text where OciSpec opens the process (no JSON parsed on a hot run)
        assertThat(Files.readString(b1.resolve("config.json"))).contains("\"process\" : {\n    \"consoleSize\" : {\n"
                + "      \"height\" : 40,\n      \"width\" : 100\n    },\n    \"terminal\" : true,\n");
        JsonNode after = Json.MAPPER.readTree(b1.resolve("config.json").toFile());
        assertThat(after.path("process").path("consoleSize").toString()).isEqualTo("{\"height\":40,\"width\":100}");
        ((ObjectNode) after.path("process")).remove("consoleSize");
        assertThat(after).as("nothing else changed").isEqualTo(before);
        Tools.Result valid = OciConfigConformanceTest.validate(b1.resolve("config.json"));
        assertThat(valid.exitCode()).as(valid.stdout() + valid.stderr()).isZero();

        // the next container of the same options takes the cached config: without the first one's size
        Path b2 = tmp.resolve("containers/c2");
        configs.writeBundle(image, b2.resolve("rootfs"), b2, tty.withName("c2"), cacheDir);
        assertThat(Json.MAPPER.readTree(b2.resolve("config.json").toFile())).isEqualTo(before);
        ContainerTerminal.writeConsoleSize(b2.resolve("config.json"), new TerminalSize(30, 90));
        assertThat(Json.MAPPER.readTree(b2.resolve("config.json").toFile()).path("process").path("consoleSize")
                .toString()).isEqualTo("{\"height\":30,\"width\":90}");
    }

    @Test
    void aConfigOfAnotherLayoutOrWithASizeAlreadyIsParsed() throws Exception {
        Path compact = Files.writeString(tmp.resolve("compact.json"),
                "{\"process\":{\"terminal\":true,\"args\":[\"sh\"]},\"ociVersion\":\"1.0.2\"}");
        ContainerTerminal.writeConsoleSize(compact, new TerminalSize(24, 80));
        JsonNode c = Json.MAPPER.readTree(compact.toFile());
        assertThat(c.path("process").path("consoleSize").toString()).isEqualTo("{\"height\":24,\"width\":80}");
        assertThat(c.path("process").path("args").toString()).isEqualTo("[\"sh\"]");

        Path sized = Files.writeString(tmp.resolve("sized.json"), "{\n  \"ociVersion\" : \"1.0.2\",\n  \"process\" : {"
                + "\n    \"consoleSize\" : {\"height\" : 1, \"width\" : 2},\n    \"terminal\" : true\n  }\n}\n");
        ContainerTerminal.writeConsoleSize(sized, new TerminalSize(50, 132));
        String text = Files.readString(sized);
        assertThat(text.split("consoleSize", -1)).as("one key").hasSize(2);
        assertThat(Json.MAPPER.readTree(text).path("process").path("consoleSize").toString())
                .isEqualTo("{\"height\":50,\"width\":132}");
    }

    @Test
    void onlyAPseudoTerminalIsResizedFromOutside() throws Exception {
        // what /proc/PID/fd/N of a container's process may lead to instead of its terminal: never opened
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThat(TerminalSize.setPseudoTerminal(file, new TerminalSize(1, 1))).isFalse();
        assertThat(TerminalSize.setPseudoTerminal(Path.of("/dev/null"), new TerminalSize(1, 1))).isFalse();
        assertThat(TerminalSize.setPseudoTerminal(tmp.resolve("absent"), new TerminalSize(1, 1))).isFalse();
        assertThat(Files.readString(file)).isEqualTo("x");
    }
}
