package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.PushRequest;
import io.krgo.error.UsageException;
import io.krgo.image.MediaTypes;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.ImagePusher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "push", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = "Push a rootfs to IMAGE: the recorded layers of a -g rootfs (unchanged ones reused),"
                + " or a plain directory as a one-layer image.",
        footer = {"", "Examples:",
                "  krgo push example.com/me/debian:custom -r debian -u me --password-stdin",
                "  krgo push 127.0.0.1:5000/tools/static:1 -r ./some-dir --platform linux/arm64"})
final class PushCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "Where to push: [REGISTRY/]REPOSITORY[:TAG].")
    String image;

    @Option(names = {"-r", "--rootfs"}, paramLabel = "DIR", defaultValue = "rootfs",
            description = "The rootfs to push (default: ${DEFAULT-VALUE}).")
    Path rootfs;

    @Option(names = "--format", paramLabel = "oci|docker",
            description = "Manifest format. Default: the pulled image's format for a -g rootfs, oci for a plain"
                    + " directory.")
    String format;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Platform written in the config when pushing a plain directory (default: this machine's).")
    String platform;

    @Option(names = "--compression", paramLabel = "gzip|zstd", defaultValue = "gzip",
            description = "Compression of the layer made from a plain directory (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors and the final digest.")
    boolean quiet;

    @Option(names = "--json", description = "Print the result as JSON (and no progress).")
    boolean json;

    @Mixin
    RegistryFlags registry;

    @Mixin
    SignFlags sign;

    @Option(names = "--registries.d", paramLabel = "DIR",
            description = "registries.d directory naming where --sign-by stores signatures (lookaside-staging)."
                    + " Default: ~/.config/containers/registries.d, else /etc/containers/registries.d.")
    Path registriesD;

    @Override
    public Integer call() {
        if (io.krgo.rootfs.RootfsLayout.of(rootfs).hasGitLayers()) {
            Main.installNativeDigests(); // for JGit only: a plain directory's push hashes with libcrypto directly
        }
        Reference ref = Reference.parse(image);
        if (ref.digest() != null) {
            throw new UsageException("push needs a tag, not a digest: " + image);
        }
        String manifestType = format == null ? null : switch (format.toLowerCase(java.util.Locale.ROOT)) {
            case "oci" -> MediaTypes.OCI_MANIFEST;
            case "docker" -> MediaTypes.DOCKER_MANIFEST;
            default -> throw new UsageException("--format must be oci or docker, not '" + format + "'");
        };
        io.krgo.image.Compression c = FlagValues.layerCompression(compression);
        Platform p = platform == null ? Platform.host() : Platform.parse(platform);
        Output out = Output.forStdout(quiet || json);
        PushRequest request = new PushRequest(ref, rootfs, manifestType, p, c, registry.toOptions(System.in));
        ImagePusher.Result result;
        SignFlags.Signers signers = sign.signers();
        java.util.List<SignFlags.Signed> signed = java.util.List.of();
        try (Krgo krgo = Krgo.withDefaults().withTrust(new io.krgo.trust.ImageTrust(
                io.krgo.trust.TrustFiles.fromSystem(null, registriesD), java.time.Clock.systemUTC()))) {
            if (signers.any()) {
                SignFlags.prepare(krgo.trust(), signers, ref); // before pushing: fails when there is nowhere to put it
            }
            result = krgo.push(request, out.pushProgress());
            if (signers.any()) {
                signed = SignFlags.sign(krgo, signers, sign, ref,
                        SignFlags.signedDigests(krgo, ref, result.manifest(), request.registry()), request.registry());
            }
        }
        SignFlags.report(out, json, signed, CopyCommand.resultJson(result));
        if (json) {
            return ExitCodes.OK;
        }
        out.info("Layers: " + result.count(ImagePusher.BlobAction.UPLOADED) + " uploaded, "
                + result.count(ImagePusher.BlobAction.MOUNTED) + " mounted, "
                + result.count(ImagePusher.BlobAction.EXISTED) + " already there");
        out.always("Pushed " + ref + " " + result.manifest().digest());
        return ExitCodes.OK;
    }
}
