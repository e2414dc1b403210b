package io.krgo.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.error.NotFoundException;
import io.krgo.error.RegistryException;
import io.krgo.image.Json;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.krgo.registry.RegistryApi.pull;
import static io.krgo.registry.RegistryApi.request;

/** A repository's tags, following {@code Link: <...>; rel="next"} pagination. */
final class TagList {
    private static final Pattern LINK_NEXT = Pattern.compile("<([^>]*)>\\s*;\\s*rel=\"?next\"?");

    private final RegistryApi api;

    TagList(RegistryApi api) {
        this.api = api;
    }

    List<String> list(String repo, int pageSize) {
        Transport transport = api.transport();
        List<String> tags = new ArrayList<>();
        URI next = api.api(repo, "tags/list" + (pageSize > 0 ? "?n=" + pageSize : ""));
        for (int page = 0; next != null; page++) {
            if (page > 10_000) {
                throw new RegistryException("registry " + api.shown() + " paginates tags of " + repo + " endlessly");
            }
            try (Response resp = transport.send(request("GET", next, Map.of(), pull(repo), repo))) {
                if (resp.status() == 404) {
                    resp.close();
                    throw new NotFoundException("repository not found: " + api.shown() + "/" + repo);
                }
                if (resp.status() != 200) {
                    throw transport.unexpected(resp, "tag list of " + repo, repo);
                }
                byte[] body = api.readLimited(resp, Json.MAX_DOCUMENT_BYTES, "tag list of " + repo);
                JsonNode root;
                try {
                    root = Json.MAPPER.readTree(body);
                } catch (IOException e) {
                    throw new RegistryException("registry " + api.shown() + " sent an invalid tag list");
                }
                if (root != null) {
                    for (JsonNode t : root.path("tags")) {
                        tags.add(t.asText());
                    }
                }
                URI current = resp.uri();
                next = resp.headers().allValues("Link").stream()
                        .map(LINK_NEXT::matcher).filter(Matcher::find)
                        .map(m -> RegistryApi.resolve(current, m.group(1))).findFirst().orElse(null);
            }
        }
        return List.copyOf(tags);
    }
}
