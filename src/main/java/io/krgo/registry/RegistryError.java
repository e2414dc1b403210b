package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.image.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of a registry's error body, as the distribution spec defines it:
 * {@code {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "...", "detail": ...}]}}.
 *
 * @param code    as the registry sent it, e.g. {@code NAME_UNKNOWN}, {@code DIGEST_INVALID}; "" when absent
 * @param message the registry's text; "" when absent
 * @param detail  the {@code detail} value as compact JSON; "" when absent
 */
public record RegistryError(String code, String message, String detail) {

    /** The errors of a response body; empty when it is not the spec's error document. */
    public static List<RegistryError> parse(byte[] body) {
        if (body == null || body.length == 0) {
            return List.of();
        }
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            if (root == null || !root.path("errors").isArray()) {
                return List.of();
            }
            List<RegistryError> out = new ArrayList<>();
            for (JsonNode e : root.path("errors")) {
                JsonNode detail = e.path("detail");
                out.add(new RegistryError(e.path("code").asText(""), e.path("message").asText(""),
                        detail.isMissingNode() || detail.isNull() ? "" : detail.toString()));
            }
            return List.copyOf(out);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** {@code CODE: message}, or whichever of the two there is. */
    @Override
    public String toString() {
        return code.isEmpty() ? message : message.isEmpty() ? code : code + ": " + message;
    }
}
