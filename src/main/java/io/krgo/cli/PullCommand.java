package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.PullRequest;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.rootfs.PullResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "pull", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = "Pull IMAGE into a root file system directory.",
        footer = {"", "Examples:",
                "  krgo pull busybox                          # docker.io/library/busybox:latest into ./rootfs",
                "  krgo pull debian:12 -r debian -g           # one git branch per layer",
                "  krgo pull ghcr.io/org/app@sha256:... -r app --platform linux/arm64",
                "  krgo pull 127.0.0.1:5000/team/app:1.0 -u me --password-stdin < pw.txt"})
final class PullCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE",
            description = "Image reference: [REGISTRY/]REPOSITORY[:TAG][@DIGEST]; TAG defaults to latest.")
    String image;

    @Option(names = {"-r", "--rootfs"}, paramLabel = "DIR", defaultValue = "rootfs",
            description = "Target directory (default: ${DEFAULT-VALUE}). Replaced atomically; must be absent"
                    + " or empty unless --force.")
    Path rootfs;

    @Option(names = {"-g", "--git"},
            description = "Keep every layer as a git branch layer_<n>_<id>, in .DIR.krgo/git beside DIR"
                    + " (needed by commit).")
    boolean git;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Platform to pick from a multi-platform image (default: this machine's).")
    String platform;

    @Option(names = "--force", description = "Replace a non-empty DIR (still atomically), or re-pull an up-to-date one.")
    boolean force;

    @Option(names = "-v2", description = "Accepted for compatibility with krgo 1.x; registry API v2 is the only protocol.")
    boolean v2;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors and the final line.")
    boolean quiet;

    @Mixin
    RegistryFlags registry;

    @Override
    public Integer call() {
        Reference ref = Reference.parse(image);
        Platform wanted = platform == null ? Platform.host() : Platform.parse(platform);
        Output out = Output.forStdout(quiet);
        PullRequest request = new PullRequest(ref, rootfs, wanted, git, force, registry.toOptions(System.in));
        PullResult result;
        try (Krgo krgo = Krgo.withDefaults()) {
            result = krgo.pull(request, out.pullProgress());
        }
        for (String warning : result.warnings()) {
            out.warn(warning);
        }
        if (result.upToDate()) {
            out.always("Already up to date: " + rootfs + " holds " + ref + " (" + result.manifestDigest()
                    + "); use --force to pull again");
        } else {
            out.always("Done. Rootfs of " + ref + " in " + rootfs + (git ? " (git layers in "
                    + io.krgo.rootfs.RootfsLayout.of(rootfs).gitDir() + ")" : ""));
        }
        return ExitCodes.OK;
    }
}
