package io.krgo.runtime;

import io.krgo.testing.KrgoCli;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.RegistryHarness;
import io.krgo.testing.Skopeo;
import io.krgo.testing.TarBuilder;
import io.krgo.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A name resolves inside a {@code krgo run} container through glibc's NSS, as in a real distribution image:
 * the image is the host's own {@code getent} with the libraries {@code ldd} lists, glibc's files and dns
 * NSS modules and an {@code /etc/nsswitch.conf}; the container's {@code /etc/hosts} is krgo's generated one.
 */
class NameResolutionTest {
    @TempDir
    static Path tmp;
    static RegistryHarness registry;
    static String image;

    @BeforeAll
    static void pushImage() throws IOException {
        Tools.require("runc", "runc");
        Path getent = Tools.require("getent", "libc-bin");
        Tools.require("ldd", "libc-bin");
        registry = RegistryHarness.start(RegistryHarness.Mode.ANONYMOUS);
        List<String> files = new ArrayList<>(List.of(getent.toString()));
        Matcher m = Pattern.compile("(/\\S+) \\(0x").matcher(Tools.run("ldd", getent.toString()));
        while (m.find()) {
            files.add(m.group(1));
        }
        Path libc = Path.of(files.stream().filter(f -> f.contains("/libc.so")).findFirst()
                .orElseThrow(() -> new AssertionError("ldd names no libc.so for " + getent)));
        for (String nss : List.of("libnss_files.so.2", "libnss_dns.so.2")) {
            if (Files.exists(libc.resolveSibling(nss))) { // glibc 2.34+ has both built in; older ones load these
                files.add(libc.resolveSibling(nss).toString());
            }
        }
        long t = TarBuilder.DEFAULT_MTIME;
        TarBuilder tar = new TarBuilder();
        TreeSet<String> dirs = new TreeSet<>(List.of("etc"));
        for (String f : files) {
            for (Path p = Path.of(f.substring(1)).getParent(); p != null; p = p.getParent()) {
                dirs.add(p.toString());
            }
        }
        dirs.forEach(d -> tar.dir(d, 0755, 0, 0, t));
        for (String f : files) {
            tar.file(f.substring(1), Files.readAllBytes(Path.of(f)), 0755, 0, 0, t); // links followed
        }
        tar.file("etc/nsswitch.conf", "hosts: files dns\n".getBytes(StandardCharsets.UTF_8), 0644, 0, 0, t);
        Path layout = OciFixtures.create(tmp.resolve("layout"), "t", List.of(tar.writeTo(tmp.resolve("getent.tar"))));
        Skopeo.copyTo(registry, "oci:" + layout + ":t", "test/getent:1");
        image = registry.host() + "/test/getent:1";
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Test
    void getentHostsOfTheHostsNameResolves() {
        String host = Tools.run("hostname").strip();
        KrgoCli.Result r = KrgoCli.run(tmp.resolve("home"), Map.of("KRGO_STATE", tmp.resolve("state").toString()),
                null, "run", "--rm", "--entrypoint", "/usr/bin/getent", image, "hosts", host);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).matches("(?s)[0-9a-f.:]+\\s+(\\S+\\s+)*" + Pattern.quote(host) + "(\\s.*)?\n");

        r = KrgoCli.run(tmp.resolve("home"), Map.of("KRGO_STATE", tmp.resolve("state").toString()),
                null, "run", "--rm", "--network", "none", "--name", "isolated", "--entrypoint", "/usr/bin/getent",
                image, "hosts", "isolated");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).as("--network none: the container's name is its host name")
                .matches("(?s)[0-9a-f.:]+\\s+(\\S+\\s+)*isolated(\\s.*)?\n");
    }
}
