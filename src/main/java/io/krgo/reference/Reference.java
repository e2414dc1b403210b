package io.krgo.reference;

import io.krgo.error.UsageException;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A normalised image reference, parsed with the distribution reference grammar:
 * {@code busybox} is {@code docker.io/library/busybox:latest}; {@code host:port/a/b:tag};
 * {@code name@sha256:...}; {@code name:tag@sha256:...} (the digest wins when fetching, the tag is kept
 * for display).
 *
 * @param registry   the registry host as written (after normalisation), e.g. {@code docker.io},
 *                   {@code 127.0.0.1:5000}
 * @param repository the repository path, e.g. {@code library/busybox}
 * @param tag        the tag, or null when only a digest was given
 * @param digest     {@code algorithm:hex}, or null
 */
public record Reference(String registry, String repository, String tag, String digest) {

    public static final String DOCKER_HUB = "docker.io";
    public static final String DEFAULT_TAG = "latest";

    private static final Pattern DOMAIN_COMPONENT =
            Pattern.compile("(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])");
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?");
    private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}");
    private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");
    private static final int NAME_TOTAL_LENGTH_MAX = 255;

    public Reference {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(repository, "repository");
        if (tag == null && digest == null) {
            throw new IllegalArgumentException("a reference needs a tag or a digest");
        }
    }

    /** Parses {@code text}; throws {@link UsageException} naming the problem when it is not a valid reference. */
    public static Reference parse(String text) {
        if (text == null || text.isBlank()) {
            throw new UsageException("invalid image reference: empty");
        }
        String rest = text;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw invalid(text, "bad digest '" + digest + "'");
            }
            if (digest.startsWith("sha256:") && !SHA256_HEX.matcher(digest.substring(7)).matches()) {
                throw invalid(text, "a sha256 digest has 64 lowercase hex digits");
            }
        }
        String tag = null;
        int lastSlash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > lastSlash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw invalid(text, "bad tag '" + tag + "'");
            }
        }
        if (rest.isEmpty()) {
            throw invalid(text, "missing repository name");
        }
        String registry;
        String repository;
        int slash = rest.indexOf('/');
        String first = slash < 0 ? rest : rest.substring(0, slash);
        boolean firstIsDomain = slash >= 0
                && (first.contains(".") || first.contains(":") || first.equals("localhost")
                    || !first.equals(first.toLowerCase(java.util.Locale.ROOT)));
        if (firstIsDomain) {
            registry = first;
            repository = rest.substring(slash + 1);
            if (!DOMAIN.matcher(registry).matches()) {
                throw invalid(text, "bad registry host '" + registry + "'");
            }
        } else {
            registry = DOCKER_HUB;
            repository = rest;
        }
        if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (registry.equals(DOCKER_HUB) && !repository.contains("/")) {
            repository = "library/" + repository;
        }
        for (String component : repository.split("/", -1)) {
            if (!PATH_COMPONENT.matcher(component).matches()) {
                throw invalid(text, "bad repository name '" + repository
                        + "' (lowercase letters, digits and . _ - separators)");
            }
        }
        if (registry.length() + 1 + repository.length() > NAME_TOTAL_LENGTH_MAX) {
            throw invalid(text, "name longer than " + NAME_TOTAL_LENGTH_MAX + " characters");
        }
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
        return new Reference(registry, repository, tag, digest);
    }

    private static UsageException invalid(String text, String why) {
        return new UsageException("invalid image reference '" + text + "': " + why);
    }

    /** What to ask the registry for: the digest when there is one, else the tag. */
    public String identifier() {
        return digest != null ? digest : tag;
    }

    public Optional<String> digestOpt() {
        return Optional.ofNullable(digest);
    }

    /** The host (and port) to talk HTTP to: Docker Hub's API lives on registry-1.docker.io. */
    public String endpointHost() {
        return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    /** True for loopback hosts, where plain HTTP is allowed without --insecure. */
    public boolean isLoopback() {
        String host = hostWithoutPort(registry);
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
    }

    static String hostWithoutPort(String registry) {
        if (registry.startsWith("[")) {
            int end = registry.indexOf(']');
            return registry.substring(0, end + 1);
        }
        int colon = registry.indexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }

    /** The same repository with another tag (and no digest). */
    public Reference withTag(String newTag) {
        return new Reference(registry, repository, newTag, null);
    }

    /** The same repository pinned to a digest (the tag kept for display). */
    public Reference withDigest(String newDigest) {
        return new Reference(registry, repository, tag, newDigest);
    }

    /** Fully qualified form: {@code docker.io/library/busybox:latest}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(registry).append('/').append(repository);
        if (tag != null) {
            sb.append(':').append(tag);
        }
        if (digest != null) {
            sb.append('@').append(digest);
        }
        return sb.toString();
    }
}
