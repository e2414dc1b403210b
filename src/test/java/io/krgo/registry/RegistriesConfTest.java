package io.krgo.registry;

import io.krgo.error.PolicyException;
import io.krgo.error.UsageException;
import io.krgo.reference.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which registries.conf files are read, in which order, and what their entries make of a reference. */
class RegistriesConfTest {
    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    @Test
    void filesFollowContainersPrecedence(@TempDir Path tmp) throws IOException {
        Path root = tmp.resolve("root");
        Path home = tmp.resolve("home");
        Path system = write(root.resolve("etc/containers/registries.conf"), "");
        Path sysB = write(root.resolve("etc/containers/registries.conf.d/b.conf"), "");
        Path userA = write(home.resolve(".config/containers/registries.conf.d/a.conf"), "");
        write(root.resolve("etc/containers/registries.conf.d/ignored.txt"), "");
        ConfigLocations machine = new ConfigLocations(root, home, Map.of());
        assertThat(RegistriesConf.files(machine)).containsExactly(system, userA, sysB);

        Path user = write(home.resolve(".config/containers/registries.conf"), "");
        assertThat(RegistriesConf.files(machine)).as("the per-user file replaces the system's and its drop-ins")
                .containsExactly(user, userA);

        Path explicit = write(tmp.resolve("elsewhere.conf"), "");
        assertThat(RegistriesConf.files(new ConfigLocations(root, home, Map.of("CONTAINERS_REGISTRIES_CONF",
                explicit.toString())))).containsExactly(explicit, userA, sysB);
        Path missing = tmp.resolve("missing.conf");
        assertThatThrownBy(() -> RegistriesConf.load(RegistriesConf.files(new ConfigLocations(root, home,
                Map.of("CONTAINERS_REGISTRIES_CONF", missing.toString())))))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("cannot read " + missing);
    }

    @Test
    void laterFilesReplaceEntriesWithTheSamePrefixAndTheLongestPrefixWins(@TempDir Path tmp) throws IOException {
        Path a = write(tmp.resolve("a.conf"), """
                unqualified-search-registries = ["quay.io"]
                [[registry]]
                location = "docker.io"
                [[registry.mirror]]
                location = "mirror-a.example/hub"
                [[registry]]
                prefix = "docker.io/library"
                location = "internal.example/dockerhub-library"
                mirror-by-digest-only = true
                [[registry.mirror]]
                location = "cache.example:5000"
                [aliases]
                "busybox" = "quay.io/elsewhere/busybox"
                """);
        Path b = write(tmp.resolve("b.conf"), """
                [[registry]]
                location = "docker.io"
                [[registry.mirror]]
                location = "mirror-b.example"
                insecure = true
                """);
        Mirrors mirrors = Mirrors.NONE.withRegistriesConf(RegistriesConf.of(RegistriesConf.load(List.of(a, b))));

        List<Mirrors.PullSource> library = mirrors.sources(Reference.parse("busybox:1"));
        assertThat(library).as("short names stay docker.io; the longer prefix wins; digest-only skips a tag")
                .extracting(s -> s.reference().toString())
                .containsExactly("internal.example/dockerhub-library/busybox:1");
        assertThat(mirrors.sources(Reference.parse("busybox@sha256:" + "a".repeat(64))))
                .extracting(s -> s.reference().registry() + "/" + s.reference().repository(), Mirrors.PullSource::mirror)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("cache.example:5000/busybox", true),
                        org.assertj.core.groups.Tuple.tuple("internal.example/dockerhub-library/busybox", false));

        List<Mirrors.PullSource> other = mirrors.withFirst("docker.io", List.of("flag.example")).sources(
                Reference.parse("team/app:2"));
        assertThat(other).extracting(s -> s.reference().registry() + "/" + s.reference().repository(),
                        Mirrors.PullSource::insecure)
                .as("--mirror first; b.conf's entry replaced a.conf's")
                .containsExactly(org.assertj.core.groups.Tuple.tuple("flag.example/team/app", false),
                        org.assertj.core.groups.Tuple.tuple("mirror-b.example/team/app", true),
                        org.assertj.core.groups.Tuple.tuple("docker.io/team/app", false));
    }

    @Test
    void blockedAndInvalidEntriesNameTheirFile(@TempDir Path tmp) throws IOException {
        Path conf = write(tmp.resolve("blocked.conf"), "[[registry]]\nprefix = \"*.evil.example\"\nblocked = true\n");
        Mirrors mirrors = Mirrors.NONE.withRegistriesConf(RegistriesConf.of(RegistriesConf.load(List.of(conf))));
        assertThatThrownBy(() -> mirrors.sources(Reference.parse("cdn.evil.example:8443/x/y:1")))
                .isInstanceOf(PolicyException.class)
                .hasMessage("registry *.evil.example is blocked by " + conf + " (pulling cdn.evil.example:8443/x/y:1 refused)");
        assertThat(mirrors.sources(Reference.parse("evil.example/x/y:1"))).hasSize(1);

        Path bad = write(tmp.resolve("bad.conf"), "[[registry]]\nlocation = \"a.example\"\n[[registry.mirror]]\n"
                + "location = \"m.example\"\npull-from-mirror = \"sometimes\"\n");
        assertThatThrownBy(() -> RegistriesConf.load(List.of(bad))).isInstanceOf(UsageException.class)
                .hasMessage(bad + ": pull-from-mirror must be all, digest-only or tag-only, not sometimes");
        Path scheme = write(tmp.resolve("scheme.conf"), "[[registry]]\nlocation = \"https://a.example\"\n");
        assertThatThrownBy(() -> RegistriesConf.load(List.of(scheme))).isInstanceOf(UsageException.class)
                .hasMessageContaining("must not have a scheme");
        Path broken = write(tmp.resolve("broken.conf"), "[[registry]\nlocation = \n");
        assertThatThrownBy(() -> RegistriesConf.load(List.of(broken))).isInstanceOf(UsageException.class)
                .hasMessageStartingWith("cannot read " + broken);
    }

    @Test
    void readsRemapWritesDoNotAndWildcardsRemapWithALocation(@TempDir Path tmp) throws IOException {
        Path conf = write(tmp.resolve("remap.conf"), "[[registry]]\nprefix = \"corp.example/team\"\n"
                + "location = \"registry.corp.example/mirror/team\"\ninsecure = true\n"
                + "[[registry]]\nprefix = \"*.cdn.example\"\nlocation = \"cache.example\"\n"
                + "[[registry]]\nprefix = \"*.plain.example\"\ninsecure = true\n");
        Mirrors mirrors = Mirrors.NONE.withRegistriesConf(RegistriesConf.of(RegistriesConf.load(List.of(conf))));
        Mirrors.PullSource read = mirrors.readFrom(Reference.parse("corp.example/team/app:1"));
        assertThat(read.reference().toString()).isEqualTo("registry.corp.example/mirror/team/app:1");
        assertThat(read.insecure()).isTrue();
        Mirrors.PullSource written = mirrors.writeTo(Reference.parse("corp.example/team/app:1"));
        assertThat(written.reference().toString()).as("as containers/image: no remapping for writes")
                .isEqualTo("corp.example/team/app:1");
        assertThat(written.insecure()).isTrue();
        // A wildcard's location replaces the matched host (its port goes with it).
        assertThat(mirrors.readFrom(Reference.parse("eu.cdn.example:8443/x/y:2")).reference().toString())
                .isEqualTo("cache.example/x/y:2");
        assertThat(mirrors.sources(Reference.parse("eu.cdn.example/x/y:2"))).extracting(s -> s.reference().toString())
                .containsExactly("cache.example/x/y:2");
        Mirrors.PullSource wildcardOnly = mirrors.readFrom(Reference.parse("a.plain.example/x:1"));
        assertThat(wildcardOnly.reference().toString()).isEqualTo("a.plain.example/x:1");
        assertThat(wildcardOnly.insecure()).isTrue();
        assertThat(mirrors.readFrom(Reference.parse("other.example/x:1")).insecure()).isFalse();

        Path blocked = write(tmp.resolve("blocked-writes.conf"), "[[registry]]\nlocation = \"locked.example\"\nblocked = true\n");
        Mirrors locked = Mirrors.NONE.withRegistriesConf(RegistriesConf.of(RegistriesConf.load(List.of(blocked))));
        assertThatThrownBy(() -> locked.writeTo(Reference.parse("locked.example/x:1"))).isInstanceOf(PolicyException.class)
                .hasMessage("registry locked.example is blocked by " + blocked + " (pushing locked.example/x:1 refused)");
        assertThatThrownBy(() -> locked.readFrom(Reference.parse("locked.example/x:1"))).isInstanceOf(PolicyException.class)
                .hasMessageContaining("(reading locked.example/x:1 refused)");

        Path noLocation = write(tmp.resolve("no-location.conf"), "[[registry]]\nprefix = \"corp.example/team\"\n");
        assertThatThrownBy(() -> RegistriesConf.load(List.of(noLocation))).isInstanceOf(UsageException.class)
                .hasMessage(noLocation + ": [[registry]] prefix corp.example/team needs a location (only a *.domain"
                        + " prefix may go without)");
    }

    @Test
    void filesWithoutRegistryTablesAreNotParsedAndTheInlineFormIsFound(@TempDir Path tmp) throws IOException {
        // As Debian's shortnames.conf: aliases only (here followed by a line no TOML parser accepts).
        Path aliases = write(tmp.resolve("shortnames.conf"), "# [[registry]] in a comment does not count\n"
                + "[aliases]\n  \"fedora\" = \"registry.fedoraproject.org/fedora\"\n= not toml\n");
        Path inline = write(tmp.resolve("inline.conf"),
                "registry = [ { location = \"locked.example\", blocked = true } ]\n");
        List<RegistriesConf.Entry> entries = RegistriesConf.load(List.of(aliases, inline));
        assertThat(entries).extracting(RegistriesConf.Entry::prefix, RegistriesConf.Entry::blocked)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("locked.example", true));
    }
}
