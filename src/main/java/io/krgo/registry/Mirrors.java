package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.FilesystemException;
import io.krgo.error.PolicyException;
import io.krgo.error.UsageException;
import io.krgo.image.Json;
import io.krgo.reference.Reference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Registry mirrors (pull-through caches): for a registry name as references write it ({@code docker.io},
 * {@code ghcr.io}, {@code host:port}), the mirror hosts to try, in order, before the registry itself.
 * A mirror serves the same repository paths as its origin (as distribution's proxy mode does).
 *
 * <p>krgo's mirror file is JSON: {@code {"mirrors": {"docker.io": ["mirror.example.com", "127.0.0.1:5000"]}}}.
 * It is {@code $KRGO_MIRRORS} when set, else {@code $XDG_CONFIG_HOME/krgo/mirrors.json}, else
 * {@code ~/.config/krgo/mirrors.json}; a missing file means no mirrors.
 */
public record Mirrors(Map<String, List<String>> byRegistry, Map<String, List<String>> first,
                      RegistriesConf registriesConf) {
    public static final Mirrors NONE = new Mirrors(Map.of());

    public Mirrors {
        byRegistry = hosts(byRegistry);
        first = hosts(first);
        Objects.requireNonNull(registriesConf, "registriesConf");
    }

    /** Mirrors from krgo's mirror file alone. */
    public Mirrors(Map<String, List<String>> byRegistry) {
        this(byRegistry, Map.of(), RegistriesConf.NONE);
    }

    private static Map<String, List<String>> hosts(Map<String, List<String>> m) {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        m.forEach((k, v) -> copy.put(k, v.stream().map(Mirrors::host).toList()));
        return Map.copyOf(copy);
    }

    /** The mirror hosts of {@code --mirror} and krgo's mirror file for {@code registry}, in order (not registries.conf's). */
    public List<String> forRegistry(String registry) {
        List<String> all = new ArrayList<>(first.getOrDefault(registry, List.of()));
        all.addAll(byRegistry.getOrDefault(registry, List.of()));
        return List.copyOf(all);
    }

    /** These mirrors with {@code hosts} tried before all others for {@code registry} ({@code --mirror}). */
    public Mirrors withFirst(String registry, List<String> hosts) {
        Map<String, List<String>> m = new LinkedHashMap<>(first);
        List<String> list = new ArrayList<>(hosts);
        list.addAll(first.getOrDefault(registry, List.of()));
        m.put(registry, list);
        return new Mirrors(byRegistry, m, registriesConf);
    }

    /** These mirrors with {@code conf}'s entries (tried after {@code --mirror}, before the mirror file's). */
    public Mirrors withRegistriesConf(RegistriesConf conf) {
        return new Mirrors(byRegistry, first, conf);
    }

    /**
     * Where to read {@code ref} from, in order: {@code --mirror} hosts, registries.conf's mirrors (those that
     * serve this kind of reference: by digest or by tag), the mirror file's hosts, and last the registry itself,
     * at registries.conf's location for it. Fails with a {@link PolicyException} when registries.conf blocks it.
     */
    public List<PullSource> sources(Reference ref) {
        Optional<RegistriesConf.Entry> entry = entry(ref, "pulling");
        String name = ref.registry() + "/" + ref.repository();
        List<PullSource> out = new ArrayList<>();
        for (String host : first.getOrDefault(ref.registry(), List.of())) {
            out.add(new PullSource(new Reference(host, ref.repository(), ref.tag(), ref.digest()), true, false));
        }
        if (entry.isPresent()) {
            boolean byDigest = ref.digest() != null;
            for (RegistriesConf.Mirror m : entry.get().mirrors()) {
                if ((m.pullFrom() == RegistriesConf.PullFromMirror.DIGEST_ONLY && !byDigest)
                        || (m.pullFrom() == RegistriesConf.PullFromMirror.TAG_ONLY && byDigest)) {
                    continue;
                }
                out.add(new PullSource(at(m.location() + entry.get().rest(name), ref), true, m.insecure()));
            }
        }
        for (String host : byRegistry.getOrDefault(ref.registry(), List.of())) {
            out.add(new PullSource(new Reference(host, ref.repository(), ref.tag(), ref.digest()), true, false));
        }
        out.add(entry.isPresent()
                ? new PullSource(at(entry.get().rewrite(name), ref), false, entry.get().insecure())
                : new PullSource(ref, false, false));
        return List.copyOf(out);
    }

    /**
     * Where {@code ref} is read from without mirrors ({@code inspect}, {@code digest}, {@code tags}, {@code verify},
     * {@code copy}'s source): registries.conf's location for it, as containers/image reads an image source.
     * Fails with a {@link PolicyException} when registries.conf blocks it.
     */
    public PullSource readFrom(Reference ref) {
        Optional<RegistriesConf.Entry> entry = entry(ref, "reading");
        return entry.isPresent()
                ? new PullSource(at(entry.get().rewrite(ref.registry() + "/" + ref.repository()), ref), false,
                        entry.get().insecure())
                : new PullSource(ref, false, false);
    }

    /**
     * Where {@code ref} is written ({@code push}, {@code copy}'s target): the name as given, never a mirror or a
     * remapped location (as containers/image writes), but registries.conf's {@code insecure} and {@code blocked}
     * apply.
     */
    public PullSource writeTo(Reference ref) {
        Optional<RegistriesConf.Entry> entry = entry(ref, "pushing");
        return new PullSource(ref, false, entry.isPresent() && entry.get().insecure());
    }

    /** {@code ref}'s registries.conf entry; a {@link PolicyException} when it is blocked. */
    private Optional<RegistriesConf.Entry> entry(Reference ref, String verb) {
        Optional<RegistriesConf.Entry> entry = registriesConf.find(ref.registry() + "/" + ref.repository());
        if (entry.isPresent() && entry.get().blocked()) {
            throw new PolicyException("registry " + entry.get().prefix() + " is blocked by " + entry.get().source()
                    + " (" + verb + " " + ref + " refused)");
        }
        return entry;
    }

    /** {@code ref}'s tag and digest on {@code hostAndRepository}. */
    private static Reference at(String hostAndRepository, Reference ref) {
        int slash = hostAndRepository.indexOf('/');
        if (slash < 0) {
            throw new UsageException("registries.conf: " + hostAndRepository + " names no repository for " + ref);
        }
        return new Reference(hostAndRepository.substring(0, slash), hostAndRepository.substring(slash + 1), ref.tag(),
                ref.digest());
    }

    /**
     * One place to read an image from.
     *
     * @param mirror   a mirror (skipped with a warning when it fails), not the registry itself
     * @param insecure registries.conf allows plain HTTP and unverified TLS for it
     */
    public record PullSource(Reference reference, boolean mirror, boolean insecure) {
    }

    /** The mirror file for an environment and home directory (see the class comment). */
    public static Path defaultFile(Map<String, String> env, Path home) {
        String explicit = env.get("KRGO_MIRRORS");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".config");
        return base.resolve("krgo").resolve("mirrors.json");
    }

    /** This process's mirror file and containers' registries.conf (read when first needed). */
    public static Mirrors fromSystem() {
        return load(defaultFile(System.getenv(), Path.of(System.getProperty("user.home", "/"))))
                .withRegistriesConf(RegistriesConf.lazy(ConfigLocations.fromSystem()));
    }

    public static Mirrors load(Path file) {
        if (!Files.isRegularFile(file)) {
            return NONE;
        }
        JsonNode root;
        try {
            root = Json.readTree(Files.readAllBytes(file), "mirror file");
        } catch (IOException e) {
            throw new FilesystemException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (io.krgo.error.UnsafeImageException e) {
            throw new UsageException("mirror file " + file + " is not valid JSON");
        }
        Map<String, List<String>> m = new LinkedHashMap<>();
        JsonNode mirrors = root.path("mirrors");
        for (Iterator<Map.Entry<String, JsonNode>> it = mirrors.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isArray()) {
                throw new UsageException("mirror file " + file + ": mirrors." + e.getKey() + " must be a list of hosts");
            }
            List<String> hosts = new ArrayList<>();
            e.getValue().forEach(h -> hosts.add(h.asText()));
            m.put(registryName(e.getKey()), hosts);
        }
        return new Mirrors(m);
    }

    /** Docker Hub's aliases as {@code docker.io}; other names as given (lower case, no scheme). */
    static String registryName(String name) {
        String n = host(name);
        return n.equals("index.docker.io") || n.equals("registry-1.docker.io") ? "docker.io" : n;
    }

    /** {@code https://mirror.example.com/} → {@code mirror.example.com}: the scheme follows krgo's usual rules. */
    static String host(String text) {
        String h = text.strip().replaceFirst("^[a-zA-Z]+://", "");
        int slash = h.indexOf('/');
        if (slash >= 0) {
            h = h.substring(0, slash);
        }
        if (h.isEmpty()) {
            throw new UsageException("invalid mirror '" + text + "'");
        }
        return h.toLowerCase(Locale.ROOT);
    }
}
