package io.krgo.rootfs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The metadata reader of the up-to-date check agrees with Jackson on what it reads, and refuses what is not JSON. */
class TopLevelFieldsTest {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    private static String[] read(String json, String... names) throws IOException {
        return TopLevelFields.read(json.getBytes(StandardCharsets.UTF_8), names);
    }

    @Test
    void readsStringsAndArrayLengthsAsJacksonDoes() throws Exception {
        List<String> docs = List.of(
                "{\"reference\":\"r\",\"manifestDigest\":\"sha256:" + "a".repeat(64) + "\",\"layers\":[{\"a\":[1,2,{}]},{}]}",
                " {\n \"x\" : -1.5e+3 , \"manifestDigest\" : \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\", \"layers\": [] }\n",
                "{\"layers\":[true,false,null,0,\"]\"],\"nested\":{\"manifestDigest\":\"inner\"},\"manifestDigest\":null}",
                "{}",
                "{\"platform\":\"linux/arm64/v8\",\"é\":\"ü\"}");
        for (String doc : docs) {
            JsonNode node = JACKSON.readTree(doc);
            String[] got = read(doc, "manifestDigest", "layers", "platform");
            JsonNode digest = node.get("manifestDigest");
            assertThat(got[0]).as(doc).isEqualTo(digest != null && digest.isTextual() ? digest.asText() : null);
            JsonNode layers = node.get("layers");
            assertThat(got[1]).as(doc).isEqualTo(layers != null && layers.isArray() ? Integer.toString(layers.size()) : null);
            JsonNode platform = node.get("platform");
            assertThat(got[2]).as(doc).isEqualTo(platform != null ? platform.asText() : null);
        }
    }

    @Test
    void refusesWhatIsNotAJsonObject() {
        for (String bad : List.of("", "[]", "null", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{'a':1}",
                "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"x",
                "{\"a\":1} x", "{\"a\":\"tab\there\"}", "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}",
                "{\"manifestDigest\": 7")) {
            assertThatThrownBy(() -> read(bad, "a")).as(bad).isInstanceOf(IOException.class);
        }
    }

    @Test
    void quoteRoundTrips() throws Exception {
        String value = "sha256:ab \"quoted\" back\\slash \u0001 linux/amd64";
        String json = "{\"v\":" + TopLevelFields.quote(value) + "}";
        assertThat(read(json, "v")[0]).isEqualTo(value);
        assertThat(JACKSON.readTree(json).get("v").asText()).isEqualTo(value);
    }
}
