package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.error.UsageException;
import io.krgo.image.Descriptor;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "export", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Write an image from a registry into an OCI image layout directory or a docker-archive"
                + " tarball, without unpacking it.",
        footer = {"", "Examples:",
                "  krgo export debian:12 --oci layout     # umoci unpack --image layout:12 b",
                "  krgo export debian:12 --tar debian.tar # docker load -i debian.tar",
                "  krgo pull oci:layout:12 -r debian      # unpack from the layout"})
final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "[REGISTRY/]REPOSITORY[:TAG][@DIGEST].")
    String image;

    static final class Target {
        @Option(names = "--oci", paramLabel = "DIR", required = true,
                description = "An OCI image layout directory (created, or added to).")
        Path oci;

        @Option(names = "--tar", paramLabel = "FILE", required = true,
                description = "A docker-archive tarball (docker save format), replaced atomically; a pipe or device is written into.")
        Path tar;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--tag", paramLabel = "NAME",
            description = "The name in the OCI layout (default: the image's tag, else latest); for --tar, the"
                    + " RepoTags entry REPOSITORY:TAG (default: IMAGE's).")
    String tag;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Platform to pick from a multi-platform image (default: this machine's).")
    String platform;

    @Option(names = {"-a", "--all"}, description = "With --oci and an index: every platform's image and the index"
            + " itself (same digest), the tag naming the index.")
    boolean all;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors.")
    boolean quiet;

    @Mixin
    TrustFlags trustFlags;

    @Mixin
    MirrorFlags mirrors;

    @Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        Reference ref = Reference.parse(image);
        Platform wanted = platform == null ? Platform.host() : Platform.parse(platform);
        Output out = Output.forStdout(quiet);
        Descriptor d;
        try (Krgo krgo = Krgo.withDefaults(ref.registry(), mirrors.mirror).withTrust(trustFlags.trust())) {
            if (target.oci != null) {
                String name = tag != null ? tag : ref.tag() != null ? ref.tag() : Reference.DEFAULT_TAG;
                d = krgo.exportOci(ref, registry.toOptions(System.in), wanted, target.oci, name, all);
                out.info("Exported " + ref + " " + d.digest() + " to OCI layout " + target.oci + " as " + name);
            } else {
                if (all) {
                    throw new UsageException("--all needs --oci: a docker-archive holds one platform's image");
                }
                String repoTag = tag != null ? tag : familiar(ref);
                if (!repoTag.contains(":") || repoTag.endsWith(":")) {
                    throw new UsageException("--tag for --tar must be REPOSITORY:TAG, not '" + repoTag + "'");
                }
                d = krgo.exportTar(ref, registry.toOptions(System.in), wanted, target.tar, List.of(repoTag));
                out.info("Exported " + ref + " " + d.digest() + " to " + target.tar + " as " + repoTag);
            }
        }
        return ExitCodes.OK;
    }

    /** The name docker shows: {@code busybox:latest}, {@code ghcr.io/org/app:1}. */
    static String familiar(Reference ref) {
        String repo = ref.repository();
        String name;
        if (ref.registry().equals(Reference.DOCKER_HUB)) {
            name = repo.startsWith("library/") ? repo.substring("library/".length()) : repo;
        } else {
            name = ref.registry() + "/" + repo;
        }
        return name + ":" + (ref.tag() != null ? ref.tag() : Reference.DEFAULT_TAG);
    }
}
