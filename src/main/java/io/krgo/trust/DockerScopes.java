package io.krgo.trust;

import io.krgo.reference.Reference;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The scopes of the {@code docker} transport an image falls under, most specific first, as containers/image
 * computes them (policy.json and registries.d use the same): the full reference, the repository, each parent
 * namespace up to {@code host[:port]}, then {@code *.domain} wildcards of the host without its port.
 */
final class DockerScopes {
    private static final Pattern WILDCARD = Pattern.compile("\\*\\.[a-zA-Z0-9-]+(\\.[a-zA-Z0-9-]+)*");
    private static final Pattern HOST = Pattern.compile("[a-zA-Z0-9.-]+(:[0-9]+)?|\\[[0-9a-fA-F:.]+\\](:[0-9]+)?");

    private DockerScopes() {
    }

    /** The full reference ({@code host/repo:tag}, or {@code host/repo@digest}: the digest wins, as for fetching). */
    static String identity(Reference ref) {
        return DockerName.of(ref).toString();
    }

    /** The repository, its parent namespaces up to the host, then the host's {@code *.domain} wildcards. */
    static List<String> namespaces(Reference ref) {
        List<String> out = new ArrayList<>();
        String name = ref.registry() + "/" + ref.repository();
        while (true) {
            out.add(name);
            int slash = name.lastIndexOf('/');
            if (slash < 0) {
                break;
            }
            name = name.substring(0, slash);
        }
        int colon = name.startsWith("[") ? name.indexOf(':', name.indexOf(']')) : name.indexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        for (int dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.')) {
            name = name.substring(dot + 1);
            out.add("*." + name);
        }
        return out;
    }

    /** Null when {@code scope} is a valid docker scope, else why not (containers/image wants canonical names). */
    static String invalidScope(String scope) {
        if (scope.startsWith("*")) {
            return WILDCARD.matcher(scope).matches() ? null : "a wildcard scope is *.DOMAIN";
        }
        if (!scope.contains("/")) {
            return HOST.matcher(scope).matches() ? null : "not a host[:port], repository or reference";
        }
        java.util.Optional<DockerName> parsed = DockerName.parse(scope);
        if (parsed.isEmpty()) {
            return "not a valid repository or reference";
        }
        if (!parsed.get().toString().equals(scope)) {
            return "not in canonical form, perhaps " + parsed.get();
        }
        return null;
    }
}
