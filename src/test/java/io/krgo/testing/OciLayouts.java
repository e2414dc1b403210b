package io.krgo.testing;

import java.nio.file.Path;
import java.util.List;

/** OCI layouts made and unpacked by the real umoci CLI, the reference extractor for cross-checks. */
public final class OciLayouts {
    private OciLayouts() {
    }

    /** Creates {@code layout} (if needed) with image {@code tag} made of {@code layerTars}, oldest first. */
    public static Path create(Path layout, String tag, List<Path> layerTars) {
        Cmd.require("umoci", "umoci");
        String image = layout + ":" + tag;
        if (!layout.resolve("index.json").toFile().exists()) {
            Cmd.run(List.of("umoci", "init", "--layout", layout.toString()));
        }
        Cmd.run(List.of("umoci", "new", "--image", image));
        for (Path tar : layerTars) {
            Cmd.run(List.of("umoci", "raw", "add-layer", "--image", image, tar.toString()));
        }
        return layout;
    }

    /** Unpacks with umoci into {@code bundle}; returns the rootfs ({@code bundle/rootfs}). */
    public static Path unpack(Path layout, String tag, Path bundle) {
        Cmd.require("umoci", "umoci");
        Cmd.run(List.of("umoci", "unpack", "--image", layout + ":" + tag, bundle.toString()));
        return bundle.resolve("rootfs");
    }
}
