package io.krgo.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * registries.conf files of a test's own, and krgo run with one as on a machine of its own: a new HOME (so a
 * new content store) for every run, {@code CONTAINERS_REGISTRIES_CONF} naming the file and
 * {@code KRGO_CONFIG_ROOT} an empty directory, so the machine's /etc/containers is never read.
 */
public final class RegistriesConfRuns {
    private final Path dir;
    private final Path emptyRoot;

    /** Keeps its files, homes and the empty configuration root in {@code dir}. */
    public RegistriesConfRuns(Path dir) throws IOException {
        this.dir = dir;
        this.emptyRoot = Files.createDirectories(dir.resolve("empty-root"));
    }

    /** Writes {@code toml} as {@code NAME.conf}; returns the file. */
    public Path conf(String name, String toml) throws IOException {
        return Files.writeString(dir.resolve(name + ".conf"), toml);
    }

    /**
     * {@code krgo args...} in a child JVM on a machine of its own (HOME, content store), with
     * {@code conf} as its registries.conf.
     */
    public KrgoCli.Result krgo(Path conf, String... args) throws IOException {
        Path home = Files.createTempDirectory(dir, "home-");
        return KrgoCli.run(home, Map.of("CONTAINERS_REGISTRIES_CONF", conf.toString(),
                "KRGO_CONFIG_ROOT", emptyRoot.toString()), null, args);
    }
}
