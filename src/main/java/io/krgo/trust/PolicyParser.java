package io.krgo.trust;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krgo.error.PolicyException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads containers-policy.json(5) strictly, as containers/image does: unknown fields, duplicate keys,
 * unknown transports and requirement types, empty requirement lists and a missing {@code default} are errors
 * (a policy that cannot be read never means "accept").
 */
public final class PolicyParser {
    /** Far above any real policy; a bigger file is refused before it is read whole. */
    static final int MAX_POLICY_BYTES = 4 << 20;
    private static final Set<String> TRANSPORTS = Set.of("docker", "atomic", "containers-storage", "dir",
            "docker-archive", "docker-daemon", "oci", "oci-archive", "sif", "tarball");
    /** The default policy of Debian's and most distributions' containers-common, whitespace aside. */
    private static final String ACCEPT_ANYTHING = "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}";

    /** Made at first use: the common accept-anything policy is recognised without Jackson (~0.1-0.4 s cold). */
    private static final class Mapper {
        static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    private final String source;

    private PolicyParser(String source) {
        this.source = source;
    }

    /** Reads the policy file {@code file}. */
    public static Policy read(Path file) {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_POLICY_BYTES + 1);
        } catch (NoSuchFileException e) {
            throw new PolicyException("policy " + file + ": no such file");
        } catch (IOException e) {
            throw new PolicyException("policy " + file + ": cannot read: " + e.getMessage(), e);
        }
        if (bytes.length > MAX_POLICY_BYTES) {
            throw new PolicyException("policy " + file + ": larger than " + MAX_POLICY_BYTES + " bytes");
        }
        return parse(bytes, file.toString());
    }

    /** Parses policy JSON; {@code source} names it in errors and refusals. */
    public static Policy parse(byte[] json, String source) {
        if (withoutWhitespace(json).equals(ACCEPT_ANYTHING)) {
            return new Policy(source, List.of(new Requirement.InsecureAcceptAnything()), Map.of());
        }
        JsonNode root;
        try {
            root = Mapper.JSON.readTree(json);
        } catch (IOException e) {
            throw new PolicyException("policy " + source + ": not valid JSON: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
        return new PolicyParser(source).policy(root);
    }

    /** {@code json} without the whitespace between tokens (inside strings it is kept); empty past 4 KiB. */
    static String withoutWhitespace(byte[] json) {
        if (json.length > 4096) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < json.length; i++) {
            char c = (char) (json[i] & 0xff);
            if (inString) {
                out.append(c);
                if (c == '\\' && i + 1 < json.length) {
                    out.append((char) (json[++i] & 0xff));
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                out.append(c);
            } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                out.append(c);
            }
        }
        return out.toString();
    }

    private Policy policy(JsonNode root) {
        object(root, "the policy", Set.of("default", "transports"));
        if (!root.has("default")) {
            throw error("the top-level \"default\" is required");
        }
        List<Requirement> defaults = requirements(root.get("default"), "default");
        Map<String, Map<String, List<Requirement>>> transports = new LinkedHashMap<>();
        JsonNode t = root.get("transports");
        if (t != null && !t.isNull()) {
            object(t, "transports", null);
            for (Iterator<Map.Entry<String, JsonNode>> it = t.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!TRANSPORTS.contains(e.getKey())) {
                    throw error("unknown transport \"" + e.getKey() + "\"");
                }
                transports.put(e.getKey(), scopes(e.getKey(), e.getValue()));
            }
        }
        return new Policy(source, defaults, transports);
    }

    private Map<String, List<Requirement>> scopes(String transport, JsonNode node) {
        object(node, "transports." + transport, null);
        Map<String, List<Requirement>> scopes = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String scope = e.getKey();
            String invalid = scope.isEmpty() ? null : switch (transport) {
                case "docker" -> DockerScopes.invalidScope(scope);
                case "oci", "dir", "oci-archive", "docker-archive" -> scope.startsWith("/") ? null
                        : "must be an absolute path";
                default -> null;
            };
            if (invalid != null) {
                throw error("invalid " + transport + " scope \"" + scope + "\": " + invalid);
            }
            scopes.put(scope, requirements(e.getValue(), transport + " scope \"" + scope + "\""));
        }
        return scopes;
    }

    private List<Requirement> requirements(JsonNode node, String where) {
        if (!node.isArray()) {
            throw error(where + " must be an array of requirements");
        }
        if (node.isEmpty()) {
            throw error(where + " has no requirements (use [{\"type\": \"reject\"}] to refuse everything)");
        }
        List<Requirement> out = new ArrayList<>();
        for (JsonNode r : node) {
            out.add(requirement(r, where));
        }
        return out;
    }

    private Requirement requirement(JsonNode r, String where) {
        if (!r.isObject() || !r.path("type").isTextual()) {
            throw error("a requirement in " + where + " must be an object with a \"type\"");
        }
        String type = r.get("type").asText();
        switch (type) {
            case "insecureAcceptAnything" -> {
                object(r, type, Set.of("type"));
                return new Requirement.InsecureAcceptAnything();
            }
            case "reject" -> {
                object(r, type, Set.of("type"));
                return new Requirement.Reject();
            }
            case "signedBy" -> {
                object(r, type, Set.of("type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"));
                String keyType = text(r, "keyType", type);
                if (keyType == null) {
                    throw error("signedBy in " + where + " needs \"keyType\"");
                }
                if (!keyType.equals("GPGKeys")) {
                    throw error("signedBy keyType \"" + keyType + "\" in " + where + " is not supported (GPGKeys is)");
                }
                List<java.nio.file.Path> paths = keyPaths(r, "keyPath", "keyPaths", "keyData", where, true);
                return new Requirement.SignedBy(paths, keyData(r, "keyData"), identity(r.get("signedIdentity")));
            }
            case "sigstoreSigned" -> {
                object(r, type, Set.of("type", "keyPath", "keyPaths", "keyData", "fulcio", "rekorPublicKeyPath",
                        "rekorPublicKeyPaths", "rekorPublicKeyData", "pki", "signedIdentity"));
                List<String> keyless = new ArrayList<>();
                for (String f : List.of("fulcio", "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
                        "pki")) {
                    if (r.has(f)) {
                        keyless.add(f);
                    }
                }
                boolean fulcioOrPki = r.has("fulcio") || r.has("pki");
                List<java.nio.file.Path> paths = keyPaths(r, "keyPath", "keyPaths", "keyData", where, !fulcioOrPki);
                return new Requirement.SigstoreSigned(paths, keyData(r, "keyData"), keyless,
                        identity(r.get("signedIdentity")));
            }
            default -> throw error("unknown requirement type \"" + type + "\" in " + where);
        }
    }

    /** Exactly one of {@code one}, {@code many}, {@code data} (when {@code required}); the paths given. */
    private List<java.nio.file.Path> keyPaths(JsonNode r, String one, String many, String data, String where,
                                               boolean required) {
        int given = (r.has(one) ? 1 : 0) + (r.has(many) ? 1 : 0) + (r.has(data) ? 1 : 0);
        if (given > 1 || (required && given == 0)) {
            throw error(r.get("type").asText() + " in " + where + " needs exactly one of " + one + ", " + many
                    + " and " + data);
        }
        List<java.nio.file.Path> paths = new ArrayList<>();
        if (r.has(one)) {
            paths.add(java.nio.file.Path.of(text(r, one, where)));
        }
        if (r.has(many)) {
            JsonNode list = r.get(many);
            if (!list.isArray() || list.isEmpty()) {
                throw error(many + " in " + where + " must be a non-empty array of paths");
            }
            for (JsonNode p : list) {
                if (!p.isTextual() || p.asText().isEmpty()) {
                    throw error(many + " in " + where + " must contain paths");
                }
                paths.add(java.nio.file.Path.of(p.asText()));
            }
        }
        return paths;
    }

    private byte[] keyData(JsonNode r, String field) {
        if (!r.has(field)) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(text(r, field, r.get("type").asText()));
        } catch (IllegalArgumentException e) {
            throw error(field + " is not base64: " + e.getMessage());
        }
    }

    private SignedIdentity identity(JsonNode node) {
        if (node == null) {
            return new SignedIdentity.MatchRepoDigestOrExact();
        }
        if (!node.isObject() || !node.path("type").isTextual()) {
            throw error("signedIdentity must be an object with a \"type\"");
        }
        String type = node.get("type").asText();
        return switch (type) {
            case "matchRepoDigestOrExact" -> only(node, new SignedIdentity.MatchRepoDigestOrExact());
            case "matchExact" -> only(node, new SignedIdentity.MatchExact());
            case "matchRepository" -> only(node, new SignedIdentity.MatchRepository());
            case "exactReference" -> {
                object(node, type, Set.of("type", "dockerReference"));
                DockerName ref = name(node, "dockerReference");
                if (ref.bare()) {
                    throw error("exactReference's dockerReference needs a tag or digest: " + ref);
                }
                yield new SignedIdentity.ExactReference(ref);
            }
            case "exactRepository" -> {
                object(node, type, Set.of("type", "dockerRepository"));
                DockerName repo = name(node, "dockerRepository");
                if (!repo.bare()) {
                    throw error("exactRepository's dockerRepository must not have a tag or digest: " + repo);
                }
                yield new SignedIdentity.ExactRepository(repo);
            }
            case "remapIdentity" -> {
                object(node, type, Set.of("type", "prefix", "signedPrefix"));
                yield new SignedIdentity.RemapIdentity(prefix(node, "prefix"), prefix(node, "signedPrefix"));
            }
            default -> throw error("unknown signedIdentity type \"" + type + "\"");
        };
    }

    private SignedIdentity only(JsonNode node, SignedIdentity identity) {
        object(node, identity.type(), Set.of("type"));
        return identity;
    }

    private DockerName name(JsonNode node, String field) {
        String text = text(node, field, node.get("type").asText());
        if (text == null) {
            throw error(node.get("type").asText() + " needs \"" + field + "\"");
        }
        return DockerName.parse(text).filter(n -> n.toString().equals(text))
                .orElseThrow(() -> error(field + " \"" + text + "\" is not a canonical docker reference"));
    }

    /** A remapIdentity prefix: {@code host[:port]} or a canonical repository name (no wildcards, tags, digests). */
    private String prefix(JsonNode node, String field) {
        String text = text(node, field, "remapIdentity");
        if (text == null) {
            throw error("remapIdentity needs \"" + field + "\"");
        }
        String invalid = DockerScopes.invalidScope(text);
        if (text.startsWith("*") || invalid != null || DockerName.parse(text).map(n -> !n.bare()).orElse(false)) {
            throw error("remapIdentity " + field + " \"" + text + "\" must be host[:port] or a repository name");
        }
        return text;
    }

    private String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw error("\"" + field + "\" in " + where + " must be a non-empty string");
        }
        return v.asText();
    }

    /** {@code node} is an object with only the {@code allowed} fields (any when null). */
    private void object(JsonNode node, String what, Set<String> allowed) {
        if (node == null || !node.isObject()) {
            throw error(what + " must be a JSON object");
        }
        if (allowed != null) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!allowed.contains(f)) {
                    throw error("unknown field \"" + f + "\" in " + what);
                }
            }
        }
    }

    private PolicyException error(String what) {
        return new PolicyException("policy " + source + ": " + what);
    }
}
