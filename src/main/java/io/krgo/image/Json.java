package io.krgo.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.krgo.error.UnsafeImageException;

import java.io.IOException;

/** The one configured JSON mapper (immutable after construction, so safe to share). */
public final class Json {
    /** Manifests, indexes and configs larger than this are refused (distribution uses 4 MiB too). */
    public static final int MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private Json() {
    }

    /** Parses an image document; what is not JSON of the expected shape is an {@link UnsafeImageException}. */
    public static <T> T read(byte[] bytes, Class<T> type, String what) {
        try {
            T value = MAPPER.readValue(bytes, type);
            if (value == null) {
                // the JSON literal null (found by fuzzing): callers expect an object
                throw new UnsafeImageException(what + " is not a JSON object");
            }
            return value;
        } catch (IOException e) {
            throw new UnsafeImageException(what + " is not valid JSON: " + firstLine(e.getMessage()));
        }
    }

    /**
     * Initialises the mapper and its manifest and config readers on a sample (~50 ms of class loading and
     * set-up on a cold JVM), so that a caller can do it on another thread while it waits for a registry.
     */
    public static void warmUp() {
        byte[] sample = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + MediaTypes.OCI_CONFIG + "\",\"digest\":\"sha256:" + "0".repeat(64) + "\",\"size\":2},\"layers\":[]}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            Manifest.parse(sample, MediaTypes.OCI_MANIFEST);
            ImageConfig.parse("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (RuntimeException ignored) {
            // only a warm-up: the real documents report their own errors
        }
    }

    public static JsonNode readTree(byte[] bytes, String what) {
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new UnsafeImageException(what + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new UnsafeImageException(what + " is not valid JSON: " + firstLine(e.getMessage()));
        }
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
