package io.krgo.trust;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.error.PolicyException;

import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * The "simple signing" payload (containers-signature(5)): what an OpenPGP signature of an image signs.
 * Read as paranoidly as containers/image does: exactly the fields {@code critical} and {@code optional},
 * {@code critical} exactly {@code type}, {@code image} and {@code identity}, no duplicate keys; the
 * {@code optional} part is informational and may hold anything.
 *
 * @param type           {@code atomic container signature} (GPG) or {@code cosign container image signature}
 * @param manifestDigest {@code critical.image.docker-manifest-digest}
 * @param identity       {@code critical.identity.docker-reference}
 * @param creator        {@code optional.creator}, or null
 * @param timestamp      {@code optional.timestamp} (seconds), or null
 */
public record SimpleSigning(String type, String manifestDigest, String identity, String creator, Long timestamp) {
    public static final String ATOMIC = "atomic container signature";
    public static final String COSIGN = "cosign container image signature";

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Parses a payload of {@code expectedType}; anything else is a {@link PolicyException} naming the problem. */
    public static SimpleSigning parse(byte[] json, String expectedType) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException | RuntimeException e) {
            throw invalid("not valid JSON: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        exactly(root, "the signed payload", Set.of("critical", "optional"));
        JsonNode critical = root.get("critical");
        exactly(critical, "critical", Set.of("type", "image", "identity"));
        String type = string(critical, "type", "critical");
        if (!type.equals(expectedType)) {
            throw invalid("critical.type is \"" + type + "\", not \"" + expectedType + "\"");
        }
        exactly(critical.get("image"), "critical.image", Set.of("docker-manifest-digest"));
        String digest = string(critical.get("image"), "docker-manifest-digest", "critical.image");
        try {
            io.krgo.image.Digest.parse(digest);
        } catch (RuntimeException e) {
            throw invalid("critical.image.docker-manifest-digest is not a digest: " + digest);
        }
        exactly(critical.get("identity"), "critical.identity", Set.of("docker-reference"));
        String identity = string(critical.get("identity"), "docker-reference", "critical.identity");
        JsonNode optional = root.get("optional");
        if (!optional.isObject() && !optional.isNull()) { // cosign writes null
            throw invalid("optional must be an object");
        }
        String creator = optional.path("creator").isTextual() ? optional.get("creator").asText() : null;
        Long timestamp = optional.path("timestamp").canConvertToLong() && optional.get("timestamp").isIntegralNumber()
                ? optional.get("timestamp").asLong() : null;
        return new SimpleSigning(type, digest, identity, creator, timestamp);
    }

    /** The payload bytes for signing, as skopeo writes them. */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode critical = root.putObject("critical");
        critical.putObject("identity").put("docker-reference", identity);
        critical.putObject("image").put("docker-manifest-digest", manifestDigest);
        critical.put("type", type);
        ObjectNode optional = root.putObject("optional");
        if (creator != null) {
            optional.put("creator", creator);
        }
        if (timestamp != null) {
            optional.put("timestamp", timestamp);
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void exactly(JsonNode node, String what, Set<String> fields) {
        if (node == null || !node.isObject()) {
            throw invalid(what + " must be a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) {
                throw invalid("unexpected field \"" + f + "\" in " + what);
            }
        }
        for (String f : fields) {
            if (!node.has(f)) {
                throw invalid(what + " lacks \"" + f + "\"");
            }
        }
    }

    private static String string(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (!v.isTextual()) {
            throw invalid(where + "." + field + " must be a string");
        }
        return v.asText();
    }

    private static PolicyException invalid(String why) {
        return new PolicyException("invalid signature payload: " + why);
    }
}
