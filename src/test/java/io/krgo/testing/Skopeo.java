package io.krgo.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The real peer {@code skopeo} (Debian package skopeo), run as a command. */
public final class Skopeo {
    private Skopeo() {
    }

    /** Runs {@code skopeo --insecure-policy ARGS...}; fails the test with skopeo's stderr. */
    public static String run(String... args) {
        Tools.require("skopeo", "skopeo");
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        cmd.addAll(List.of(args));
        return Tools.run(cmd);
    }

    /** Copies {@code src} (e.g. {@code oci:DIR:tag}) to {@code docker://HOST/REPO:TAG} on the harness registry. */
    public static void copyTo(RegistryHarness registry, String src, String repoAndTag, String... extra) {
        List<String> args = new ArrayList<>(List.of("copy", "--quiet", "--dest-tls-verify=false"));
        if (registry.creds() != null) {
            args.add("--dest-creds");
            args.add(registry.creds());
        }
        args.addAll(List.of(extra));
        args.add(src);
        args.add("docker://" + registry.host() + "/" + repoAndTag);
        run(args.toArray(String[]::new));
    }

    /** {@code skopeo inspect --raw} of an image on the harness registry: the manifest bytes as served. */
    public static String inspectRaw(RegistryHarness registry, String repoAndTag) {
        List<String> args = new ArrayList<>(List.of("inspect", "--raw", "--tls-verify=false"));
        if (registry.creds() != null) {
            args.add("--creds");
            args.add(registry.creds());
        }
        args.add("docker://" + registry.host() + "/" + repoAndTag);
        return run(args.toArray(String[]::new));
    }

    /**
     * Copies {@code repoAndTag} from the harness registry into skopeo's {@code dir:} format under {@code dir}
     * (blobs byte for byte as served) and returns the layer blobs' files, oldest first.
     */
    public static List<Path> layerBlobs(RegistryHarness registry, String repoAndTag, Path dir) {
        List<String> args = new ArrayList<>(List.of("copy", "--quiet", "--src-tls-verify=false"));
        if (registry.creds() != null) {
            args.add("--src-creds");
            args.add(registry.creds());
        }
        args.add("docker://" + registry.host() + "/" + repoAndTag);
        args.add("dir:" + dir);
        run(args.toArray(String[]::new));
        try {
            JsonNode manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
            List<Path> out = new ArrayList<>();
            for (JsonNode layer : manifest.path("layers")) {
                out.add(dir.resolve(layer.path("digest").asText().substring("sha256:".length())));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
