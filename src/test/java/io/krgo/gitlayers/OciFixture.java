package io.krgo.gitlayers;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.krgo.image.Image;
import io.krgo.image.Json;
import io.krgo.image.Platform;
import io.krgo.layer.AppliedChanges;
import io.krgo.store.BlobStore;
import io.krgo.store.OciLayout;
import io.krgo.testing.OciFixtures;
import io.krgo.testing.Tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * An OCI layout driven by the real umoci: the base image is GNU tar's archive of a tree, added with
 * {@code umoci raw add-layer} and unpacked with {@code umoci unpack}, as a pull would leave it. The
 * layout's blob directory doubles as krgo's {@link BlobStore} (same shape), so a committed image can be
 * tagged in index.json and unpacked by umoci.
 */
final class OciFixture {
    final Path layout;
    final BlobStore store;

    OciFixture(Path layout) {
        this.layout = layout;
        this.store = new BlobStore(layout);
    }

    static OciFixture create(Path layout, Path baseTree, Path tmp) throws IOException {
        Path tar = tmp.resolve("base.tar");
        Tools.run("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-cpf", tar.toString(),
                "-C", baseTree.toString(), ".");
        OciFixtures.create(layout, "base", List.of(tar));
        return new OciFixture(layout);
    }

    /** Unpacks {@code tag} with umoci and returns the rootfs. */
    Path unpack(String tag, Path bundle) {
        return OciFixtures.unpack(layout, tag, bundle);
    }

    /** The image tagged {@code tag}, read as krgo reads any OCI layout. */
    Image image(String tag) {
        return new OciLayout(layout).image(tag, Platform.host());
    }

    /** Adds {@code image}'s manifest to index.json as {@code tag}. */
    void tag(Image image, String tag) throws IOException {
        ObjectNode index = (ObjectNode) Json.MAPPER.readTree(layout.resolve("index.json").toFile());
        ObjectNode m = ((ArrayNode) index.get("manifests")).addObject();
        m.put("mediaType", image.descriptor().mediaType());
        m.put("digest", image.descriptor().digest());
        m.put("size", image.descriptor().size());
        m.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
        Files.write(layout.resolve("index.json"), Json.write(index));
    }

    /** What a full extraction of a tree reports: every path written, in tree order. */
    static AppliedChanges everything(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return new AppliedChanges(walk.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString())
                    .sorted().toList(), List.of());
        }
    }
}
