package io.krgo.trust;

import io.krgo.reference.Reference;

import java.util.List;
import java.util.Map;

/**
 * A parsed containers-policy.json(5): the top-level {@code default} and, per transport, requirements by scope.
 *
 * @param source     where it was read from (shown in refusals)
 * @param defaults   the top-level {@code default} requirements
 * @param transports transport name → scope → requirements ({@code ""} is the transport's own default)
 */
public record Policy(String source, List<Requirement> defaults, Map<String, Map<String, List<Requirement>>> transports) {

    /** The requirements that apply to an image and the scope that chose them. */
    public record Scope(String transport, String scope, List<Requirement> requirements) {
        /** How a refusal names the scope: {@code docker "127.0.0.1:5000/app"} or the top-level default. */
        public String describe() {
            return scope == null ? "the default" : transport + " scope \"" + scope + "\"";
        }
    }

    public Policy {
        defaults = List.copyOf(defaults);
        transports = Map.copyOf(transports);
    }

    /** The most specific scope of the {@code docker} transport for {@code ref}, else the transport's "", else default. */
    public Scope forDocker(Reference ref) {
        List<String> candidates = new java.util.ArrayList<>();
        candidates.add(DockerScopes.identity(ref));
        candidates.addAll(DockerScopes.namespaces(ref));
        return choose("docker", candidates);
    }

    /**
     * The scope of the {@code oci} transport for a layout directory (absolute, normalised) and image name:
     * {@code DIR:NAME}, then {@code DIR} and each parent directory, as containers/image looks them up.
     */
    public Scope forOciLayout(java.nio.file.Path dir, String name) {
        java.nio.file.Path abs = dir.toAbsolutePath().normalize();
        List<String> candidates = new java.util.ArrayList<>();
        if (name != null) {
            candidates.add(abs + ":" + name);
        }
        for (java.nio.file.Path p = abs; p != null && p.getNameCount() > 0; p = p.getParent()) {
            candidates.add(p.toString());
        }
        return choose("oci", candidates);
    }

    private Scope choose(String transport, List<String> candidates) {
        Map<String, List<Requirement>> scopes = transports.getOrDefault(transport, Map.of());
        for (String candidate : candidates) {
            List<Requirement> r = scopes.get(candidate);
            if (r != null) {
                return new Scope(transport, candidate, r);
            }
        }
        if (scopes.containsKey("")) {
            return new Scope(transport, "", scopes.get(""));
        }
        return new Scope(transport, null, defaults);
    }
}
