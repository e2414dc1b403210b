package io.krgo.cli;

import io.krgo.Krgo;
import io.krgo.image.Platform;
import io.krgo.reference.Reference;
import io.krgo.registry.ImagePusher;
import io.krgo.registry.RegistryOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "copy", addMethodSubcommands = false, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        aliases = "cp", sortOptions = false,
        description = "Copy an image from one repository to another, registry to registry, without storing it:"
                + " blobs are streamed, or mounted when both repositories are on the same registry.",
        footer = {"", "Examples:",
                "  krgo copy debian:12 example.com/mirror/debian:12        # this platform",
                "  krgo copy --all debian:12 example.com/mirror/debian:12  # same index digest",
                "  krgo copy 127.0.0.1:5000/a/app:1 127.0.0.1:5000/b/app:1 # blobs mounted",
                "",
                "-u/--password-stdin credentials are used for both registries; otherwise",
                "each registry's credentials come from the Docker config (see krgo login)."})
final class CopyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SRC", description = "Source image [REGISTRY/]REPOSITORY[:TAG][@DIGEST].")
    String source;

    @Parameters(index = "1", paramLabel = "DST", description = "Target [REGISTRY/]REPOSITORY[:TAG].")
    String target;

    @Option(names = {"-a", "--all"},
            description = "When SRC is an index, copy every platform's image and then the index itself (its digest is kept).")
    boolean all;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Without --all, the platform to copy from an index (default: this machine's).")
    String platform;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors and the final line.")
    boolean quiet;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Mixin
    TrustFlags trustFlags;

    @Mixin
    RegistryFlags registry;

    @Mixin
    SignFlags sign;

    @Override
    public Integer call() {
        Reference src = Reference.parse(source);
        Reference dst = Reference.parse(target);
        if (dst.digest() != null) {
            throw new io.krgo.error.UsageException("copy needs a target tag, not a digest: " + target);
        }
        Platform wanted = platform == null ? Platform.host() : Platform.parse(platform);
        Output out = Output.forStdout(quiet || json);
        RegistryOptions options = registry.toOptions(System.in);
        ImagePusher.Result result;
        SignFlags.Signers signers = sign.signers();
        java.util.List<SignFlags.Signed> signed = java.util.List.of();
        try (Krgo krgo = Krgo.withDefaults().withTrust(trustFlags.trust())) {
            if (signers.any()) {
                SignFlags.prepare(krgo.trust(), signers, dst); // before copying: fails when there is nowhere to put it
            }
            result = krgo.copy(src, options, dst, options, wanted, all, out.pushProgress());
            if (signers.any()) {
                signed = SignFlags.sign(krgo, signers, sign, dst,
                        SignFlags.signedDigests(krgo, dst, result.manifest(), options), options);
            }
        }
        SignFlags.report(out, json, signed, resultJson(result));
        if (json) {
            return ExitCodes.OK;
        }
        out.info("Layers: " + result.count(ImagePusher.BlobAction.UPLOADED) + " copied, "
                + result.count(ImagePusher.BlobAction.MOUNTED) + " mounted, "
                + result.count(ImagePusher.BlobAction.EXISTED) + " already there");
        out.always("Copied " + src + " to " + dst + " " + result.manifest().digest());
        return ExitCodes.OK;
    }

    /** The JSON form of a push or copy result. */
    static Map<String, Object> resultJson(ImagePusher.Result result) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("reference", result.reference().toString());
        r.put("digest", result.manifest().digest());
        r.put("mediaType", result.manifest().mediaType());
        r.put("size", result.manifest().size());
        Map<String, Object> layers = new LinkedHashMap<>();
        layers.put("uploaded", result.count(ImagePusher.BlobAction.UPLOADED));
        layers.put("mounted", result.count(ImagePusher.BlobAction.MOUNTED));
        layers.put("existed", result.count(ImagePusher.BlobAction.EXISTED));
        r.put("layers", layers);
        return r;
    }
}
