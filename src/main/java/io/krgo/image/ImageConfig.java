package io.krgo.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * An image config (OCI / Docker). Kept as the JSON tree so fields krgo does not model survive a
 * round trip; immutable: every change returns a new instance.
 */
public final class ImageConfig {
    private final ObjectNode json;

    private ImageConfig(ObjectNode json) {
        this.json = json;
    }

    public static ImageConfig parse(byte[] bytes) {
        return new ImageConfig((ObjectNode) Json.readTree(bytes, "image config"));
    }

    /** A minimal config for a new image. */
    public static ImageConfig empty(Platform platform) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("architecture", platform.architecture());
        n.put("os", platform.os());
        if (platform.variant() != null) {
            n.put("variant", platform.variant());
        }
        n.putObject("config");
        ObjectNode rootfs = n.putObject("rootfs");
        rootfs.put("type", "layers");
        rootfs.putArray("diff_ids");
        n.putArray("history");
        return new ImageConfig(n);
    }

    public String os() {
        return json.path("os").asText("");
    }

    public String architecture() {
        return json.path("architecture").asText("");
    }

    public Platform platform() {
        String variant = json.path("variant").asText(null);
        return new Platform(os(), architecture(), variant);
    }

    public List<Digest> diffIds() {
        List<Digest> out = new ArrayList<>();
        for (JsonNode n : json.path("rootfs").path("diff_ids")) {
            out.add(Digest.parse(n.asText()));
        }
        return List.copyOf(out);
    }

    /** A copy of the JSON tree (callers may change it freely). */
    public ObjectNode json() {
        return json.deepCopy();
    }

    /**
     * This config with one more layer: its diff_id appended to {@code rootfs.diff_ids} and a history
     * entry (created, created_by, comment).
     */
    public ImageConfig withLayer(Digest diffId, String created, String createdBy, String comment) {
        ObjectNode n = json.deepCopy();
        ObjectNode rootfs = n.has("rootfs") && n.get("rootfs").isObject() ? (ObjectNode) n.get("rootfs")
                : n.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.has("diff_ids") && rootfs.get("diff_ids").isArray()
                ? (ArrayNode) rootfs.get("diff_ids") : rootfs.putArray("diff_ids");
        ids.add(diffId.toString());
        ArrayNode history = n.has("history") && n.get("history").isArray() ? (ArrayNode) n.get("history")
                : n.putArray("history");
        ObjectNode h = history.addObject();
        h.put("created", created);
        h.put("created_by", createdBy);
        if (comment != null) {
            h.put("comment", comment);
        }
        n.put("created", created);
        return new ImageConfig(n);
    }

    public byte[] toJson() {
        return Json.write(json);
    }
}
