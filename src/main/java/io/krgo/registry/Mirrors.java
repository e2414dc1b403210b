package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.FilesystemException;
import io.krgo.error.UsageException;
import io.krgo.image.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Registry mirrors (pull-through caches): for a registry name as references write it ({@code docker.io},
 * {@code ghcr.io}, {@code host:port}), the mirror hosts to try, in order, before the registry itself.
 * A mirror serves the same repository paths as its origin (as distribution's proxy mode does).
 *
 * <p>krgo's mirror file is JSON: {@code {"mirrors": {"docker.io": ["mirror.example.com", "127.0.0.1:5000"]}}}.
 * It is {@code $KRGO_MIRRORS} when set, else {@code $XDG_CONFIG_HOME/krgo/mirrors.json}, else
 * {@code ~/.config/krgo/mirrors.json}; a missing file means no mirrors.
 */
public record Mirrors(Map<String, List<String>> byRegistry) {
    public static final Mirrors NONE = new Mirrors(Map.of());

    public Mirrors {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        byRegistry.forEach((k, v) -> copy.put(k, v.stream().map(Mirrors::host).toList()));
        byRegistry = Map.copyOf(copy);
    }

    /** The mirrors to try for {@code registry}, in order; empty when it has none. */
    public List<String> forRegistry(String registry) {
        return byRegistry.getOrDefault(registry, List.of());
    }

    /** These mirrors with {@code first} tried before the configured ones for {@code registry}. */
    public Mirrors withFirst(String registry, List<String> first) {
        Map<String, List<String>> m = new LinkedHashMap<>(byRegistry);
        List<String> list = new ArrayList<>(first);
        list.addAll(forRegistry(registry));
        m.put(registry, list);
        return new Mirrors(m);
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

    /** This process's mirror file, or {@link #NONE} when there is none. */
    public static Mirrors fromSystem() {
        return load(defaultFile(System.getenv(), Path.of(System.getProperty("user.home", "/"))));
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
