package io.krgo.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.krgo.error.PolicyException;
import io.krgo.reference.Reference;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where signatures are kept, per containers-registries.d(5): every {@code *.yaml} file of one directory,
 * with a {@code default-docker} entry and {@code docker:} entries by scope (as in policy.json: full
 * reference, repository, namespaces, host, {@code *.domain}). Keys: {@code lookaside},
 * {@code lookaside-staging} (where signing writes; falls back to {@code lookaside}), their legacy names
 * {@code sigstore} and {@code sigstore-staging}, and {@code use-sigstore-attachments}. Other keys are
 * ignored, as containers/image does; a scope or {@code default-docker} defined twice is an error.
 */
public final class RegistriesD {
    /** The settings of one scope; null fields are not set there. */
    record Entry(String lookaside, String lookasideStaging, Boolean useSigstoreAttachments, Path file) {
        String topLevel(boolean write) {
            if (write && lookasideStaging != null) {
                return lookasideStaging;
            }
            return lookaside;
        }
    }

    /** No directory, or none of its files: no lookaside anywhere. */
    public static final RegistriesD NONE = new RegistriesD(null, Map.of());

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final long MAX_FILE_BYTES = 1 << 20;

    private final Entry defaultDocker;
    private final Map<String, Entry> docker;

    private RegistriesD(Entry defaultDocker, Map<String, Entry> docker) {
        this.defaultDocker = defaultDocker;
        this.docker = Map.copyOf(docker);
    }

    /** Reads the {@code *.yaml} files of {@code dir} (in name order); a missing directory is {@link #NONE}. */
    public static RegistriesD load(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return NONE;
        }
        List<Path> files = new ArrayList<>();
        try (var list = Files.list(dir)) {
            list.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().forEach(files::add);
        } catch (IOException e) {
            throw new PolicyException("registries.d " + dir + ": cannot list: " + e.getMessage(), e);
        }
        Entry defaults = null;
        Map<String, Entry> docker = new LinkedHashMap<>();
        for (Path file : files) {
            JsonNode root = readYaml(file);
            if (root == null || root.isNull() || root.isMissingNode()) {
                continue; // a file of comments only
            }
            if (!root.isObject()) {
                throw new PolicyException("registries.d " + file + ": not a YAML mapping");
            }
            if (root.has("default-docker") && !root.get("default-docker").isNull()) {
                if (defaults != null) {
                    throw new PolicyException("registries.d: default-docker is defined in both " + defaults.file()
                            + " and " + file);
                }
                defaults = entry(root.get("default-docker"), file, "default-docker");
            }
            JsonNode scopes = root.get("docker");
            if (scopes != null && !scopes.isNull()) {
                if (!scopes.isObject()) {
                    throw new PolicyException("registries.d " + file + ": docker must be a mapping of scopes");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = scopes.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    Entry previous = docker.get(e.getKey());
                    if (previous != null) {
                        throw new PolicyException("registries.d: docker scope \"" + e.getKey()
                                + "\" is defined in both " + previous.file() + " and " + file);
                    }
                    docker.put(e.getKey(), entry(e.getValue(), file, e.getKey()));
                }
            }
        }
        return new RegistriesD(defaults, docker);
    }

    private static JsonNode readYaml(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new PolicyException("registries.d " + file + ": larger than " + MAX_FILE_BYTES + " bytes");
            }
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new PolicyException("registries.d " + file + ": not valid YAML: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
    }

    private static Entry entry(JsonNode node, Path file, String scope) {
        if (node == null || node.isNull()) {
            return new Entry(null, null, null, file);
        }
        if (!node.isObject()) {
            throw new PolicyException("registries.d " + file + ": \"" + scope + "\" must be a mapping");
        }
        String lookaside = url(node, "lookaside", "sigstore", file);
        String staging = url(node, "lookaside-staging", "sigstore-staging", file);
        JsonNode attach = node.get("use-sigstore-attachments");
        if (attach != null && !attach.isBoolean()) {
            throw new PolicyException("registries.d " + file + ": use-sigstore-attachments must be true or false");
        }
        return new Entry(lookaside, staging, attach == null ? null : attach.booleanValue(), file);
    }

    private static String url(JsonNode node, String name, String legacy, Path file) {
        JsonNode v = node.hasNonNull(name) ? node.get(name) : node.get(legacy);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new PolicyException("registries.d " + file + ": " + name + " must be a URL");
        }
        return v.asText();
    }

    /** The lookaside base URL for {@code ref}: for reading, or for writing ({@code lookaside-staging} first). */
    public Optional<URI> lookaside(Reference ref, boolean write) {
        for (Entry e : chain(ref)) {
            String url = e.topLevel(write);
            if (url != null) {
                try {
                    return Optional.of(new URI(url));
                } catch (java.net.URISyntaxException bad) {
                    throw new PolicyException("registries.d " + e.file() + ": not a URL: " + url);
                }
            }
        }
        return Optional.empty();
    }

    /** Whether cosign signatures are read from the registry's {@code sha256-HEX.sig} tags for {@code ref}. */
    public boolean useSigstoreAttachments(Reference ref) {
        for (Entry e : chain(ref)) {
            if (e.useSigstoreAttachments() != null) {
                return e.useSigstoreAttachments();
            }
        }
        return false;
    }

    /** The entries that apply to {@code ref}, most specific first, {@code default-docker} last. */
    private List<Entry> chain(Reference ref) {
        List<Entry> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        names.add(DockerScopes.identity(ref));
        names.addAll(DockerScopes.namespaces(ref));
        for (String n : names) {
            Entry e = docker.get(n);
            if (e != null) {
                out.add(e);
            }
        }
        if (defaultDocker != null) {
            out.add(defaultDocker);
        }
        return out;
    }
}
