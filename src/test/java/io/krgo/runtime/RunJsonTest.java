package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.image.Json;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.ServedImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code krgo run --json}: one JSON line after the container's output, with krgo's own code when it failed. */
class RunJsonTest {
    @TempDir
    static Path tmp;
    @RegisterExtension
    static final ServedImage served = ServedImage.of("test/json:1", BusyboxImage::push).requiring("runc", "runc");

    private static JsonNode lastLine(KrgoCli.Result r) {
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines).as(r.stderr()).isNotEmpty();
        try {
            return Json.MAPPER.readTree(lines.get(lines.size() - 1));
        } catch (java.io.IOException e) {
            throw new AssertionError("last line is not JSON: " + r.stdout(), e);
        }
    }

    @Test
    void theContainersStatusAndWhatIsNotHonoured() {
        KrgoCli.Result r = served.krgo("run", "--rm", "--json", "--name", "j1", "-e", "EXIT_CODE=42",
                served.image());
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(42);
        assertThat(r.stdout()).startsWith("args:a b c\n"); // the container's output comes first
        JsonNode j = lastLine(r);
        assertThat(j.get("name").asText()).isEqualTo("j1");
        assertThat(j.get("image").asText()).isEqualTo(served.image());
        assertThat(j.get("exitCode").asInt()).isEqualTo(42);
        assertThat(j.get("krgoExitCode").asInt()).isZero();
        assertThat(j.get("error").isNull()).isTrue();
        assertThat(j.get("notHonoured").toString()).contains("ExposedPorts (8080/tcp", "Volumes (/data");
    }

    @Test
    void theLineIsOnALineOfItsOwnAndJsonFileLeavesStdoutToTheContainer() throws Exception {
        // output without a final newline: krgo's newline comes first, so the container's bytes are exactly
        // what precedes the last line and the newline before it
        KrgoCli.Result r = served.krgo("run", "--rm", "--json", "--entrypoint", "/bin/sh", served.image(),
                "-c", "printf 'a\\npartial'; exit 3");
        assertThat(r.exitCode()).as(r.stderr()).isEqualTo(3);
        assertThat(r.stdout()).startsWith("a\npartial\n{\"name\":").endsWith("}\n");
        assertThat(lastLine(r).get("exitCode").asInt()).isEqualTo(3);
        r = served.krgo("run", "--rm", "--json", "--entrypoint", "/bin/echo", served.image(), "whole");
        assertThat(r.stdout()).startsWith("whole\n\n{\"name\":");

        Path file = tmp.resolve("result.json");
        Files.writeString(file, "stale content, longer than nothing at all................................................"
                + "........................................................................................\n");
        r = served.krgo("run", "--rm", "--json-file", file.toString(), "--name", "j2",
                "--entrypoint", "/bin/sh", served.image(), "-c", "printf partial");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("partial");
        String line = Files.readString(file);
        assertThat(line).endsWith("}\n").doesNotContain("stale");
        JsonNode j = Json.MAPPER.readTree(line);
        assertThat(j.get("name").asText()).isEqualTo("j2");
        assertThat(j.get("exitCode").asInt()).isZero();

        // a file that cannot be written: the run fails before the container starts
        r = served.krgo("run", "--rm", "--json-file", tmp.resolve("no/such/dir/r.json").toString(),
                "--entrypoint", "/bin/echo", served.image(), "ran");
        assertThat(r.exitCode()).isEqualTo(125);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).startsWith("krgo: cannot write --json-file " + tmp.resolve("no/such/dir/r.json"));

        // krgo's own failure goes to the file too
        r = served.krgo("run", "--rm", "--json-file", file.toString(), "--entrypoint", "nothere", served.image());
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.stdout()).isEmpty();
        assertThat(Json.MAPPER.readTree(Files.readString(file)).get("error").get("kind").asText())
                .isEqualTo("command not found");
    }

    @Test
    void krgosOwnFailureCarriesItsCodeAndKind() {
        KrgoCli.Result r = served.krgo("run", "--rm", "--json", served.registry().host() + "/test/absent:1");
        assertThat(r.exitCode()).isEqualTo(125);
        JsonNode j = lastLine(r);
        assertThat(j.get("exitCode").asInt()).isEqualTo(125);
        assertThat(j.get("krgoExitCode").asInt()).isEqualTo(2);
        assertThat(j.get("error").get("kind").asText()).isEqualTo("not found");
        assertThat(j.get("error").get("message").asText()).contains("not found");
        assertThat(j.get("name").isNull()).isTrue();

        r = served.krgo("run", "--rm", "--json", "--entrypoint", "nothere", served.image());
        assertThat(r.exitCode()).isEqualTo(127);
        j = lastLine(r);
        assertThat(j.get("exitCode").asInt()).isEqualTo(127);
        assertThat(j.get("krgoExitCode").asInt()).isEqualTo(127);
        assertThat(j.get("error").get("kind").asText()).isEqualTo("command not found");

        r = served.krgo("run", "--rm", "--json", "-u", "nobody", served.image());
        assertThat(r.exitCode()).isEqualTo(125);
        j = lastLine(r);
        assertThat(j.get("krgoExitCode").asInt()).isEqualTo(2);
        assertThat(j.get("error").get("message").asText()).contains("user 'nobody' not found");
    }
}
