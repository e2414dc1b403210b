package io.krgo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.krgo.ImageInfo;
import io.krgo.Krgo;
import io.krgo.error.UsageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Image;
import io.krgo.image.Index;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Show an image without pulling it: digest, media type, platforms of an index, layers with"
                + " sizes, and a summary of the config.",
        footer = {"", "Examples:",
                "  krgo inspect debian:12                     # an index: its platforms",
                "  krgo inspect debian:12 --platform linux/arm64",
                "  krgo inspect busybox --raw | jq .          # manifest bytes as served",
                "  krgo inspect busybox --config --platform linux/amd64"})
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "[REGISTRY/]REPOSITORY[:TAG][@DIGEST].")
    String image;

    @Option(names = "--raw", description = "Print the manifest (or index) bytes exactly as the registry serves them;"
            + " with --platform, the platform's manifest.")
    boolean raw;

    @Option(names = "--config", description = "Print the image config JSON exactly as stored (for an index:"
            + " of --platform, default this machine's).")
    boolean config;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Describe this platform's image of an index (default: the index itself).")
    String platform;

    @Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        if (raw && config) {
            throw new UsageException("--raw and --config exclude each other");
        }
        Reference ref = Reference.parse(image);
        Platform wanted = platform != null ? Platform.parse(platform) : config ? Platform.host() : null;
        ImageInfo info;
        try (Krgo krgo = Krgo.withDefaults()) {
            info = krgo.inspect(ref, wanted, registry.toOptions(System.in));
        }
        Output out = Output.forStdout(false);
        if (raw) {
            byte[] bytes = platform != null && info.index().isPresent()
                    ? info.image().orElseThrow().rawManifest() : info.rawManifest();
            out.stdout().write(bytes, 0, bytes.length);
            out.stdout().flush();
            return ExitCodes.OK;
        }
        if (config) {
            byte[] bytes = info.image().orElseThrow().rawConfig();
            out.stdout().write(bytes, 0, bytes.length);
            out.stdout().flush();
            return ExitCodes.OK;
        }
        Map<String, Object> summary = summary(info);
        if (json) {
            out.json(summary);
        } else {
            print(out, summary);
        }
        return ExitCodes.OK;
    }

    static Map<String, Object> summary(ImageInfo info) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("reference", info.reference().toString());
        s.put("digest", info.descriptor().digest());
        s.put("mediaType", info.descriptor().mediaType());
        s.put("size", info.descriptor().size());
        if (info.index().isPresent()) {
            Index index = info.index().get();
            List<Map<String, Object>> platforms = new ArrayList<>();
            for (Descriptor d : index.manifests()) {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("platform", d.platform() == null ? "unknown" : d.platform().normalize().toString());
                p.put("digest", d.digest());
                p.put("mediaType", d.mediaType());
                p.put("size", d.size());
                platforms.add(p);
            }
            s.put("manifests", platforms);
        }
        if (info.image().isPresent()) {
            Image img = info.image().get();
            if (info.index().isPresent()) {
                s.put("platformDigest", img.descriptor().digest());
                s.put("platformMediaType", img.descriptor().mediaType());
            }
            JsonNode cfg = img.config().json();
            JsonNode c = cfg.path("config");
            s.put("platform", img.config().platform().toString());
            s.put("created", cfg.path("created").asText(null));
            s.put("configDigest", img.manifest().config().digest());
            s.put("entrypoint", strings(c.path("Entrypoint")));
            s.put("cmd", strings(c.path("Cmd")));
            s.put("env", strings(c.path("Env")));
            s.put("workingDir", c.path("WorkingDir").asText(""));
            s.put("user", c.path("User").asText(""));
            s.put("historyCount", cfg.path("history").size());
            List<Map<String, Object>> layers = new ArrayList<>();
            long total = 0;
            for (Descriptor d : img.manifest().layers()) {
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("digest", d.digest());
                l.put("size", d.size());
                l.put("mediaType", d.mediaType());
                layers.add(l);
                total += d.size();
            }
            s.put("layers", layers);
            s.put("totalLayerSize", total);
        }
        return s;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void print(Output out, Map<String, Object> s) {
        out.always("Reference:   " + s.get("reference"));
        out.always("Digest:      " + s.get("digest"));
        out.always("Media type:  " + s.get("mediaType"));
        out.always("Size:        " + s.get("size"));
        if (s.containsKey("manifests")) {
            out.always("Platforms:");
            for (Map<String, Object> p : (List<Map<String, Object>>) s.get("manifests")) {
                out.always("  " + pad(String.valueOf(p.get("platform")), 16) + p.get("digest") + "  "
                        + Sizes.human((Long) p.get("size")));
            }
        }
        if (!s.containsKey("layers")) {
            return;
        }
        if (s.containsKey("platformDigest")) {
            out.always("Platform digest: " + s.get("platformDigest"));
        }
        out.always("Platform:    " + s.get("platform"));
        out.always("Created:     " + (s.get("created") == null ? "-" : s.get("created")));
        out.always("Config:      " + s.get("configDigest"));
        out.always("Entrypoint:  " + s.get("entrypoint"));
        out.always("Cmd:         " + s.get("cmd"));
        List<String> env = (List<String>) s.get("env");
        out.always("Env:         " + (env.isEmpty() ? "[]" : String.join(" ", env)));
        out.always("History:     " + s.get("historyCount") + " entries");
        List<Map<String, Object>> layers = (List<Map<String, Object>>) s.get("layers");
        out.always("Layers:      " + layers.size() + ", " + Sizes.human((Long) s.get("totalLayerSize")) + " compressed");
        for (Map<String, Object> l : layers) {
            out.always("  " + l.get("digest") + "  " + pad(Sizes.human((Long) l.get("size")), 11) + l.get("mediaType"));
        }
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
    }
}
