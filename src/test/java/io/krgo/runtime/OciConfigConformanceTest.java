package io.krgo.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.Tools;
import io.krgo.testing.Umoci;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * krgo's config.json against the runtime-spec's own JSON schema (Debian's golang-github-opencontainers-specs-dev,
 * checked by Debian's python3-jsonschema) and against what {@code umoci unpack} generates for the same image.
 */
class OciConfigConformanceTest {
    static final Path SCHEMA_DIR = Path.of("/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VALIDATE = """
            import json, sys, jsonschema
            base = sys.argv[1]
            schema = json.load(open(base + '/config-schema.json'))
            resolver = jsonschema.RefResolver('file://' + base + '/', schema)
            doc = json.load(open(sys.argv[2]))
            errors = sorted(jsonschema.Draft4Validator(schema, resolver=resolver).iter_errors(doc), key=str)
            for e in errors:
                print('/'.join(map(str, e.absolute_path)) + ': ' + e.message)
            sys.exit(1 if errors else 0)
            """;

    @TempDir
    static Path tmp;
    static Path layout;
    static Path krgoBundle;
    static Path umociBundle;

    @BeforeAll
    static void bundles() {
        layout = BusyboxImage.layout(tmp, "t");
        umociBundle = tmp.resolve("umoci");
        OciFixtures.unpack(layout, "t", umociBundle);
        krgoBundle = tmp.resolve("krgo");
        KrgoCli.Result pull = KrgoCli.run(tmp.resolve("home"), (String) null, "pull", "oci:" + layout + ":t",
                "--bundle", krgoBundle.toString());
        assertThat(pull.exitCode()).as(pull.output()).isZero();
    }

    static Tools.Result validate(Path config) {
        Tools.require("python3", "python3");
        if (!Files.isRegularFile(SCHEMA_DIR.resolve("config-schema.json"))) {
            throw new AssertionError("the runtime-spec schema is required by this test but not installed: apt-get"
                    + " install -y golang-github-opencontainers-specs-dev");
        }
        Tools.Result probe = Tools.runAllowingFailure(List.of("/usr/bin/python3", "-c", "import jsonschema"), Map.of());
        if (probe.exitCode() != 0) {
            throw new AssertionError("python3-jsonschema is required by this test but not installed: apt-get install -y"
                    + " python3-jsonschema");
        }
        return Tools.runAllowingFailure(List.of("/usr/bin/python3", "-c", VALIDATE, SCHEMA_DIR.toString(),
                config.toString()), Map.of());
    }

    @Test
    void configJsonIsValidAgainstTheRuntimeSpecSchema() throws Exception {
        Tools.Result ok = validate(krgoBundle.resolve("config.json"));
        assertThat(ok.exitCode()).as(ok.stdout() + ok.stderr()).isZero();
        // The validator does reject a broken document (so the check above can fail).
        ObjectNode broken = (ObjectNode) JSON.readTree(krgoBundle.resolve("config.json").toFile());
        ((ObjectNode) broken.path("process").path("user")).put("uid", "app");
        ((ObjectNode) broken.path("linux").path("seccomp")).put("defaultAction", "SCMP_ACT_MAYBE");
        Path bad = tmp.resolve("broken.json");
        JSON.writeValue(bad.toFile(), broken);
        Tools.Result rejected = validate(bad);
        assertThat(rejected.exitCode()).isEqualTo(1);
        assertThat(rejected.stdout()).contains("process/user/uid", "linux/seccomp/defaultAction");
    }

    @Test
    void sameInputSameBytes() throws Exception {
        byte[] first = Files.readAllBytes(krgoBundle.resolve("config.json"));
        KrgoCli.Result again = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r",
                krgoBundle.resolve("rootfs").toString());
        assertThat(again.exitCode()).as(again.output()).isZero();
        assertThat(Files.readAllBytes(krgoBundle.resolve("config.json"))).isEqualTo(first);
        JsonNode c = JSON.readTree(first);
        List<String> keys = new ArrayList<>();
        c.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("ociVersion", "process", "root", "hostname", "mounts", "annotations", "linux");
        assertThat(c.path("root").path("path").asText()).isEqualTo("rootfs");
    }

    @Test
    void processAndAnnotationsEqualUmocisFieldByField() throws Exception {
        JsonNode k = JSON.readTree(krgoBundle.resolve("config.json").toFile());
        JsonNode u = JSON.readTree(umociBundle.resolve("config.json").toFile());
        assertThat(k.path("process").path("args")).isEqualTo(u.path("process").path("args"));
        assertThat(k.path("process").path("cwd")).isEqualTo(u.path("process").path("cwd"));
        assertThat(k.path("process").path("user")).isEqualTo(u.path("process").path("user"));
        assertThat(k.path("annotations")).isEqualTo(u.path("annotations"));
        // env, the documented differences: umoci starts from `runc spec`'s PATH and TERM=xterm and puts the
        // image's Env after them; krgo keeps the image's order and, as docker, sets TERM only with -t and adds HOSTNAME.
        List<String> kEnv = strings(k.path("process").path("env"));
        List<String> uEnv = new ArrayList<>(strings(u.path("process").path("env")));
        assertThat(uEnv.remove("TERM=xterm")).isTrue();
        uEnv.add("HOSTNAME=" + k.path("hostname").asText());
        assertThat(kEnv).containsExactlyInAnyOrderElementsOf(uEnv);
        assertThat(kEnv).containsSubsequence("GREETING=hello world", "PATH=/bin");
    }

    @Test
    void anImageWithoutEntrypointOrCmdPullsToABundleThatRunsUmocisDefault() throws Exception {
        Umoci.run("config", "--image", layout + ":t", "--tag", "nocmd", "--clear=config.entrypoint",
                "--clear=config.cmd");
        Path umoci = tmp.resolve("umoci-nocmd");
        OciFixtures.unpack(layout, "nocmd", umoci);
        Path bundle = tmp.resolve("nocmd");
        KrgoCli.Result pull = KrgoCli.run(tmp.resolve("home"), (String) null, "pull", "oci:" + layout + ":nocmd",
                "--bundle", bundle.toString());
        assertThat(pull.exitCode()).as(pull.output()).isZero();
        Path config = bundle.resolve("config.json");
        assertThat(pull.stderr().lines().filter(l -> l.contains("no Entrypoint or Cmd")).toList()).singleElement()
                .isEqualTo("krgo: warning: oci:" + layout + ":nocmd has no Entrypoint or Cmd: " + config + " runs 'sh'"
                        + " (as umoci unpack's); give the command with: krgo config -r " + bundle.resolve("rootfs")
                        + " -o " + config + " -- CMD [ARG...]");
        JsonNode k = JSON.readTree(config.toFile());
        assertThat(k.path("process").path("args")).isEqualTo(JSON.readTree(umoci.resolve("config.json").toFile())
                .path("process").path("args"));
        assertThat(k.path("process").path("args").toString()).isEqualTo("[\"sh\"]");
        Tools.Result valid = validate(config);
        assertThat(valid.exitCode()).as(valid.stdout() + valid.stderr()).isZero();
        // runc runs it: the image's sh, with empty standard input, ends at once
        Tools.Result run = BusyboxImage.runc(bundle, "krgo-test-nocmd");
        assertThat(run.exitCode()).as(run.stderr()).isZero();

        // config and run without a command keep their errors; the hint's command works
        KrgoCli.Result none = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r",
                bundle.resolve("rootfs").toString(), "-o", config.toString());
        assertThat(none.exitCode()).isEqualTo(1);
        assertThat(none.stderr()).isEqualTo("krgo: no command: the image has no Entrypoint or Cmd; give one after the"
                + " image\n");
        KrgoCli.Result given = KrgoCli.run(tmp.resolve("home"), (String) null, "config", "-r",
                bundle.resolve("rootfs").toString(), "-o", config.toString(), "--", "/bin/echo", "given");
        assertThat(given.exitCode()).as(given.output()).isZero();
        run = BusyboxImage.runc(bundle, "krgo-test-nocmd2");
        assertThat(run.stdout()).as(run.stderr()).isEqualTo("given\n");
        KrgoCli.Result r = KrgoCli.run(tmp.resolve("home"), Map.of("KRGO_STATE", tmp.resolve("state").toString()),
                null, "run", "--rm", "-r", bundle.resolve("rootfs").toString());
        assertThat(r.exitCode()).isEqualTo(125);
        assertThat(r.stderr()).contains("krgo: no command: the image has no Entrypoint or Cmd");
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
