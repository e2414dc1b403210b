package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.krgo.error.UsageException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * containers' {@code registries.conf} (version 2), for what krgo has a notion of: {@code [[registry]]} entries
 * with {@code prefix} (including {@code *.example.com}), {@code location} remapping, {@code insecure},
 * {@code blocked}, {@code mirror-by-digest-only} and {@code [[registry.mirror]]} ({@code location}, possibly
 * with a path, {@code insecure}, {@code pull-from-mirror}). Short-name settings
 * ({@code unqualified-search-registries}, {@code [aliases]}, {@code short-name-mode}) are read past: krgo's short
 * names are docker.io's, as docker's are.
 *
 * <p>Files, with containers/image's precedence: {@code $CONTAINERS_REGISTRIES_CONF} if set, else
 * {@code ~/.config/containers/registries.conf} if it exists (and then only the per-user drop-in directory),
 * else {@code /etc/containers/registries.conf}; then the {@code *.conf} drop-ins of
 * {@code /etc/containers/registries.conf.d/} and {@code ~/.config/containers/registries.conf.d/} in name order,
 * each entry replacing an earlier one with the same prefix.
 */
public final class RegistriesConf {
    /** Which references a mirror serves. */
    public enum PullFromMirror { ALL, DIGEST_ONLY, TAG_ONLY }

    /** A {@code [[registry.mirror]]}: {@code location} is {@code host[:port][/path]}. */
    public record Mirror(String location, boolean insecure, PullFromMirror pullFrom) {
    }

    /** A {@code [[registry]]} entry and the file it came from. */
    public record Entry(String prefix, String location, boolean insecure, boolean blocked, List<Mirror> mirrors,
                        Path source) {
        public Entry {
            mirrors = List.copyOf(mirrors);
        }

        boolean wildcard() {
            return prefix.startsWith("*.");
        }

        /** True when {@code name} ({@code host/repository}) is under this prefix. */
        boolean matches(String name) {
            if (wildcard()) {
                int slash = name.indexOf('/');
                String host = TlsConfig.hostOnly(slash < 0 ? name : name.substring(0, slash));
                return host.endsWith(prefix.substring(1));
            }
            return name.equals(prefix) || name.startsWith(prefix + "/");
        }

        /**
         * {@code name} below this prefix: the part a location or mirror location is completed with. For a wildcard,
         * the repository path: the matched host goes with its port (containers/image would keep the port after the
         * location, which makes no valid reference).
         */
        String rest(String name) {
            if (wildcard()) {
                int slash = name.indexOf('/');
                return slash < 0 ? "" : name.substring(slash);
            }
            return name.substring(prefix.length());
        }

        /**
         * Where {@code name} is read from: the location with the rest of the name, or the name itself without a
         * location (only a wildcard prefix may have none). containers/image remaps under a wildcard prefix too:
         * {@code *.example.com} with location {@code mirror.corp} reads {@code a.example.com/x} at {@code mirror.corp/x}.
         */
        String rewrite(String name) {
            return location == null ? name : location + rest(name);
        }
    }

    /** A {@code [[registry]]} table, or a {@code registry = [...]} array, on a line of its own (not a comment). */
    private static final java.util.regex.Pattern REGISTRY_TABLE = java.util.regex.Pattern.compile(
            "(?m)^[ \\t]*(\\[\\[[ \\t]*\"?registry\"?[ \\t]*[\\].]|\"?registry\"?[ \\t]*=)");

    public static final RegistriesConf NONE = new RegistriesConf(() -> List.of());

    private final Supplier<List<Entry>> loader;
    private volatile List<Entry> entries;

    private RegistriesConf(Supplier<List<Entry>> loader) {
        this.loader = loader;
    }

    /** The entries of these files, in order (later entries replace earlier ones with the same prefix). */
    public static RegistriesConf of(List<Entry> entries) {
        List<Entry> copy = List.copyOf(entries);
        return new RegistriesConf(() -> copy);
    }

    /** The machine's files (see the class comment), read at the first lookup: most commands never need them. */
    public static RegistriesConf lazy(ConfigLocations locations) {
        return new RegistriesConf(() -> load(files(locations)));
    }

    /** The files containers/image reads, in order; those that do not exist are left out. */
    public static List<Path> files(ConfigLocations locations) {
        List<Path> out = new ArrayList<>();
        String explicit = locations.env().get("CONTAINERS_REGISTRIES_CONF");
        Path user = locations.home().resolve(".config/containers/registries.conf");
        Path userDir = locations.home().resolve(".config/containers/registries.conf.d");
        List<Path> dirs = new ArrayList<>();
        if (explicit != null && !explicit.isBlank()) {
            out.add(Path.of(explicit));
            dirs.add(locations.system("etc/containers/registries.conf.d"));
            dirs.add(userDir);
        } else if (Files.isRegularFile(user)) {
            out.add(user);
            dirs.add(userDir);
        } else {
            out.add(locations.system("etc/containers/registries.conf"));
            dirs.add(locations.system("etc/containers/registries.conf.d"));
            dirs.add(userDir);
        }
        List<Path> dropIns = new ArrayList<>();
        for (Path dir : dirs) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.filter(p -> p.getFileName().toString().endsWith(".conf") && Files.isRegularFile(p)).forEach(dropIns::add);
                } catch (IOException e) {
                    throw new UsageException("cannot read " + dir + ": " + e.getMessage());
                }
            }
        }
        // Drop-ins of both directories in one name order, as containers/image sorts them.
        dropIns.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        out.addAll(dropIns);
        // An explicitly named file must exist; the default ones may not.
        out.removeIf(p -> !Files.exists(p) && !(explicit != null && p.equals(Path.of(explicit))));
        return out;
    }

    /** Reads {@code files} in order; a later entry replaces an earlier one with the same prefix. */
    public static List<Entry> load(List<Path> files) {
        Map<String, Entry> byPrefix = new LinkedHashMap<>();
        TomlMapper toml = null;
        for (Path file : files) {
            String text;
            try {
                text = Files.readString(file);
            } catch (IOException e) {
                throw new UsageException("cannot read " + file + ": " + firstLine(e.getMessage()));
            }
            if (!REGISTRY_TABLE.matcher(text).find()) {
                // Debian's files hold only comments and [aliases]: not loading the TOML parser for them saves
                // 0.2-0.6 s of every registry command (`krgo digest`, 2 busy cores, classes without CDS).
                continue;
            }
            toml = toml == null ? new TomlMapper() : toml;
            JsonNode root;
            try {
                root = toml.readTree(text);
            } catch (IOException e) {
                throw new UsageException("cannot read " + file + ": " + firstLine(e.getMessage()));
            }
            List<String> seen = new ArrayList<>();
            for (JsonNode r : root == null ? List.<JsonNode>of() : iterable(root.path("registry"))) {
                Entry e = entry(r, file);
                if (seen.contains(e.prefix())) {
                    throw new UsageException(file + ": registry prefix " + e.prefix() + " is defined twice");
                }
                seen.add(e.prefix());
                byPrefix.remove(e.prefix()); // a later file's entry replaces it, in the later file's place
                byPrefix.put(e.prefix(), e);
            }
        }
        return List.copyOf(byPrefix.values());
    }

    private static List<JsonNode> iterable(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    private static Entry entry(JsonNode r, Path file) {
        String location = name(text(r, "location", file), file);
        String prefix = name(text(r, "prefix", file), file);
        if (prefix == null && location == null) {
            throw new UsageException(file + ": a [[registry]] needs a location or a prefix");
        }
        if (prefix == null) {
            prefix = location;
        } else if (location == null && !prefix.startsWith("*.")) {
            // containers/image refuses this too: without a location only a wildcard prefix means anything.
            throw new UsageException(file + ": [[registry]] prefix " + prefix + " needs a location (only a *.domain"
                    + " prefix may go without)");
        }
        if (prefix.contains("*") && !(prefix.startsWith("*.") && prefix.lastIndexOf('*') == 0 && !prefix.contains("/"))) {
            throw new UsageException(file + ": invalid prefix " + prefix + " (a wildcard is only *.domain)");
        }
        boolean mirrorByDigestOnly = r.path("mirror-by-digest-only").asBoolean(false);
        List<Mirror> mirrors = new ArrayList<>();
        for (JsonNode m : iterable(r.path("mirror"))) {
            String ml = name(text(m, "location", file), file);
            if (ml == null) {
                throw new UsageException(file + ": a [[registry.mirror]] of " + prefix + " needs a location");
            }
            String pull = text(m, "pull-from-mirror", file);
            PullFromMirror from = pull == null || pull.isEmpty()
                    ? (mirrorByDigestOnly ? PullFromMirror.DIGEST_ONLY : PullFromMirror.ALL)
                    : switch (pull) {
                        case "all" -> PullFromMirror.ALL;
                        case "digest-only" -> PullFromMirror.DIGEST_ONLY;
                        case "tag-only" -> PullFromMirror.TAG_ONLY;
                        default -> throw new UsageException(file + ": pull-from-mirror must be all, digest-only or"
                                + " tag-only, not " + pull);
                    };
            mirrors.add(new Mirror(ml, m.path("insecure").asBoolean(false), from));
        }
        return new Entry(prefix, location, r.path("insecure").asBoolean(false), r.path("blocked").asBoolean(false),
                mirrors, file);
    }

    private static String text(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new UsageException(file + ": " + field + " must be a string");
        }
        return v.asText();
    }

    /** A location or prefix as references write it: no scheme, no trailing slash, host in lower case. */
    private static String name(String value, Path file) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        if (v.contains("://")) {
            throw new UsageException(file + ": " + v + " must not have a scheme (write host[:port][/path])");
        }
        while (v.endsWith("/")) {
            v = v.substring(0, v.length() - 1);
        }
        int slash = v.indexOf('/');
        return slash < 0 ? v.toLowerCase(Locale.ROOT) : v.substring(0, slash).toLowerCase(Locale.ROOT) + v.substring(slash);
    }

    private static String firstLine(String s) {
        String m = String.valueOf(s);
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    public List<Entry> entries() {
        List<Entry> e = entries;
        if (e == null) {
            synchronized (this) {
                if (entries == null) {
                    entries = List.copyOf(loader.get());
                }
                e = entries;
            }
        }
        return e;
    }

    /** The entry for {@code name} ({@code host/repository}): the longest matching prefix, as containers/image picks it. */
    public Optional<Entry> find(String name) {
        Entry best = null;
        for (Iterator<Entry> it = entries().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.matches(name) && (best == null || e.prefix().length() > best.prefix().length())) {
                best = e;
            }
        }
        return Optional.ofNullable(best);
    }
}
